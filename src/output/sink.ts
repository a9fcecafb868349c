import type { TextStats } from "../report.js";
import type { PageOutcome } from "../assemble.js";

/** What a finished output amounts to. */
export interface Committed {
  /** The output as reported: a PDF path, `-` for a stream, or the image folder or pattern. */
  output: string;
  bytes: number;
}

/**
 * Where one document's pages go: a PDF (file or stream) or image files. Outcomes arrive in any
 * order; nothing is visible at the destination before commit(), and abort() leaves nothing behind.
 */
export interface PageSink {
  /** Records the outcome of the page at `index` (output order). */
  accept(index: number, outcome: PageOutcome): void;
  /** Waits for pending writes; rethrows the first write error. */
  flush(): Promise<void>;
  /** Pages written so far (rendered plus blank stand-ins). */
  readonly pagesWritten: number;
  /** Milliseconds spent reading page images and writing them out. */
  readonly assembleMs: number;
  /** `keepText`: what the text layers hold (PDF output only). */
  textStats?(): TextStats | undefined;
  /** Finishes the output and puts it in place. */
  commit(): Promise<Committed>;
  /** Stops and removes whatever was written. Never throws. */
  abort(): Promise<void>;
}
