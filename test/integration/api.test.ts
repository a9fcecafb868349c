import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { AbortError, InputError, rasterize, UsageError, type ProgressEvent } from "../../dist/index.js";
import { corpus, leftoverTempDirs, SAMPLE, scratch } from "../helpers/cli.js";
import { inspectPdf } from "../helpers/pdf.js";
import { workerPidsOf } from "../helpers/processes.js";

/** Worker processes of ours that are children of this process. */
const workerPids = (): number[] => workerPidsOf(process.pid);

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("rasterize() API", () => {
  let tmp: string;
  beforeAll(() => {
    tmp = scratch("pdfraster-api-");
    process.env.TMPDIR = tmp; // pdfraster's temp dirs go here, so leftovers can be seen
  });

  it("takes bytes, reports every field and sends progress events in a sensible order", async () => {
    const out = join(tmp, "bytes.pdf");
    const events: ProgressEvent[] = [];
    const report = await rasterize(new Uint8Array(readFileSync(SAMPLE)), out, {
      dpi: 50,
      size: "A4",
      workers: 2,
      onProgress: (e) => events.push(e),
    });
    expect(report).toMatchObject({ input: null, output: out, pages: 5, selected: 5, rendered: 5, failed: [], outputPages: 5, workers: 2, dpi: 50, size: "A4", format: "auto" }); // a PDF's default
    expect(report.outputBytes).toBe(readFileSync(out).length);
    expect(report.durationMs).toBeGreaterThan(0);
    expect(report.timings.draw + report.timings.readback).toBeGreaterThan(0);
    expect(events[0]?.type).toBe("document-open");
    expect(events.at(-1)?.type).toBe("document-done");
    const done = events.filter((e) => e.type === "page-done");
    expect(done.map((e) => e.page).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(done.map((e) => e.done)).toEqual([1, 2, 3, 4, 5]);
    expect((await inspectPdf(out)).pages).toHaveLength(5);
    expect(leftoverTempDirs(tmp)).toEqual([]);
  });

  it("throws typed errors with codes for bad options and inputs", async () => {
    await expect(rasterize(SAMPLE, join(tmp, "x.pdf"), { dpi: -1 })).rejects.toBeInstanceOf(UsageError);
    await expect(rasterize(SAMPLE, join(tmp, "x.pdf"), { dpi: -1 })).rejects.toMatchObject({ code: "ERR_USAGE", exitCode: 2 });
    await expect(rasterize(join(tmp, "missing.pdf"), join(tmp, "x.pdf"))).rejects.toBeInstanceOf(InputError);
    await expect(rasterize(new Uint8Array([1, 2, 3]), join(tmp, "x.pdf"))).rejects.toMatchObject({ code: "ERR_INPUT" });
    // A misspelt option is refused, not ignored (before the fix `dpl` rendered at 300 DPI)
    const typo = rasterize(SAMPLE, join(tmp, "x.pdf"), { dpl: 100 } as never);
    await expect(typo).rejects.toBeInstanceOf(UsageError);
    await expect(typo).rejects.toThrow("Unknown option `dpl` (did you mean `dpi`?)");
    expect(existsSync(join(tmp, "x.pdf"))).toBe(false);
    expect(leftoverTempDirs(tmp)).toEqual([]);
  });

  it("stops on abort: rejects with AbortError, kills workers, writes nothing, removes its temp dir", async () => {
    const out = join(tmp, "aborted.pdf");
    const controller = new AbortController();
    const run = rasterize(corpus("tracemonkey.pdf"), out, {
      dpi: 150,
      workers: 2,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === "page-done") controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.startsWith(".aborted"))).toEqual([]);
    expect(leftoverTempDirs(tmp)).toEqual([]);
    await waitFor(() => workerPids().length === 0);
    await expect(rasterize(SAMPLE, out, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });

  it("does not lose the page of a worker killed mid-run: it is retried on a fresh worker", async () => {
    const out = join(tmp, "killed.pdf");
    let killed = 0;
    const report = await rasterize(corpus("tracemonkey.pdf"), out, {
      dpi: 150,
      workers: 2,
      onProgress: (e) => {
        // Kill every worker: one is mid-page, the other is handed its next page right after this event.
        if (e.type === "page-done" && killed === 0) {
          for (const pid of workerPids()) {
            process.kill(pid, "SIGKILL");
            killed++;
          }
        }
      },
    });
    expect(killed).toBeGreaterThan(0);
    expect(report.rendered).toBe(14);
    expect(report.failed).toEqual([]);
    expect(report.retried.length).toBeGreaterThanOrEqual(1);
    expect((await inspectPdf(out)).pages.every((p) => p.images.length === 1)).toBe(true);
    expect((await inspectPdf(out)).pages).toHaveLength(14);
    await waitFor(() => workerPids().length === 0);
    expect(leftoverTempDirs(tmp)).toEqual([]);
  });
});
