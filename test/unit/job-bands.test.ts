import { describe, expect, it } from "vitest";
import { bandedTasks } from "../../src/bands/plan.js";
import { DocumentJob } from "../../src/job.js";
import { normalizeOptions } from "../../src/options.js";
import { layoutPage } from "../../src/paper.js";
import type { Plan } from "../../src/plan.js";
import type { PageResult, PageTask } from "../../src/pool/messages.js";
import type { ProgressEvent } from "../../src/report.js";
import type { PageOutcome } from "../../src/assemble.js";
import { pageTask } from "../helpers/task.js";

const opts = normalizeOptions({ onError: "blank" });
const layout = layoutPage(612, 792, opts);
const task = (id: number, pageNumber: number): PageTask =>
  pageTask({ id, pageNumber, source: "in.pdf", width: 100, height: 64, scaleX: 1, scaleY: 1, ppi: 72, outPath: `/nonexistent/page-${id}.jpg` });

/** A document of two pages: page 1 in 4 bands (tasks 0-3), page 2 whole (task 4). */
async function job() {
  const banded = bandedTasks(task(0, 1), { budget: 2500, limit: 10 ** 6, images: false, firstId: 0 });
  if (!("tasks" in banded)) throw new Error(banded.error);
  const plan: Plan = {
    pageCount: 2,
    engine: "pdfjs",
    nextTaskId: 5,
    pages: [
      { pageNumber: 1, layout, tasks: banded.tasks },
      { pageNumber: 2, layout, tasks: [task(4, 2)] },
    ],
  };
  const events: ProgressEvent[] = [];
  const outcomes: Array<[number, PageOutcome]> = [];
  const dropped: PageTask[][] = [];
  const all = plan.pages.flatMap((p) => ("tasks" in p ? p.tasks : []));
  const j = await DocumentJob.open(
    {
      input: null,
      output: "out.pdf",
      plan,
      opts,
      emit: (e) => events.push(e),
      control: { cancel: () => {}, drop: (matches) => dropped.push(all.filter(matches)) },
      started: 0,
      planMs: 0,
    },
    async () => ({ accept: (i, o) => outcomes.push([i, o]), flush: async () => {}, pagesWritten: 0, assembleMs: 0, commit: async () => ({ output: "", bytes: 0 }), abort: async () => {} }),
  );
  j.start(2);
  return { j, plan, events, outcomes, dropped, bands: banded.tasks };
}

const result = (t: PageTask): PageResult => ({
  id: t.id,
  engine: "pdfjs",
  path: t.outPath,
  bytes: 10,
  outputBytes: 10,
  format: "jpeg",
  width: t.width,
  height: t.height,
  components: 3,
  bitsPerComponent: 8,
  timings: { load: 1, draw: 2, readback: 0, encode: 3, write: 0, total: 10 },
});

describe("a document's banded pages", () => {
  it("a page is done once all its bands are, with one page-done and its bands in order", async () => {
    const { j, events, outcomes, bands } = await job();
    expect(bands).toHaveLength(4);
    for (const band of [bands[2]!, bands[0]!, bands[3]!]) j.onResult(band, result(band), { workerPid: 1, elapsedMs: 10 });
    expect(events.filter((e) => e.type === "page-done")).toHaveLength(0);
    j.onResult(bands[1]!, result(bands[1]!), { workerPid: 2, elapsedMs: 10 });
    expect(events.filter((e) => e.type === "page-done")).toEqual([expect.objectContaining({ page: 1, done: 1, total: 2, bytes: 40, ms: 40, worker: 2 })]);
    expect(outcomes).toHaveLength(1);
    const [index, outcome] = outcomes[0]!;
    expect(index).toBe(0);
    expect(outcome.kind === "image" && outcome.results.map((r) => r.id)).toEqual([0, 1, 2, 3]);
  });

  it("a band that fails for good fails its page once and drops the page's queued bands, not other pages' tasks", async () => {
    const { j, events, outcomes, dropped, bands } = await job();
    j.onFailure(bands[1]!, "boom", false);
    expect(events.filter((e) => e.type === "page-failed")).toEqual([expect.objectContaining({ page: 1, willRetry: true })]);
    j.onFailure(bands[1]!, "boom", true);
    expect(dropped.map((tasks) => tasks.map((t) => t.id))).toEqual([[0, 1, 2, 3]]);
    j.onFailure(bands[2]!, "later", true); // a band that was in flight meanwhile
    j.onResult(bands[0]!, result(bands[0]!), { workerPid: 1, elapsedMs: 10 });
    const failed = events.filter((e) => e.type === "page-failed" && !e.willRetry);
    expect(failed).toEqual([expect.objectContaining({ page: 1, reason: "boom", done: 1 })]);
    expect(outcomes).toEqual([[0, { kind: "failed" }]]);
    expect(events.filter((e) => e.type === "page-done")).toHaveLength(0);
  });
});
