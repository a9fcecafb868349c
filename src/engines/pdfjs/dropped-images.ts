/**
 * pdf.js leaves out an image bigger than its `maxImageSize` (pixels) and says so only as a warning
 * (evaluator.js: "Image exceeded maximum allowed size and was removed."), unless `stopAtErrors`, which
 * would also turn every error it recovers from into a failed page. A page drawn without its image looks
 * blank and must not pass for rendered: the warnings are watched here and counted, so that the engine
 * fails such a page with its reason (and the fallback engine, if any, draws it).
 *
 * pdf.js's worker runs in the render process's own thread in Node, and its `warn` writes with
 * console.warn("Warning: ...") at VerbosityLevel.WARNINGS: the engine opens documents at that level,
 * and every other pdf.js warning is dropped here, as VerbosityLevel.ERRORS did before.
 */
const DROPPED = "Image exceeded maximum allowed size and was removed.";

let dropped = 0;
let watching = false;

/** Starts watching pdf.js's warnings (once per process). */
export function watchDroppedImages(): void {
  if (watching) return;
  watching = true;
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]): void => {
    const [first] = args;
    if (typeof first === "string" && first.startsWith("Warning: ")) {
      if (first.includes(DROPPED)) dropped++;
      return;
    }
    warn(...args);
  };
}

/** Images pdf.js has left out in this process so far. */
export function droppedImages(): number {
  return dropped;
}
