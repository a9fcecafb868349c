/** Process exit codes; `cli.ts` is the one place that maps errors to them. */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  pagesFailed: 3,
  /** `--sandbox strict` and no OS sandbox on this machine (see docs/security.md). */
  sandbox: 4,
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class of every error pdfraster throws on purpose. */
export class PdfRasterError extends Error {
  /** A stable machine-readable code, e.g. `ERR_USAGE`. */
  readonly code: string;
  readonly exitCode: ExitCode;

  constructor(message: string, code: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A bad option value or combination (exit 2). */
export class UsageError extends PdfRasterError {
  /** The setting the error is about, by the name the caller used (`dpi`, `--dpi`, `max-pixels`), when it is about one. */
  readonly option: string | undefined;
  constructor(message: string, options?: { cause?: unknown; option?: string }) {
    super(message, "ERR_USAGE", ExitCode.usage, options);
    this.option = options?.option;
  }
}

/** The input cannot be read or is not a PDF we can open (exit 2). */
export class InputError extends PdfRasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "ERR_INPUT", ExitCode.usage, options);
  }
}

/** The PDF is encrypted and the password is missing or wrong (exit 2). */
export class PasswordError extends PdfRasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "ERR_PASSWORD", ExitCode.usage, options);
  }
}

/** The output (or the temp directory) cannot be written (exit 2). */
export class OutputError extends PdfRasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "ERR_OUTPUT", ExitCode.usage, options);
  }
}

/** The worker pool cannot run at all, e.g. workers die while starting (exit 1). */
export class PoolError extends PdfRasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "ERR_POOL", ExitCode.unexpected, options);
  }
}

/** `--sandbox strict` was asked for and this machine has no OS sandbox for the render processes (exit 4). */
export class SandboxError extends PdfRasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "ERR_SANDBOX", ExitCode.sandbox, options);
  }
}

/** A limit of the service was reached (too many pages, too large, too busy, too slow); `code` says which (exit 2). */
export class LimitError extends PdfRasterError {
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, code, ExitCode.usage, options);
  }
}

/** The run was stopped through its AbortSignal or by a signal (exit 130/143). */
export class AbortError extends PdfRasterError {
  constructor(message = "The operation was aborted", exitCode: ExitCode = ExitCode.interrupted) {
    super(message, "ABORT_ERR", exitCode);
  }
}

/** Disk full, over quota, read-only or failing: no retry can help, the run stops with an OutputError. */
export function isDiskError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT" || code === "EROFS" || code === "EIO";
}

/** One line describing any thrown value, for reports and stderr. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split("\n")[0] || error.name;
  return String(error);
}

/**
 * Cluster mode (`--redis`): Redis cannot be reached when a run starts (exit 2), or is lost in the
 * middle of one (exit 1); messages never contain the URL's password.
 */
export class ClusterError extends PdfRasterError {
  constructor(message: string, exitCode: ExitCode = ExitCode.unexpected, options?: { cause?: unknown }) {
    super(message, "ERR_CLUSTER", exitCode, options);
  }
}
