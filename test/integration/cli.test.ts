import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { corpus, HAS_REFERENCE_TOOLS, leftoverTempDirs, ROOT, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { inspectPdf } from "../helpers/pdf.js";
import { expectSampleAt72Dpi } from "../helpers/sample.js";

const A4 = { width: 595.28, height: 841.89 };
const md5 = (path: string): string => createHash("md5").update(readFileSync(path)).digest("hex");

describe("pdfraster cluster: help for the command group", () => {
  it("--help shows its commands (exit 0); alone, the same on stderr (exit 2); an unknown command names the known one", async () => {
    const help = await runCli(["cluster", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: pdfraster cluster <command>/);
    expect(help.stdout).toMatch(/\n {2}status /);
    expect(help.stdout).toMatch(/pdfraster worker --redis URL/);
    expect((await runCli(["cluster", "-h"])).stdout).toBe(help.stdout);
    const alone = await runCli(["cluster"]);
    expect([alone.code, alone.stdout, alone.stderr]).toEqual([2, "", help.stdout]);
    const unknown = await runCli(["cluster", "stats"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("pdfraster: Unknown command `cluster stats`: the cluster's command is `status` (see pdfraster cluster --help)\n");
  });
});

describe("pdfraster CLI on real files", () => {
  it("finishes the job when the reader of stderr goes away (`--progress json 2>&1 | head -1`)", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const child = spawn(process.execPath, [join(ROOT, "dist/cli.js"), corpus("tracemonkey.pdf"), out, "--dpi", "30", "--workers", "1", "--progress", "json"], {
      env: { ...process.env, TMPDIR: dir },
      stdio: ["ignore", "ignore", "pipe"],
    });
    // Close our end after the first line: every later progress line meets a closed pipe (EPIPE).
    child.stderr.once("data", () => child.stderr.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(0);
    expect((await inspectPdf(out)).pages).toHaveLength(14);
    expect(leftoverTempDirs(dir)).toEqual([]);
  });

  it("rasterizes tracemonkey.pdf onto A4: 14 A4 pages, one image each at the requested DPI", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    // JPEG pages (the image-file default) so that the placement and the DPI are read from one image of each page.
    const result = await runCli([corpus("tracemonkey.pdf"), out, "--dpi", "150", "--size", "A4", "--workers", "2", "--format", "jpeg", "--json"], {
      env: { TMPDIR: dir },
    });
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ pages: 14, rendered: 14, failed: [], output: out, dpi: 150, size: "A4", workers: 2 });
    expect(report.outputBytes).toBe(readFileSync(out).length);

    const pdf = await inspectPdf(out);
    expect(pdf.pages).toHaveLength(14);
    for (const page of pdf.pages) {
      expect(page.width).toBeCloseTo(A4.width, 1);
      expect(page.height).toBeCloseTo(A4.height, 1);
      expect(page.images).toHaveLength(1);
      const [image] = page.images;
      expect(image!.filter).toBe("/DCTDecode");
      // Letter fitted into A4 is limited by width: the image spans the paper's width.
      const [a, , , d] = page.placement!;
      expect(a).toBeCloseTo(A4.width, 1);
      expect((image!.width / a) * 72).toBeCloseTo(150, 0);
      expect((image!.height / d) * 72).toBeCloseTo(150, 0);
    }
    expect(pdf.raw).not.toMatch(/\/Font|\/JavaScript|\/AcroForm|\/Annots|\/EmbeddedFile/);
    expect(leftoverTempDirs(dir)).toEqual([]);
  });

  it("keeps each page's own size with --size original, honouring /Rotate and CropBox", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const result = await runCli([SAMPLE, out, "--dpi", "72", "--format", "jpeg", "--quiet"], { env: { TMPDIR: dir } }); // JPEG: sharp reads the pixels back
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const pdf = await inspectPdf(out);
    const sizes = pdf.pages.map((p) => [Math.round(p.width), Math.round(p.height)]);
    expect(sizes).toEqual([
      [612, 792],
      [842, 595],
      [792, 612], // /Rotate 90: displayed landscape
      [300, 400], // the CropBox, not the MediaBox
      [595, 842],
    ]);
    await expectSampleAt72Dpi(pdf);
  });

  it.skipIf(!HAS_REFERENCE_TOOLS)("looks like the reference renderer page by page (shared/tools/render-diff)", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    expect((await runCli([corpus("tracemonkey.pdf"), out, "--dpi", "100", "--quiet"])).code).toBe(0);
    const diff = execFileSync(join(ROOT, "../shared/tools/render-diff"), [corpus("tracemonkey.pdf"), out], { encoding: "utf8" });
    const scores = [...diff.matchAll(/page \d+: ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(scores).toHaveLength(14);
    expect(Math.max(...scores)).toBeLessThan(0.06); // a correct page scores about 0.03, a wrong one 0.09+
  });

  it("opens an encrypted file with --password and refuses it without or with a wrong one (exit 2)", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const ok = await runCli([corpus("issue6010_1.pdf"), out, "--dpi", "50", "--password", "abc", "--quiet"]);
    expect(ok.code).toBe(0);
    expect(existsSync(out)).toBe(true);

    const missing = await runCli([corpus("issue6010_1.pdf"), join(dir, "a.pdf"), "--dpi", "50"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/encrypted.*--password/);
    const wrong = await runCli([corpus("issue6010_1.pdf"), join(dir, "b.pdf"), "--dpi", "50", "--password", "nope"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/Wrong password/);
    expect(readdirSync(dir).sort()).toEqual(["out.pdf"]);
  });

  describe("a page over --max-pixels", () => {
    // At 72 DPI pages 2 (842x595) and 5 (595x842) have ~501k pixels; the others at most 485k.
    const args = (out: string, mode: string): string[] => [SAMPLE, out, "--dpi", "72", "--max-pixels", "490000", "--on-error", mode, "--json", "--quiet"];

    it("abort: no output, exit 3, both pages reported", async () => {
      const dir = scratch();
      const out = join(dir, "out.pdf");
      const result = await runCli(args(out, "abort"), { env: { TMPDIR: dir } });
      expect(result.code).toBe(3);
      const report = JSON.parse(result.stdout);
      expect(report.output).toBeNull();
      expect(report.failed.map((f: { page: number }) => f.page)).toEqual([2, 5]);
      expect(report.failed[0].reason).toMatch(/max-pixels/);
      expect(readdirSync(dir)).toEqual([]);
      expect(result.stderr).toMatch(/page 2: .*max-pixels/);
    });

    it("blank: blank pages of the right size stand in, exit 3", async () => {
      const dir = scratch();
      const out = join(dir, "out.pdf");
      const result = await runCli(args(out, "blank"));
      expect(result.code).toBe(3);
      const pdf = await inspectPdf(out);
      expect(pdf.pages).toHaveLength(5);
      expect(pdf.pages.map((p) => p.images.length)).toEqual([1, 0, 1, 1, 0]);
      expect(Math.round(pdf.pages[1]!.width)).toBe(842);
      expect(JSON.parse(result.stdout).failed).toHaveLength(2);
    });

    it("skip: the failed pages are left out, exit 3", async () => {
      const dir = scratch();
      const out = join(dir, "out.pdf");
      const result = await runCli(args(out, "skip"));
      expect(result.code).toBe(3);
      const pdf = await inspectPdf(out);
      expect(pdf.pages.map((p) => Math.round(p.width))).toEqual([612, 792, 300]);
      expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 3, outputPages: 3 });
    });
  });

  describe("bad input gives exit 2, one line, no output", () => {
    const dir = scratch();
    const empty = join(dir, "empty.pdf");
    writeFileSync(empty, "");
    const random = join(dir, "random.pdf");
    writeFileSync(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)));
    const folder = join(dir, "folder.pdf");
    mkdirSync(folder);
    const truncated = join(dir, "truncated.pdf");
    writeFileSync(truncated, readFileSync(SAMPLE).subarray(0, 400));

    it.each([
      ["a missing file", join(dir, "missing.pdf"), /no such file/],
      ["an empty file", empty, /empty/],
      ["random bytes", random, /not a readable PDF/],
      ["a directory", folder, /directory/],
      ["a truncated file", truncated, /not a readable PDF|no pages/],
    ])("%s", async (_, input, message) => {
      const out = join(dir, `out-${Math.random()}.pdf`);
      const result = await runCli([input, out]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    });

    it("an output whose folder is missing or not a folder: named as the user gave it, never the hidden partial file", async () => {
      for (const [output, message] of [
        ["no-such-folder/out.pdf", "pdfraster: Cannot write no-such-folder/out.pdf: the folder no-such-folder does not exist\n"],
        ["empty.pdf/out.pdf", "pdfraster: Cannot write empty.pdf/out.pdf: empty.pdf is not a folder\n"],
      ]) {
        const result = await runCli([SAMPLE, output!], { cwd: dir });
        expect([result.code, result.stderr]).toEqual([2, message]); // before the fix: ENOENT ... '.out.pdf.<hex>.pdfraster-tmp'
      }
    });

    it("bad options", async () => {
      for (const args of [["--dpi", "abc"], ["--size", "A99"], ["--quality", "0"], ["--format", "gif"], ["--bogus"]]) {
        const result = await runCli([SAMPLE, join(dir, "x.pdf"), ...args]);
        expect(result.code, args.join(" ")).toBe(2);
        expect(result.stderr).toMatch(/^pdfraster: /);
      }
      expect((await runCli([SAMPLE])).code).toBe(2);
    });

    it("a bad value is named by its flag, in one line (the option table's naming; the API's camelCase before)", async () => {
      for (const [args, line] of [
        [["--dpi", "abc"], "pdfraster: Expected `--dpi` to be a number from 1 to 4800, got `abc` (string)\n"],
        [["--max-pages-per-worker", "0"], "pdfraster: Expected `--max-pages-per-worker` to be an integer from 1 to 1000000000, got `0` (string)\n"],
        [["--background", "purple"], "pdfraster: Expected `--background` to be a colour name or #rrggbb, got `purple`\n"],
        [["--queue", "q"], "pdfraster: `--queue`, `--store` and `--wait-timeout` are for cluster mode: give `--redis` too\n"],
      ] as const) {
        const result = await runCli([SAMPLE, join(dir, "named.pdf"), ...args], { env: { PDFRASTER_REDIS: "" } });
        expect([result.code, result.stderr]).toEqual([2, line]);
      }
      expect(existsSync(join(dir, "named.pdf"))).toBe(false);
    });

    it("the output path equal to the input leaves the input untouched", async () => {
      const copy = join(dir, "copy.pdf");
      writeFileSync(copy, readFileSync(SAMPLE));
      const before = md5(copy);
      const result = await runCli([copy, copy]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/is the input/);
      expect(md5(copy)).toBe(before);
    });

    it("an unwritable output directory", async () => {
      const result = await runCli([SAMPLE, join(dir, "no/such/dir/out.pdf")]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/Cannot write/);
    });
  });
});
