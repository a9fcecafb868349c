import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENGINE_NAMES } from "../../dist/engines/registry.js";
import { CLI, corpus, HAS_REFERENCE_TOOLS, leftoverTempDirs, ROOT, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { inspectPdf } from "../helpers/pdf.js";
import { expectSampleAt72Dpi } from "../helpers/sample.js";

const A4 = { width: 595.28, height: 841.89 };

// The engines other than the default one, through the CLI (pdf.js has its own CLI tests).
describe.each(ENGINE_NAMES.filter((name) => name !== "pdfjs").map((name) => [name]))("--engine %s", (engine) => {
  it(`rasterizes tracemonkey.pdf onto A4: 14 A4 pages at the requested DPI, rendered by ${engine}`, async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const result = await runCli([corpus("tracemonkey.pdf"), out, "--engine", engine, "--dpi", "150", "--size", "A4", "--workers", "2", "--json"], {
      env: { TMPDIR: dir },
    });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ pages: 14, rendered: 14, failed: [], engine, fallbackEngine: null, fallbackPages: [], size: "A4" });
    const pdf = await inspectPdf(out);
    expect(pdf.pages).toHaveLength(14);
    for (const page of pdf.pages) {
      expect(page.width).toBeCloseTo(A4.width, 1);
      expect(page.height).toBeCloseTo(A4.height, 1);
      const [image] = page.images;
      const [a, , , d] = page.placement!;
      expect(a).toBeCloseTo(A4.width, 1);
      expect((image!.width / a) * 72).toBeCloseTo(150, 0);
      expect((image!.height / d) * 72).toBeCloseTo(150, 0);
    }
    expect(leftoverTempDirs(dir)).toEqual([]);
  });

  it("keeps each page's own size, honouring /Rotate and CropBox", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const result = await runCli([SAMPLE, out, "--engine", engine, "--dpi", "72", "--format", "jpeg", "--quiet"]); // JPEG: sharp reads the pixels back
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const pdf = await inspectPdf(out);
    await expectSampleAt72Dpi(pdf);
  });

  it.skipIf(!HAS_REFERENCE_TOOLS)("looks like the reference renderer page by page (shared/tools/render-diff)", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    expect((await runCli([corpus("tracemonkey.pdf"), out, "--engine", engine, "--dpi", "100", "--quiet"])).code).toBe(0);
    // Four pages (text, figures, the two that score worst) keep the test short; the CLI test covers pdf.js on all 14.
    const diff = execFileSync(join(ROOT, "../shared/tools/render-diff"), [corpus("tracemonkey.pdf"), out, "1,3,10,13"], { encoding: "utf8" });
    const scores = [...diff.matchAll(/page \d+: ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(scores).toHaveLength(4);
    expect(Math.max(...scores)).toBeLessThan(0.06); // a correct page scores about 0.03, a wrong one 0.09+
  });

  it("opens an encrypted file with --password and refuses it without or with a wrong one, as pdf.js does", async () => {
    const dir = scratch();
    const ok = await runCli([corpus("issue6010_1.pdf"), join(dir, "out.pdf"), "--engine", engine, "--dpi", "50", "--password", "abc", "--quiet"]);
    expect(ok.code).toBe(0);
    const missing = await runCli([corpus("issue6010_1.pdf"), join(dir, "a.pdf"), "--engine", engine]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^pdfraster: .* is encrypted: give its password with --password\n$/);
    const wrong = await runCli([corpus("issue6010_1.pdf"), join(dir, "b.pdf"), "--engine", engine, "--password", "nope"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^pdfraster: Wrong password for .*\n$/);
    expect(readdirSync(dir)).toEqual(["out.pdf"]);
  });

  it("refuses a file that is not a PDF with exit 2 and one line (the library's own messages stay off stderr)", async () => {
    const dir = scratch();
    const random = join(dir, "random.pdf");
    writeFileSync(random, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)));
    const result = await runCli([random, join(dir, "out.pdf"), "--engine", engine]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pdfraster: .* is not a readable PDF: .*\n$/);
  });

  it("rejects a fallback engine equal to the engine", async () => {
    const result = await runCli([SAMPLE, join(scratch(), "out.pdf"), "--engine", engine, "--fallback-engine", engine]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/`--fallback-engine` to differ from `--engine`/); // named by its flags (the option table)
  });
});

describe("--fallback-engine", () => {
  // PDFRASTER_FAULT=ACTION,engine=ENGINE makes every page fail (throw) or its worker exit (exit) on that engine only.
  const pairs = ENGINE_NAMES.flatMap((engine) => ENGINE_NAMES.filter((other) => other !== engine).map((fallback) => [engine, fallback]));
  it.each(pairs)("--engine %s --fallback-engine %s: every page that fails on the first is drawn by the second, and it says so", async (engine, fallback) => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const result = await runCli([SAMPLE, out, "--engine", engine, "--fallback-engine", fallback, "--dpi", "30", "--pages", "2-4", "--json"], {
      env: { PDFRASTER_FAULT: `throw,engine=${engine}` },
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 3, failed: [], retried: [2, 3, 4], engine, fallbackEngine: fallback, fallbackPages: [2, 3, 4] });
    expect(result.stderr).toMatch(/page 2 failed \(retrying\): injected fault on page 2 \(PDFRASTER_FAULT\)/);
    expect(result.stderr).toMatch(new RegExp(`3/3 pages rendered \\(3 by ${fallback}\\)`));
    expect((await inspectPdf(out)).pages).toHaveLength(3);
  });

  it("also when the engine's worker crashes, from mupdf to pdf.js", async () => {
    const dir = scratch();
    const result = await runCli([SAMPLE, join(dir, "out.pdf"), "--engine", "mupdf", "--fallback-engine", "pdfjs", "--dpi", "30", "--pages", "2,4", "--json", "--quiet"], {
      env: { PDFRASTER_FAULT: "exit,engine=mupdf" },
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 2, engine: "mupdf", fallbackEngine: "pdfjs", fallbackPages: [2, 4] });
  });

  it("without a fallback engine, the retry uses the same engine and the pages fail", async () => {
    const dir = scratch();
    const result = await runCli([SAMPLE, join(dir, "out.pdf"), "--dpi", "30", "--pages", "1", "--json", "--quiet"], {
      env: { PDFRASTER_FAULT: "throw,engine=pdfjs" },
    });
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 0, failed: [{ page: 1, reason: "injected fault on page 1 (PDFRASTER_FAULT)" }], fallbackEngine: null });
  });

  it("renders on MuPDF a page that times out on pdf.js (issue16263.pdf: minutes for pdf.js, a second for MuPDF)", async () => {
    const dir = scratch();
    const result = await runCli([corpus("issue16263.pdf"), join(dir, "out.pdf"), "--dpi", "36", "--page-timeout", "5", "--fallback-engine", "mupdf", "--json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/page 1 failed \(retrying\): timed out after 5 s/);
    expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 1, failed: [], retried: [1], engine: "pdfjs", fallbackEngine: "mupdf", fallbackPages: [1] });
  });

  it("plans with the fallback engine when only it can read the document", async () => {
    // Cut in half, sample.pdf has no cross-reference table: pdf.js gives up, MuPDF rebuilds it.
    const dir = scratch();
    const truncated = join(dir, "truncated.pdf");
    const bytes = readFileSync(SAMPLE);
    writeFileSync(truncated, bytes.subarray(0, bytes.length / 2));
    const alone = await runCli([truncated, join(dir, "a.pdf"), "--dpi", "30"]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/not a readable PDF/);
    const result = await runCli([truncated, join(dir, "b.pdf"), "--fallback-engine", "mupdf", "--dpi", "30", "--json", "--on-error", "blank"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ pages: 5, rendered: 5, engine: "mupdf", fallbackEngine: null, fallbackPages: [] });
  });
});

describe("without the optional mupdf package", () => {
  // A copy of the built package whose node_modules holds every dependency but mupdf, as after a plain `npm install pdfraster`.
  function installWithoutMuPdf(): string {
    const dir = scratch("pdfraster-nomupdf-");
    cpSync(join(ROOT, "dist"), join(dir, "dist"), { recursive: true });
    cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
    mkdirSync(join(dir, "node_modules"));
    for (const name of readdirSync(join(ROOT, "node_modules"))) {
      if (name !== "mupdf") symlinkSync(join(ROOT, "node_modules", name), join(dir, "node_modules", name));
    }
    return join(dir, "dist/cli.js");
  }

  it("--engine mupdf and --fallback-engine mupdf fail with exit 2 and one line that says how to install it; pdf.js and PDFium still work", async () => {
    const cli = installWithoutMuPdf();
    expect(existsSync(cli) && cli !== CLI).toBe(true);
    const dir = scratch();
    for (const flag of ["--engine", "--fallback-engine"]) {
      const result = await runCli([SAMPLE, join(dir, "out.pdf"), flag, "mupdf"], { cli });
      expect(result.code, flag).toBe(2);
      expect(result.stderr).toMatch(/^pdfraster: The mupdf engine needs the optional package `mupdf` \(AGPL-3\.0\), which is not installed: run `npm install mupdf`.*\n$/);
    }
    expect(existsSync(join(dir, "out.pdf"))).toBe(false);
    const plain = await runCli([SAMPLE, join(dir, "plain.pdf"), "--dpi", "20", "--quiet"], { cli });
    expect(plain.code).toBe(0);
    // PDFium is a regular dependency: the fast permissive engine works without mupdf.
    const pdfium = await runCli([SAMPLE, join(dir, "pdfium.pdf"), "--engine", "pdfium", "--fallback-engine", "pdfjs", "--dpi", "20", "--quiet"], { cli });
    expect(pdfium.code).toBe(0);
  });
});
