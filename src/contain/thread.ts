/**
 * Runs a reader of untrusted document structure in a worker thread of its own, where a failure is
 * contained: a stack overflow or a heap limit ends the thread, not the master or the service; a
 * long stretch of work inside a library (pdf.js opening a 100,000-page flat page tree takes seconds
 * in one piece) leaves the main thread's event loop free; and the signal (Ctrl-C, the service's
 * time limit) terminates the thread at once, whatever it is doing.
 *
 * Used for planning (src/survey/) and the outline (engines/pdfjs/outline.ts). A thread, not a render
 * process: the master needs the answer before any page is rendered, a thread costs no IPC protocol
 * or sandbox start-up, and its heap is capped by V8 (`resourceLimits`).
 */
import { Worker } from "node:worker_threads";

/** The thread died (threw, overflowed its stack, ran out of its heap) or was stopped before it answered. */
export class ThreadFailure extends Error {
  override name = "ThreadFailure";
  constructor(
    /** Why, in words for a one-line error: "it nests too deep", "it needs more than 256 MB", or the first line of what the thread threw. */
    readonly why: string,
    options?: ErrorOptions,
  ) {
    super(why, options);
  }
}

export interface ThreadSettings<Reply> {
  /** The thread's V8 heap (old generation) in MB; 0: V8's default. */
  heapMb: number;
  /** Terminates the thread; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Called for each message the thread posts but the last: returns what to post back, if anything.
   * What it throws terminates the thread and rejects the promise with it.
   */
  onMessage?: (message: Reply) => unknown;
  /** Whether a message is the thread's answer (the promise resolves with it). */
  isResult: (message: Reply) => boolean;
}

/**
 * Starts `script` (a module beside the caller's, as a URL) with `data`, and resolves with its answer
 * (the message `isResult` accepts); the thread is terminated once it has answered.
 */
export function runContained<Reply>(script: URL, data: unknown, settings: ThreadSettings<Reply>): Promise<Reply> {
  const { heapMb, signal, onMessage, isResult } = settings;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const thread = new Worker(script, {
      workerData: data,
      ...(heapMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: heapMb } } : {}),
      stdout: true, // the library's own output stays in the thread
      stderr: true,
    });
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      outcome();
      void thread.terminate();
    };
    const onAbort = (): void => settle(() => reject(signal!.reason));
    signal?.addEventListener("abort", onAbort, { once: true });
    let failure: unknown;
    thread.on("message", (message: Reply) => {
      if (settled) return;
      if (isResult(message)) {
        settle(() => resolve(message));
        return;
      }
      try {
        const reply = onMessage?.(message);
        if (reply !== undefined) thread.postMessage(reply);
      } catch (error) {
        settle(() => reject(error));
      }
    });
    thread.on("error", (error) => {
      failure = error;
    });
    thread.on("exit", () => settle(() => reject(new ThreadFailure(whyDied(failure, heapMb), { cause: failure }))));
  });
}

function whyDied(failure: unknown, heapMb: number): string {
  if (failure instanceof RangeError) return "it nests too deep";
  if ((failure as { code?: unknown } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY") return `reading it needs more than ${heapMb} MB`;
  if (failure instanceof Error) return failure.message.split("\n")[0] || failure.name;
  return "the reader stopped";
}
