/**
 * How a page's handling ends when it does not end with an image: control flow between the parts of
 * the cluster worker (and the submitter), as classes rather than tags on plain objects.
 */

/** The page failed on this machine (its render, or fetching its input): the submitter is told, and may retry it elsewhere. */
export class PageFailedError extends Error {
  override readonly name = "PageFailedError";
}

/** The page was cancelled (its run ended, or the submitter gave up on it): nobody waits for it. */
export class PageCancelledError extends Error {
  override readonly name = "PageCancelledError";
  constructor() {
    super("cancelled");
  }
}

/** The page was taken but not started when the worker began to stop (or another one went idle): back to the queue with it. */
export class PageHandedBackError extends Error {
  override readonly name = "PageHandedBackError";
  constructor() {
    super("handed back");
  }
}

/** A worker said the page was done, but its image is not in the store (expired?): the attempt failed. */
export class PageLostError extends Error {
  override readonly name = "PageLostError";
}
