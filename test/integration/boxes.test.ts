/**
 * `--box` on fixtures/boxes.pdf (distinct Media/Crop/Bleed/Trim/Art boxes, each ring between two boxes
 * in its own colour): the right page size and the right content for each box, with each engine,
 * the specification's fallbacks, /Rotate, and the kept text following the box.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli, scratch } from "../helpers/cli.js";
import { decodeImage, inspectPdf } from "../helpers/pdf.js";

const BOXES = join(ROOT, "fixtures/boxes.pdf");

/** Size (points) of each page of the output, and the colour just inside its left edge and at its centre. */
const EXPECTED: Record<string, { sizes: Array<[number, number]>; edge: string; pdfinfo: string }> = {
  // page 1 (all boxes), 2 (CropBox only), 3 (page 1 turned), 4 (no CropBox, a TrimBox, a BleedBox beyond the MediaBox)
  media: { sizes: [[400, 300], [300, 200], [300, 400], [300, 200]], edge: "red", pdfinfo: "MediaBox" },
  crop: { sizes: [[380, 280], [260, 160], [280, 380], [300, 200]], edge: "green", pdfinfo: "CropBox" },
  bleed: { sizes: [[360, 260], [260, 160], [260, 360], [300, 200]], edge: "blue", pdfinfo: "BleedBox" },
  trim: { sizes: [[340, 240], [260, 160], [240, 340], [200, 100]], edge: "yellow", pdfinfo: "TrimBox" },
  art: { sizes: [[320, 220], [260, 160], [220, 320], [300, 200]], edge: "gray", pdfinfo: "ArtBox" },
};

function colourName([r, g, b]: number[]): string {
  const near = (want: number[]): boolean => [r!, g!, b!].every((c, i) => Math.abs(c - want[i]!) < 40);
  if (near([255, 0, 0])) return "red";
  if (near([0, 153, 0])) return "green";
  if (near([0, 0, 255])) return "blue";
  if (near([255, 204, 0])) return "yellow";
  if (near([128, 128, 128])) return "gray";
  if (near([0, 0, 0])) return "black";
  return `rgb(${r},${g},${b})`;
}

/** pdfinfo's size of `box` for each page of the fixture (poppler's reading of the boxes, with the spec's fallbacks). */
function popplerSizes(box: string): Array<[number, number]> {
  const out = execFileSync("pdfinfo", ["-box", "-f", "1", "-l", "4", BOXES], { encoding: "utf8" });
  return [...out.matchAll(new RegExp(`^Page\\s+(\\d) ${box}:\\s+([-\\d.]+)\\s+([-\\d.]+)\\s+([-\\d.]+)\\s+([-\\d.]+)`, "gm"))].map((m) => {
    const [x0, y0, x1, y1] = m.slice(2, 6).map(Number) as [number, number, number, number];
    return m[1] === "3" ? [y1 - y0, x1 - x0] : [x1 - x0, y1 - y0]; // page 3 is turned
  });
}

describe.each(["pdfjs", "pdfium", "mupdf"])("--box with %s", (engine) => {
  it.each(Object.keys(EXPECTED))("%s: the page size and the colour at the box's edge", async (box) => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const result = await runCli([BOXES, out, "--box", box, "--dpi", "72", "--engine", engine, "--format", "png", "--quiet"], { env: { TMPDIR: dir } });
    expect(result.code, result.stderr).toBe(0);
    const { sizes, edge, pdfinfo } = EXPECTED[box]!;
    expect(popplerSizes(pdfinfo)).toEqual(sizes); // the fixture is what the table says
    const pdf = await inspectPdf(out);
    expect(pdf.pages.map((p) => [Math.round(p.width), Math.round(p.height)])).toEqual(sizes);
    expect(pdf.pages.map((p) => [p.images[0]!.width, p.images[0]!.height])).toEqual(sizes);
    // Page 1: the ring inside the box's edge, the ArtBox's gray in the middle, the black square at the ArtBox's top-left.
    const info = await decodeImage(pdf.pages[0]!.images[0]!);
    const { data } = info;
    const at = (x: number, y: number): string => colourName([...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)]);
    const mid = Math.floor(info.height / 2);
    expect([at(3, mid), at(info.width - 4, mid), at(Math.floor(info.width / 2), 3)]).toEqual([edge, edge, edge]);
    expect(at(Math.floor(info.width / 2) + 60, mid + 40)).toBe("gray");
    const inset = (400 - info.width) / 2; // the box's distance inside the MediaBox, in points (= pixels at 72 dpi)
    expect(at(Math.round(40 - inset + 5), Math.round(40 - inset + 5))).toBe("black");
  });
});

it("--keep-text follows the box: the word sits where it is on the TrimBox's page", async () => {
  const dir = scratch();
  const run = async (box: string): Promise<number[]> => {
    const out = join(dir, `${box}.pdf`);
    const result = await runCli([BOXES, out, "--pages", "1", "--box", box, "--dpi", "72", "--keep-text", "--quiet"], { env: { TMPDIR: dir } });
    expect(result.code, result.stderr).toBe(0);
    const html = execFileSync("pdftotext", ["-bbox", out, "-"], { encoding: "utf8" });
    const word = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">Boxes<\/word>/.exec(html);
    expect(word, html).not.toBeNull();
    return [Number(word![1]), Number(word![2])];
  };
  const [media, trim] = [await run("media"), await run("trim")];
  // The word is at x = 100 in user space; the TrimBox starts 30 pt right of and 30 pt below the MediaBox's top-left.
  expect(media[0]).toBeCloseTo(100, 0);
  expect(trim[0]! - media[0]!).toBeCloseTo(-30, 1);
  expect(trim[1]! - media[1]!).toBeCloseTo(-30, 1);
});
