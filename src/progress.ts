import type { BatchReport, ProgressEvent, RasterizeReport } from "./report.js";

/** A one-line progress bar on a TTY stream: pages done/total, pages/s and ETA. */
export class ProgressBar {
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(event: ProgressEvent): void {
    if (event.type !== "page-done" && event.type !== "page-failed") return;
    this.draw(event.done, event.total);
  }

  /** Draws `done` of `total` pages (a batch passes its totals over all documents opened so far). */
  draw(done: number, total: number): void {
    const now = performance.now();
    if (now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const seconds = (now - this.started) / 1000;
    const rate = done / Math.max(seconds, 1e-3);
    const eta = rate > 0 ? (total - done) / rate : 0;
    const width = 24;
    const filled = Math.min(width, Math.round((width * done) / Math.max(total, 1)));
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} pages  ${rate.toFixed(1)} pages/s  ETA ${formatDuration(eta)}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns || 80) - 1)}\x1b[K`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) this.stream.write("\r\x1b[K");
    this.drawn = false;
  }
}

/** The summary line printed at the end of a run. */
export function summaryLine(report: RasterizeReport): string {
  const seconds = (report.durationMs / 1000).toFixed(1);
  const ratio = report.inputBytes > 0 ? `, ${formatRatio(report.outputBytes / report.inputBytes)} the input` : "";
  const out = report.output ? `${report.output} (${formatBytes(report.outputBytes)}${ratio})` : "no output written";
  const fallback = report.fallbackPages.length > 0 ? ` (${report.fallbackPages.length} by ${report.fallbackEngine})` : "";
  const text = report.text ? `, text: ${report.text.kept} runs kept, ${report.text.hidden} hidden dropped${truncated(report.text.truncatedPages)}` : "";
  return `${report.rendered}/${report.selected} pages rendered${fallback}, ${report.failed.length} failed${text}, ${seconds} s, ${out}`;
}

function truncated(pages: number[]): string {
  return pages.length === 0 ? "" : ` (text cut at the limit on page${pages.length === 1 ? "" : "s"} ${pages.join(", ")})`;
}

/** The closing line of a batch. */
export function batchSummaryLine(report: BatchReport): string {
  const seconds = (report.durationMs / 1000).toFixed(1);
  const n = report.documents.length;
  return `${n} document${n === 1 ? "" : "s"}: ${report.succeeded} written, ${report.failed} failed, ${report.failedPages} page(s) failed, ${seconds} s`;
}

/** `2.1x`, `12x`, `0.45x`: two significant digits (at least one decimal below 10). */
export function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? Math.round(ratio) : ratio >= 1 ? ratio.toFixed(1) : ratio.toPrecision(2)}x`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.ceil(seconds % 60)).padStart(2, "0")}s`;
}
