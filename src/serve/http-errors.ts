import { AbortError, ClusterError, InputError, LimitError, OutputError, PasswordError, PdfRasterError, PoolError, UsageError } from "../errors.js";
import type { PageFailure } from "../report.js";

/** The JSON body of every error response. */
export interface ErrorBody {
  code: string;
  message: string;
  /** With ERR_PAGES_FAILED: the pages that failed and why. */
  failed?: PageFailure[];
  /** With ERR_USAGE about one field: its name as the request gave it (`on-error`), for a form to point at. */
  option?: string;
}

/** An error that already knows its HTTP status (and, for 429/503, its Retry-After). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly failed?: PageFailure[],
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export interface HttpFailure {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

/** The pipeline's messages name CLI flags (`give its password with --password`); a request names fields (`password`). */
function fields(message: string): string {
  return message.replace(/(^|[\s(])--([a-z][a-z-]*)/g, "$1`$2`");
}

/** Statuses of the service's limits, by LimitError code. */
const LIMIT_STATUS: Record<string, number> = {
  ERR_TOO_MANY_PAGES: 422,
  ERR_TOO_LARGE: 413,
  ERR_TIMEOUT: 504,
  ERR_BUSY: 429,
};

/**
 * Maps any error to its status and `{ code, message }`: the CLI's exit classes become 4xx (usage 400,
 * unreadable input or wrong password 422), limits their own status, a pool that cannot run or a cluster
 * whose Redis is unreachable 503, and
 * anything unexpected a bare 500 (its stack goes to the service's stderr, never to the client).
 * `scrub` removes the service's temp folder from messages: no server path reaches a client.
 */
export function toHttp(error: unknown, scrub: (text: string) => string, retryAfter: () => number): HttpFailure {
  const of = (status: number, code: string, message: string, headers: Record<string, string> = {}, failed?: PageFailure[]): HttpFailure => ({
    status,
    body: { code, message: scrub(message), ...(failed ? { failed: failed.map((f) => ({ page: f.page, reason: scrub(fields(f.reason)) })) } : {}) },
    headers,
  });
  const again = (): Record<string, string> => ({ "retry-after": String(retryAfter()) });
  if (error instanceof HttpError) return of(error.status, error.code, error.message, error.headers, error.failed);
  if (error instanceof LimitError) {
    const status = LIMIT_STATUS[error.code] ?? 422;
    return of(status, error.code, fields(error.message), status === 429 ? again() : {});
  }
  if (error instanceof UsageError) {
    const failure = of(400, error.code, fields(error.message));
    if (error.option !== undefined) failure.body.option = error.option;
    return failure;
  }
  if (error instanceof InputError || error instanceof PasswordError) return of(422, error.code, fields(error.message));
  // A pool that cannot run, or in cluster mode Redis unreachable or lost mid-document: the service itself is fine and the next document may go through.
  if (error instanceof PoolError || error instanceof ClusterError) return of(503, error.code, fields(error.message), again());
  if (error instanceof AbortError) return of(503, "ERR_SHUTTING_DOWN", "The service is shutting down: try again", again());
  if (error instanceof OutputError) return of(507, error.code, fields(error.message));
  if (error instanceof PdfRasterError) return of(500, error.code, fields(error.message));
  // Fastify's own client errors (bad JSON, unsupported media type, ...) carry a 4xx statusCode.
  const fastify = error as { statusCode?: unknown; code?: unknown; message?: unknown; validation?: unknown };
  // A request that does not fit a route's schema (routes/schemas.ts): a usage error, as our own checks' are.
  if (Array.isArray(fastify.validation)) return of(400, "ERR_USAGE", fields(String(fastify.message ?? "Bad request")));
  if (typeof fastify.statusCode === "number" && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    const code = fastify.statusCode === 415 ? "ERR_CONTENT_TYPE" : fastify.statusCode === 413 ? "ERR_TOO_LARGE" : "ERR_REQUEST";
    return of(fastify.statusCode, code, String(fastify.message ?? "Bad request").split("\n")[0]!);
  }
  process.stderr.write(`pdfraster serve: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return of(500, "ERR_INTERNAL", "Internal error (see the service's log)");
}
