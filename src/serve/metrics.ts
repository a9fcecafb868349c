/** Upper bounds (seconds) of the page latency histogram: a tiny page takes ~10 ms, an A0 page at 600 dpi tens of seconds. */
const PAGE_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** What the service counts, written as Prometheus text (exposition format 0.0.4). */
export class Metrics {
  private readonly counters = new Map<string, number>();
  private readonly buckets = PAGE_BUCKETS.map(() => 0);
  private pageCount = 0;
  private pageSum = 0;
  /** Completed documents' durations, for Retry-After. */
  private recentMs: number[] = [];

  /** Adds to a counter; `labels` is the label text without braces, e.g. `status="done"`. */
  count(name: string, labels = "", by = 1): void {
    const key = labels ? `${name}{${labels}}` : name;
    this.counters.set(key, (this.counters.get(key) ?? 0) + by);
  }

  pageDone(ms: number): void {
    const s = ms / 1000;
    this.pageCount++;
    this.pageSum += s;
    for (const [i, bound] of PAGE_BUCKETS.entries()) if (s <= bound) this.buckets[i]!++;
  }

  documentDone(ms: number): void {
    this.recentMs.push(ms);
    if (this.recentMs.length > 20) this.recentMs = this.recentMs.slice(-20);
  }

  /** Seconds a client turned away should wait: the recent mean document time, 1-60 s. */
  retryAfterSeconds(): number {
    if (this.recentMs.length === 0) return 5;
    const mean = this.recentMs.reduce((a, b) => a + b, 0) / this.recentMs.length;
    return Math.min(60, Math.max(1, Math.ceil(mean / 1000)));
  }

  /** The text of GET /metrics; `gauges` are sampled now. */
  render(gauges: Record<string, { help: string; value: number }>): string {
    const lines: string[] = [];
    const help: Record<string, [string, string]> = {
      pdfraster_documents_total: ["counter", "Documents finished, by status (done, failed, cancelled)."],
      pdfraster_pages_total: ["counter", "Pages rendered."],
      pdfraster_page_failures_total: ["counter", "Pages that failed after their retry."],
      pdfraster_page_retries_total: ["counter", "Page attempts that failed and were retried."],
      pdfraster_rejected_total: ["counter", "Requests turned away, by reason (busy, too_large, unauthorized)."],
      pdfraster_http_requests_total: ["counter", "HTTP responses, by status code."],
    };
    const counterNames = new Set([...Object.keys(help), ...[...this.counters.keys()].map((key) => key.split("{")[0]!)]);
    for (const name of [...counterNames].sort()) {
      const [type, text] = help[name] ?? ["counter", name];
      lines.push(`# HELP ${name} ${text}`, `# TYPE ${name} ${type}`);
      const series = [...this.counters.entries()].filter(([key]) => key === name || key.startsWith(`${name}{`));
      if (series.length === 0) lines.push(`${name} 0`);
      for (const [key, value] of series) lines.push(`${key} ${value}`);
    }
    lines.push("# HELP pdfraster_page_duration_seconds Time a worker took for one page.", "# TYPE pdfraster_page_duration_seconds histogram");
    for (const [i, bound] of PAGE_BUCKETS.entries()) lines.push(`pdfraster_page_duration_seconds_bucket{le="${bound}"} ${this.buckets[i]}`);
    lines.push(`pdfraster_page_duration_seconds_bucket{le="+Inf"} ${this.pageCount}`);
    lines.push(`pdfraster_page_duration_seconds_sum ${round(this.pageSum)}`, `pdfraster_page_duration_seconds_count ${this.pageCount}`);
    for (const [name, gauge] of Object.entries(gauges)) {
      lines.push(`# HELP ${name} ${gauge.help}`, `# TYPE ${name} gauge`, `${name} ${gauge.value}`);
    }
    return `${lines.join("\n")}\n`;
  }
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
