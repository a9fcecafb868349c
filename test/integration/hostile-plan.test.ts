/**
 * Planning against crafted documents (issue 19, items 2 and 3): the document is opened and its page
 * tree, page boxes and metadata read in a thread of its own (src/survey/), so that a 100,000-page flat
 * page tree leaves Ctrl-C working, a looping page tree cannot hang the master, a structure that fills
 * the thread's heap is a clean error, and metadata is cut to size. Real CLI runs and a real service;
 * every input is made by test/helpers/hostile-pdfs.ts.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PDFDocument } from "pdf-lib";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, leftoverTempDirs, runCli, scratch } from "../helpers/cli.js";
import { makeCyclicPageTreePdf, makeFlatPagesPdf, makeHugeMetadataPdf } from "../helpers/hostile-pdfs.js";
import { form, ready, startServe, stopAll, whilePolled } from "../helpers/serve.js";

afterAll(stopAll);

describe("a flat page tree of 100,000 pages", () => {
  const dir = scratch();
  const flat = join(dir, "flat-100000.pdf");
  makeFlatPagesPdf(flat, 100_000);

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s while it is planned ends the CLI within a second: one line, nothing left", async (signal, code) => {
    const tmp = scratch();
    const out = join(tmp, "out.pdf");
    const child = spawn(process.execPath, [CLI, flat, out, "--pages", "99001-100000", "--dpi", "10"], { env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (status) => resolve(status)));
    // pdf.js takes several seconds to open this tree, in one piece: the signal comes in the middle of it.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const sent = performance.now();
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const status = await exited;
    clearTimeout(timer);
    const seconds = (performance.now() - sent) / 1000;
    // Before the fix the open ran on the main thread: the signal waited for it (3.6 s after 4 s here; minutes on the page lookups).
    expect([status, stderr]).toEqual([code, `pdfraster: Interrupted by ${signal}\n`]);
    expect(seconds).toBeLessThan(1);
    expect(leftoverTempDirs(tmp)).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it("fills a planning thread capped by --max-worker-memory: exit 2 with one line, not the master's memory", async () => {
    const tmp = scratch();
    const run = await runCli([flat, join(tmp, "out.pdf"), "--pages", "1", "--dpi", "10", "--max-worker-memory", "64"], { env: { TMPDIR: tmp } });
    // Before the fix the master opened it on its own heap, uncapped, and rendered page 1 (exit 0).
    expect([run.code, run.stderr]).toEqual([2, `pdfraster: ${flat} cannot be planned: reading it needs more than 64 MB\n`]);
    expect(leftoverTempDirs(tmp)).toEqual([]);
  });
});

describe("a page tree that loops", () => {
  it("through /Parent (walked for an inherited MediaBox): planned and rendered, where the master used to hang for good", async () => {
    const dir = scratch();
    const input = join(dir, "parents.pdf");
    makeCyclicPageTreePdf(input, "parents");
    // --box trim reads the boxes as written (engines/pdfjs/boxes.ts), walking /Parent: before the fix an endless loop
    // in the master, deaf to SIGTERM (runCli's timeout would kill it).
    const run = await runCli([input, join(dir, "out.pdf"), "--box", "trim", "--dpi", "10", "--quiet"], { env: { TMPDIR: dir }, timeoutMs: 60_000 });
    expect([run.code, run.signal, run.stderr]).toEqual([0, null, ""]);
  });

  it("through /Kids: the pages fail with a reason (exit 3), no stack trace", async () => {
    const dir = scratch();
    const input = join(dir, "kids.pdf");
    makeCyclicPageTreePdf(input, "kids");
    const run = await runCli([input, join(dir, "out.pdf"), "--box", "trim", "--dpi", "10", "--quiet"], { env: { TMPDIR: dir }, timeoutMs: 60_000 });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^pdfraster: 2 page\(s\) failed:\n {2}page 1: cannot read the page: .+\n {2}page 2: cannot read the page: Pages tree contains circular reference\.\n$/);
    expect(leftoverTempDirs(dir)).toEqual([]);
  });
});

describe("huge metadata", () => {
  it("--keep-metadata keeps at most 32,767 characters of a field (an 8 MB title), read off the main thread", async () => {
    const dir = scratch();
    const input = join(dir, "meta.pdf");
    makeHugeMetadataPdf(input, 8_000_000, 100_000);
    const out = join(dir, "out.pdf");
    const run = await runCli([input, out, "--keep-metadata", "--dpi", "10", "--quiet"], { env: { TMPDIR: dir } });
    expect([run.code, run.stderr]).toEqual([0, ""]);
    const doc = await PDFDocument.load(readFileSync(out), { updateMetadata: false });
    // Before the fix the whole 8,000,000 characters were copied into the output (a 32 MB file).
    expect(doc.getTitle()).toBe("T".repeat(32_767));
  });
});

describe("serve: crafted page trees and metadata", () => {
  it("answers each upload and /healthz within a second all along", async () => {
    const dir = scratch();
    const parents = join(dir, "parents.pdf");
    const kids = join(dir, "kids.pdf");
    const meta = join(dir, "meta.pdf");
    makeCyclicPageTreePdf(parents, "parents");
    makeCyclicPageTreePdf(kids, "kids");
    makeHugeMetadataPdf(meta, 8_000_000, 100_000);
    const service = await startServe(["--workers", "1", "--time-limit", "60"]);
    await ready(service);
    const cases: Array<[string, Record<string, string>, number]> = [
      [parents, { dpi: "10", box: "trim" }, 200],
      [kids, { dpi: "10", box: "trim" }, 422],
      [meta, { dpi: "10", "keep-metadata": "1" }, 200],
    ];
    for (const [input, fields, status] of cases) {
      const request = fetch(`${service.url}/v1/rasterize`, { method: "POST", body: form(input, fields) });
      const { answer, unhealthy } = await whilePolled(service, request);
      expect([input, answer.status, unhealthy]).toEqual([input, status, []]);
    }
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });
});
