/**
 * SIGINT and SIGTERM for the CLIs (`pdfraster`, `pdfraster serve`, `pdfraster worker`), written once:
 * the first signal asks the command to stop (it aborts `signal` and resolves `received`), a second one
 * stops the process at once.
 */
import { AbortError, ExitCode } from "./errors.js";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

export interface StopSignals {
  /** Aborted by the first signal, with an AbortError carrying its exit code. */
  readonly signal: AbortSignal;
  /** Resolves with the first signal's name. */
  readonly received: Promise<NodeJS.Signals>;
  /** Stops listening: for a command that ends before any signal. */
  dispose(): void;
}

/** The exit code of a command stopped by `signal`: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: NodeJS.Signals): ExitCode {
  return signal === "SIGINT" ? ExitCode.interrupted : ExitCode.terminated;
}

/** `secondExit`: the exit code of a second signal (default: the signal's own, 130 or 143). */
export function listenForStop(secondExit: (signal: NodeJS.Signals) => number = signalExitCode): StopSignals {
  const controller = new AbortController();
  let resolve!: (signal: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((done) => (resolve = done));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(secondExit(signal));
    controller.abort(new AbortError(`Interrupted by ${signal}`, signalExitCode(signal)));
    resolve(signal);
  };
  for (const name of SIGNALS) process.on(name, onSignal);
  return {
    signal: controller.signal,
    received,
    dispose: () => {
      for (const name of SIGNALS) process.off(name, onSignal);
    },
  };
}
