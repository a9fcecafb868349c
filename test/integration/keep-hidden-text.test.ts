/**
 * Issue 19 item 5: `--keep-text` must not bring back hidden text. A crafted PDF (made at test time)
 * shows two words on page 1 and hides one word in each way text can be hidden; page 2 is a scan
 * with an OCR layer (invisible text over the scan's ink), plus one invisible word over blank paper.
 * The output's text layer is read with poppler's pdftotext, independent of pdf.js.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { rasterize, type RasterizeReport } from "../../dist/index.js";
import { runCli, scratch } from "../helpers/cli.js";
import { HIDDEN_WORDS, makeHiddenTextPdf, makeManyRunsPdf, OCR_WORDS, VISIBLE_WORDS } from "../helpers/hidden-text-pdf.js";

/** The words of a PDF's text, as poppler reads them, in reading order. */
function pdfWords(pdf: string): string[] {
  return execFileSync("pdftotext", [pdf, "-"], { encoding: "utf8" }).split(/\s+/).filter(Boolean);
}

const SHOWN = [...VISIBLE_WORDS, ...OCR_WORDS];
const HIDDEN = Object.keys(HIDDEN_WORDS);

describe("--keep-text and hidden text", () => {
  const dir = scratch();
  const input = join(dir, "hidden.pdf");
  beforeAll(() => makeHiddenTextPdf(input));

  async function flatten(name: string, args: string[]): Promise<{ words: string[]; report: RasterizeReport; stderr: string }> {
    const out = join(dir, name);
    const result = await runCli([input, out, ...args, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    return { words: pdfWords(out), report: JSON.parse(result.stdout) as RasterizeReport, stderr: result.stderr };
  }

  it("the input holds every word (the hidden ones too, but the optional-content one poppler leaves out)", () => {
    expect(pdfWords(input)).toEqual(expect.arrayContaining([...SHOWN, ...HIDDEN.filter((w) => w !== "Layeroff")]));
  });

  it("default: only the words the page shows and the OCR words on the scan's ink; the hidden runs are counted", async () => {
    const { words, report, stderr } = await flatten("visible.pdf", ["--keep-text", "--dpi", "72"]);
    expect(words).toEqual(SHOWN);
    expect(report.text).toEqual({ kept: SHOWN.length, hidden: HIDDEN.length, truncatedPages: [] });
    expect(stderr).toContain(`text: ${SHOWN.length} runs kept, ${HIDDEN.length} hidden dropped`);
  });

  it("--keep-text all keeps every run", async () => {
    const { words, report } = await flatten("all.pdf", ["--keep-text", "all", "--dpi", "72"]);
    expect(new Set(words)).toEqual(new Set([...SHOWN, ...HIDDEN]));
    expect(report.text).toEqual({ kept: SHOWN.length + HIDDEN.length, hidden: 0, truncatedPages: [] });
  });

  // Every engine draws the page the test looks at; a coarse page is judged on a 96 ppi render; a
  // banded page on the whole page; the API takes `keepText: "all"` as the CLI does.
  it.each([
    ["pdfium", ["--engine", "pdfium", "--dpi", "100"]],
    ["mupdf", ["--engine", "mupdf", "--dpi", "100"]],
    ["20 dpi", ["--dpi", "20"]],
    ["bands", ["--dpi", "150", "--band-pixels", "200000"]],
    ["A4, cover", ["--size", "A4", "--fit", "cover", "--dpi", "50"]],
  ])("the same with %s", async (name, args) => {
    const { words, report } = await flatten(`${name}.pdf`, ["--keep-text", ...args]);
    expect(words).toEqual(SHOWN);
    expect(report.text?.hidden).toBe(HIDDEN.length);
  });

  it("the API: keepText true is visible text, \"all\" every run", async () => {
    const visible = await rasterize(input, join(dir, "api-visible.pdf"), { keepText: true, dpi: 60 });
    const all = await rasterize(input, join(dir, "api-all.pdf"), { keepText: "all", dpi: 60 });
    expect(pdfWords(join(dir, "api-visible.pdf"))).toEqual(SHOWN);
    expect(new Set(pdfWords(join(dir, "api-all.pdf")))).toEqual(new Set([...SHOWN, ...HIDDEN]));
    expect([visible.text?.hidden, all.text?.hidden]).toEqual([HIDDEN.length, 0]);
  });

  it("`--keep-text in.pdf out.pdf`: the file after the flag is an input, not the flag's value", async () => {
    const out = join(dir, "order.pdf");
    const result = await runCli(["--keep-text", input, out, "--dpi", "50", "--quiet"]);
    expect(result.code, result.stderr).toBe(0);
    expect(pdfWords(out)).toEqual(SHOWN);
  });

  it("a page of 60,000 text runs: its text is cut at 50,000 runs, the page renders, the report says so", async () => {
    const many = join(dir, "many.pdf");
    makeManyRunsPdf(many, 60_000);
    const result = await runCli([many, join(dir, "many-out.pdf"), "--keep-text", "all", "--dpi", "30", "--json"], { timeoutMs: 240_000 });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as RasterizeReport;
    expect(report.text).toEqual({ kept: 50_000, hidden: 0, truncatedPages: [1] });
    expect(result.stderr).toContain("text cut at the limit on page 1");
  }, 300_000);
});
