import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { AbortError, rasterize, rasterizeBatch, type ProgressEvent, type RasterizeReport } from "../../dist/index.js";
import { CLI, corpus, leftoverTempDirs, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { inspectPdf } from "../helpers/pdf.js";

/** Runs the CLI with `stdin` as its standard input and its standard output kept as bytes. */
function runPiped(args: string[], stdin: Uint8Array, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(stdin);
  });
}

const visible = (dir: string): string[] => readdirSync(dir).filter((name) => !name.startsWith(".")).sort();

describe("image output: one file per page", () => {
  it("a folder gets <input-stem>-<page>.jpg, each the page at the requested DPI", async () => {
    const dir = scratch();
    const result = await runCli([SAMPLE, join(dir, "out") + "/", "--dpi", "36", "--json", "--quiet"], { env: { TMPDIR: dir } });
    expect(result.code).toBe(0);
    expect(visible(join(dir, "out"))).toEqual(["sample-1.jpg", "sample-2.jpg", "sample-3.jpg", "sample-4.jpg", "sample-5.jpg"]);
    expect(readdirSync(join(dir, "out")).length).toBe(5); // no staging folder left
    const sizes = await Promise.all(visible(join(dir, "out")).map(async (name) => {
      const meta = await sharp(join(dir, "out", name)).metadata();
      return [meta.format, meta.width, meta.height];
    }));
    // 36 DPI: half a pixel per point; /Rotate and the CropBox honoured as in PDF output.
    expect(sizes).toEqual([
      ["jpeg", 306, 396],
      ["jpeg", 421, 298],
      ["jpeg", 396, 306],
      ["jpeg", 150, 200],
      ["jpeg", 298, 421],
    ]);
    const report = JSON.parse(result.stdout) as RasterizeReport;
    expect(report).toMatchObject({ outputPages: 5, output: join(dir, "out") + "/" });
    expect(leftoverTempDirs(dir)).toEqual([]);
  });

  it("a %d pattern names each file by its page number; its extension sets the format; other files are left alone", async () => {
    const dir = scratch();
    mkdirSync(join(dir, "out"));
    writeFileSync(join(dir, "out", "keep.txt"), "mine");
    const pattern = join(dir, "out", "page-%03d.png");
    const result = await runCli([SAMPLE, pattern, "--dpi", "36", "--pages", "4,2", "--color", "gray", "--quiet"]);
    expect(result.code).toBe(0);
    expect(readdirSync(join(dir, "out")).sort()).toEqual(["keep.txt", "page-002.png", "page-004.png"]);
    const meta = await sharp(join(dir, "out", "page-004.png")).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(["png", 150, 200, 1]);
    expect(readFileSync(join(dir, "out", "keep.txt"), "utf8")).toBe("mine");
  });

  it("renders the whole sheet: paper size, margins and background are in the image", async () => {
    const dir = scratch();
    const out = join(dir, "a4", "p%d.png");
    const result = await runCli([SAMPLE, out, "--dpi", "72", "--pages", "1", "--size", "A4", "--margin", "1in", "--background", "#336699", "--quiet"]);
    expect(result.code).toBe(0);
    const { data, info } = await sharp(join(dir, "a4", "p1.png")).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([595, 842]); // A4 at 72 DPI
    const pixel = (x: number, y: number): number[] => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    expect(pixel(10, 10)).toEqual([0x33, 0x66, 0x99]); // the margin
    expect(pixel(297, 10)).toEqual([0x33, 0x66, 0x99]);
    // The red rectangle (72..272 x 212..372 pt on the page) lands inside the 1 in margin, scaled to fit.
    const s = (595.276 - 144) / 612;
    const [x, y] = [Math.round(72 + 150 * s), Math.round(72 + (842 - 144 - 792 * s) / 2 + 300 * s)];
    expect(pixel(x, y)).toEqual([217, 26, 26]);
  });

  it("--format auto in a folder picks the extension per page", async () => {
    const dir = scratch();
    const result = await runCli([corpus("tracemonkey.pdf"), join(dir, "out") + "/", "--dpi", "150", "--pages", "1,11", "--format", "auto", "--quiet"]);
    expect(result.code).toBe(0);
    expect(visible(join(dir, "out"))).toEqual(["tracemonkey-01.png", "tracemonkey-11.jpg"]);
    const meta = await sharp(join(dir, "out", "tracemonkey-01.png")).metadata();
    expect([meta.channels, meta.depth]).toEqual([1, "uchar"]);
  });

  it("writes nothing when the run fails or is aborted: no page files, no staging folder", async () => {
    const dir = scratch();
    // Pages 2 and 5 are over the pixel budget, so --on-error abort drops the whole set.
    const result = await runCli([SAMPLE, join(dir, "out") + "/", "--dpi", "72", "--max-pixels", "490000", "--quiet"], { env: { TMPDIR: dir } });
    expect(result.code).toBe(3);
    expect(readdirSync(dir)).toEqual([]);

    mkdirSync(join(dir, "existing"));
    const controller = new AbortController();
    const run = rasterize(corpus("tracemonkey.pdf"), join(dir, "existing"), {
      dpi: 100,
      workers: 2,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === "page-done") controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(readdirSync(join(dir, "existing"))).toEqual([]);
  });

  it("every page image declares its DPI (PNG pHYs, JPEG JFIF): each format and colour, banded pages and blank sheets", async () => {
    const dir = scratch();
    const runs = [["jpeg", "rgb"], ["jpeg", "gray"], ["png", "rgb"], ["png", "gray"], ["png", "mono"], ["auto", "rgb"], ["auto", "gray"]].map(([format, color]) => ["--format", format!, "--color", color!]);
    runs.push(["--band-pixels", "20000"]); // bands joined by the master
    runs.push(["--max-pixels", "50000", "--on-error", "blank", "--format", "png"]); // blank sheets
    for (const [i, extra] of runs.entries()) {
      const out = join(dir, String(i));
      const result = await runCli([SAMPLE, out + "/", "--dpi", "40", "--size", "A5", "--pages", "1,2", "--workers", "2", ...extra]);
      expect(result.code, result.stderr).toBe(extra.includes("blank") ? 3 : 0);
      for (const name of visible(out)) {
        const meta = await sharp(join(out, name)).metadata();
        // A5 at 40 DPI is 233x331 (the sheet's DPI, not the page content's scale; page 2 is landscape).
        // Before the fix PNG said 25.4 DPI (pHYs 1 px/mm) and JPEG nothing (read as 72).
        const sides = [meta.width, meta.height].sort((a, b) => a - b);
        expect([name, extra.join(" "), ...sides, meta.density]).toEqual([name, extra.join(" "), 233, 331, 40]);
      }
    }
  });

  it("--on-error blank writes a blank sheet in place of a failed page; skip leaves it out", async () => {
    const dir = scratch();
    const args = (out: string, mode: string): string[] => [SAMPLE, out, "--dpi", "72", "--max-pixels", "490000", "--on-error", mode, "--quiet"];
    expect((await runCli(args(join(dir, "blank") + "/", "blank"))).code).toBe(3);
    expect(visible(join(dir, "blank"))).toHaveLength(5);
    const blank = await sharp(join(dir, "blank", "sample-2.jpg")).stats();
    expect(await sharp(join(dir, "blank", "sample-2.jpg")).metadata()).toMatchObject({ width: 842, height: 595 });
    expect(blank.channels.every((c) => c.min > 240)).toBe(true);
    expect((await runCli(args(join(dir, "skip") + "/", "skip"))).code).toBe(3);
    expect(visible(join(dir, "skip"))).toEqual(["sample-1.jpg", "sample-3.jpg", "sample-4.jpg"]);
  });

  it("an output named .png or .jpg with one page selected is that page as one image, not a PDF under that name", async () => {
    const dir = scratch();
    for (const [name, format] of [["page.png", "png"], ["page.jpg", "jpeg"]] as const) {
      const result = await runCli([SAMPLE, join(dir, name), "--pages", "2", "--dpi", "36", "--quiet"]);
      expect(result.code, result.stderr).toBe(0);
      expect(await sharp(join(dir, name)).metadata()).toMatchObject({ format, width: 421, height: 298, density: 36 });
    }
    expect(readdirSync(dir).sort()).toEqual(["page.jpg", "page.png"]); // no staging folder left
  });

  it("refuses what it cannot honour, before rendering (exit 2)", async () => {
    const dir = scratch();
    for (const [args, message] of [
      [["out/p-%d.jpg", "--format", "png"], /extension asks for jpeg/],
      [["out/p-%d.jpg", "--color", "mono"], /stored 1-bit and lossless/],
      [["out/", "--color", "mono", "--format", "jpeg"], /stored 1-bit and lossless/], // the same rule into a folder (before: PNG files, silently)
      [["out.pdf", "--color", "mono", "--format", "jpeg"], /stored 1-bit and lossless/],
      [["out/p-%d.png", "--pages", "1,1"], /page 1 more than once/],
      [["out/p-%d-%d.png"], /one %d/],
      [["out/p-%d.gif"], /\.png, \.jpg, \.jpeg, \.tif or \.tiff/],
      [["no/such/dir/"], /does not exist/],
      [["out/p-%d.png", "--keep-text"], /for PDF output/],
      [["page.png"], /page\.png is one image, but 5 pages are selected: .*\(out\/\).*\(page-%d\.png\)/],
      [["page.jpg", "--pages", "2-3"], /2 pages are selected/],
      [["out.webp", "--pages", "1"], /does not write \.webp/],
    ] as const) {
      const result = await runCli([SAMPLE, join(dir, args[0]), ...args.slice(1)]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("pipes: - for standard input and output", () => {
  it("reads the PDF from stdin and streams the output PDF to stdout, the summary on stderr", async () => {
    const result = await runPiped(["-", "-", "--dpi", "36"], readFileSync(SAMPLE));
    expect(result.code).toBe(0);
    expect(result.stdout.subarray(0, 8).toString("latin1")).toBe("%PDF-1.4");
    const dir = scratch();
    writeFileSync(join(dir, "out.pdf"), result.stdout);
    expect((await inspectPdf(join(dir, "out.pdf"))).pages).toHaveLength(5);
    expect(result.stderr).toMatch(/5\/5 pages rendered.*-/);
  });

  it("writes nothing to stdout when the run fails", async () => {
    const bad = await runPiped(["-", "-"], Buffer.from("not a pdf at all"));
    expect(bad.code).toBe(2);
    expect(bad.stdout.length).toBe(0);
    expect(bad.stderr).toMatch(/not a readable PDF/);
    const failed = await runPiped([SAMPLE, "-", "--dpi", "72", "--max-pixels", "490000"], new Uint8Array());
    expect(failed.code).toBe(3);
    expect(failed.stdout.length).toBe(0);
    const json = await runPiped([SAMPLE, "-", "--json"], new Uint8Array());
    expect(json.code).toBe(2);
  });
});

describe("batches: many documents through one pool", () => {
  it("writes <out-dir>/<stem>.pdf for each input, reports the unreadable one and goes on (exit 2)", async () => {
    const dir = scratch();
    const broken = join(dir, "broken.pdf");
    writeFileSync(broken, "%PDF-1.4 but nothing else");
    const out = join(dir, "out");
    const result = await runCli(["--out-dir", out, SAMPLE, broken, corpus("tracemonkey.pdf"), "--dpi", "36", "--workers", "2", "--json", "--quiet"], { env: { TMPDIR: dir } });
    expect(result.code).toBe(2);
    expect(visible(out)).toEqual(["sample.pdf", "tracemonkey.pdf"]);
    expect((await inspectPdf(join(out, "sample.pdf"))).pages).toHaveLength(5);
    expect((await inspectPdf(join(out, "tracemonkey.pdf"))).pages).toHaveLength(14);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ succeeded: 2, failed: 1, failedPages: 0 });
    expect(report.documents.map((d: { input: string }) => d.input)).toEqual([SAMPLE, broken, corpus("tracemonkey.pdf")]);
    expect(report.documents[1]).toMatchObject({ output: null, error: { code: "ERR_INPUT" } });
    expect(report.documents[2]).toMatchObject({ pages: 14, rendered: 14, output: join(out, "tracemonkey.pdf") });
    expect(leftoverTempDirs(dir)).toEqual([]);
  });

  it("--json reports every document's input in one form, absolute, whether it failed or not", async () => {
    const dir = scratch();
    copyFileSync(SAMPLE, join(dir, "ok.pdf"));
    const result = await runCli(["--out-dir", "out", "ok.pdf", "missing.pdf", "--dpi", "20", "--pages", "1", "--json", "--quiet"], { cwd: dir });
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as { documents: Array<{ input: string }> };
    expect(report.documents.map((d) => d.input)).toEqual([join(dir, "ok.pdf"), join(dir, "missing.pdf")]); // before: `missing.pdf` as typed
  });

  it("exits 3 when a page of any document failed, even if another document could not be read", async () => {
    const dir = scratch();
    const result = await runCli(["--out-dir", dir, SAMPLE, join(dir, "missing.pdf"), "--dpi", "72", "--max-pixels", "490000", "--on-error", "skip", "--quiet"]);
    expect(result.code).toBe(3);
    expect((await inspectPdf(join(dir, "sample.pdf"))).pages).toHaveLength(3);
  });

  it("--quiet still lists what failed: the unreadable documents and the failed pages (only progress and summaries go)", async () => {
    const dir = scratch();
    const truncated = join(dir, "truncated.pdf");
    writeFileSync(truncated, readFileSync(SAMPLE).subarray(0, 3000));
    const result = await runCli(["--out-dir", join(dir, "out"), truncated, SAMPLE, join(dir, "missing.pdf"), "--dpi", "72", "--max-pixels", "490000", "--on-error", "skip", "--quiet"]);
    expect(result.code).toBe(3);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines.filter((line) => line.includes("truncated.pdf"))).toHaveLength(1);
    expect(lines.filter((line) => line.includes("missing.pdf"))).toHaveLength(1);
    // sample.pdf's pages 2 and 5 (landscape) are over --max-pixels: each listed once, without retry notices
    expect(lines.filter((line) => /sample\.pdf: page \d failed: /.test(line))).toHaveLength(2);
    expect(result.stderr).not.toMatch(/retrying|pages rendered|documents:/);
  });

  it("expands glob patterns itself (for shells that do not) and refuses two inputs with one output name", async () => {
    const dir = scratch();
    mkdirSync(join(dir, "in"));
    copyFileSync(SAMPLE, join(dir, "in", "a.pdf"));
    copyFileSync(SAMPLE, join(dir, "in", "b.pdf"));
    writeFileSync(join(dir, "in", "notes.txt"), "");
    const out = join(dir, "out");
    const result = await runCli(["--out-dir", out, join(dir, "in", "*.pdf"), "--dpi", "20", "--pages", "1", "--quiet"]);
    expect(result.code).toBe(0);
    expect(visible(out)).toEqual(["a.pdf", "b.pdf"]);

    const none = await runCli(["--out-dir", out, join(dir, "in", "*.tiff")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No file matches/);
    mkdirSync(join(dir, "other"));
    copyFileSync(SAMPLE, join(dir, "other", "a.pdf"));
    const clash = await runCli(["--out-dir", out, join(dir, "in", "a.pdf"), join(dir, "other", "a.pdf")]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/would both be written to/);
  });

  it("API: rasterizeBatch shares one pool across documents and reports per document, in input order", async () => {
    const dir = scratch();
    process.env.TMPDIR = dir;
    const events: ProgressEvent[] = [];
    const inputs = [corpus("tracemonkey.pdf"), SAMPLE, join(dir, "missing.pdf")];
    const report = await rasterizeBatch(inputs, join(dir, "out"), { dpi: 36, workers: 2, onProgress: (e) => events.push(e) });
    expect(report.documents.map((d) => d.input)).toEqual(inputs);
    expect(report).toMatchObject({ succeeded: 2, failed: 1, failedPages: 0, workers: 2 });
    expect(report.documents[2]).toMatchObject({ output: null, error: { code: "ERR_INPUT" } });

    const done = events.filter((e): e is Extract<ProgressEvent, { type: "page-done" }> => e.type === "page-done");
    expect(done).toHaveLength(19);
    // One pool: at most two worker processes in all, and a worker served pages of both documents.
    const pids = new Set(done.map((e) => e.worker));
    expect(pids.size).toBeLessThanOrEqual(2);
    expect([...pids].some((pid) => new Set(done.filter((e) => e.worker === pid).map((e) => e.input)).size === 2)).toBe(true);
    expect(events.filter((e) => e.type === "document-done").map((e) => e.input).sort()).toEqual([SAMPLE, corpus("tracemonkey.pdf")].sort());
    expect(events.filter((e) => e.type === "document-failed").map((e) => e.input)).toEqual([inputs[2]]);
    expect(leftoverTempDirs(dir)).toEqual([]);
  });
});

describe("aborting a batch", () => {
  it("keeps the documents already written and leaves nothing of the others", async () => {
    const dir = scratch();
    process.env.TMPDIR = dir;
    copyFileSync(SAMPLE, join(dir, "c.pdf"));
    const out = join(dir, "out");
    const controller = new AbortController();
    const finished: string[] = [];
    const run = rasterizeBatch([SAMPLE, corpus("tracemonkey.pdf"), join(dir, "c.pdf")], out, {
      dpi: 72,
      workers: 2,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type !== "document-done") return;
        finished.push(event.report.output!);
        controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(out).map((name) => join(out, name)).sort()).toEqual(finished.sort()); // no partial files, no others
    for (const file of finished) expect((await inspectPdf(file)).pages.length).toBeGreaterThan(0);
    expect(leftoverTempDirs(dir)).toEqual([]);
  });
});

describe("--progress json", () => {
  it("writes one JSON object per line on stderr: opened, each page with timing, failures with reasons, done", async () => {
    const dir = scratch();
    const result = await runCli([SAMPLE, join(dir, "out.pdf"), "--dpi", "72", "--max-pixels", "490000", "--on-error", "blank", "--progress", "json"]);
    expect(result.code).toBe(3);
    const lines = result.stderr.trimEnd().split("\n");
    const events = lines.map((line) => JSON.parse(line) as ProgressEvent); // every line parses
    expect(events[0]).toMatchObject({ type: "document-open", input: SAMPLE, pages: 5, selected: 5 });
    expect(events.at(-1)).toMatchObject({ type: "document-done", report: { rendered: 3, outputPages: 5 } });
    const pages = events.filter((e) => e.type === "page-done");
    expect(pages.map((e) => e.page).sort()).toEqual([1, 3, 4]);
    for (const e of pages) expect(e).toMatchObject({ input: SAMPLE, ms: expect.any(Number), bytes: expect.any(Number), worker: expect.any(Number) });
    const failed = events.filter((e) => e.type === "page-failed");
    expect(failed.map((e) => [e.page, e.willRetry])).toEqual([
      [2, false],
      [5, false],
    ]);
    expect(failed[0]).toMatchObject({ reason: expect.stringMatching(/max-pixels/) });
  });

  it("a fatal error is a JSON line too", async () => {
    const result = await runCli([join(scratch(), "missing.pdf"), "out.pdf", "--progress", "json"]);
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stderr)).toMatchObject({ type: "error", code: "ERR_INPUT", exitCode: 2, message: expect.stringMatching(/no such file/) });
  });

  it("a batch: events name their document", async () => {
    const dir = scratch();
    const result = await runCli(["--out-dir", dir, SAMPLE, corpus("tracemonkey.pdf"), join(dir, "nope.pdf"), "--dpi", "20", "--pages", "1", "--progress", "json"]);
    expect(result.code).toBe(2);
    const events = result.stderr.trimEnd().split("\n").map((line) => JSON.parse(line) as ProgressEvent);
    expect(events.filter((e) => e.type === "document-done").map((e) => e.input).sort()).toEqual([SAMPLE, corpus("tracemonkey.pdf")].sort());
    expect(events.find((e) => e.type === "document-failed")).toMatchObject({ input: join(dir, "nope.pdf"), error: { code: "ERR_INPUT" } });
    expect(events.filter((e) => e.type === "page-done").every((e) => e.input === SAMPLE || e.input === corpus("tracemonkey.pdf"))).toBe(true);
  });
});
