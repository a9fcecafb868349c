/**
 * 1-bit pages of a PDF are stored as CCITT Group 4 (/CCITTFaxDecode /K -1): through the real CLI on a
 * real document, poppler decodes each page image bit for bit to what pdfraster writes for the same
 * page as a 1-bit PNG file (image output, which stays PNG).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { expect, it } from "vitest";
import { corpus, runCli, scratch } from "../helpers/cli.js";

const INPUT = corpus("tracemonkey.pdf");
const PAGES = ["1", "3"]; // text pages that `auto` sends to 1-bit (colour.test.ts)

/** An image file's first channel as raw bytes (0 or 255 for 1-bit). */
const pixels = (file: string): Promise<Buffer> => sharp(file).extractChannel(0).raw().toBuffer();

it("--color mono and --format auto store text pages as G4 that poppler decodes to pdfraster's own 1-bit PNG of the page", async () => {
  const dir = scratch();
  const common = ["--dpi", "300", "--pages", PAGES.join(","), "--workers", "1"];
  const run = (output: string, ...flags: string[]) => runCli([INPUT, join(dir, output), ...common, ...flags], { env: { TMPDIR: dir } });
  const [mono, auto, png] = await Promise.all([
    run("mono.pdf", "--color", "mono", "--progress", "json"),
    run("auto.pdf", "--format", "auto", "--progress", "json"),
    run("png/p-%d.png", "--color", "mono", "--quiet"),
  ]);
  expect([mono.code, auto.code, png.code, png.stderr]).toEqual([0, 0, 0, ""]);
  expect(readdirSync(join(dir, "png")).sort()).toEqual(["p-1.png", "p-3.png"]);
  const references = await Promise.all(PAGES.map((page) => pixels(join(dir, "png", `p-${page}.png`))));
  for (const reference of references) expect(reference.filter((v) => v === 0).length, "the page has text").toBeGreaterThan(10_000);

  for (const [name, result] of [["mono", mono], ["auto", auto]] as const) {
    const formats = result.stderr.split("\n").filter((line) => line.includes('"page-done"')).map((line) => (JSON.parse(line) as { format: string }).format);
    expect(formats, name).toEqual(["g4", "g4"]);
    const pdf = join(dir, `${name}.pdf`);
    const list = execFileSync("pdfimages", ["-list", pdf], { encoding: "utf8" }).split("\n").slice(2).filter(Boolean);
    expect(list.map((line) => line.trim().split(/\s+/).slice(3, 9).join(" ")), name).toEqual(PAGES.map(() => "2550 3300 gray 1 1 ccitt"));
    mkdirSync(join(dir, name));
    execFileSync("pdfimages", ["-png", pdf, join(dir, name, "i")]);
    for (const [i, page] of PAGES.entries()) {
      const decoded = await pixels(join(dir, name, `i-00${i}.png`));
      expect(decoded.length).toBe(2550 * 3300);
      expect(decoded.equals(references[i]!), `${name} page ${page}`).toBe(true);
    }
  }
});
