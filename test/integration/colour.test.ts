import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { rasterize, type ProgressEvent, type RasterizeOptions, type RasterizeReport } from "../../dist/index.js";
import { corpus, SAMPLE, scratch } from "../helpers/cli.js";
import { decodeImage, inspectPdf, type PdfInfo } from "../helpers/pdf.js";

let tmp: string;
beforeAll(() => {
  tmp = scratch("pdfraster-colour-");
  process.env.TMPDIR = tmp;
});

async function run(name: string, input: string, options: RasterizeOptions): Promise<{ report: RasterizeReport; pdf: PdfInfo }> {
  const out = join(tmp, `${name}.pdf`);
  const report = await rasterize(input, out, { dpi: 72, workers: 1, ...options });
  expect(report.failed).toEqual([]);
  expect(report.outputBytes).toBe(readFileSync(out).length);
  return { report, pdf: await inspectPdf(out) };
}

describe("--color and --format on sample.pdf page 1 (a red rectangle (217, 26, 26) from (72, 212) to (272, 372) pt)", () => {
  it("png: lossless RGB, so the rectangle keeps its exact colour", async () => {
    const { pdf } = await run("png", SAMPLE, { format: "png", pages: "1" });
    const image = pdf.pages[0]!.images[0]!;
    expect(image).toMatchObject({ filter: "/FlateDecode", colorSpace: "/DeviceRGB", bitsPerComponent: 8, width: 612, height: 792 });
    const { data, channels } = await decodeImage(image);
    expect(channels).toBe(3);
    expect([...data.subarray((300 * 612 + 150) * 3, (300 * 612 + 150) * 3 + 3)]).toEqual([217, 26, 26]);
  });

  it("gray: one 8-bit component, as JPEG or PNG", async () => {
    const { pdf } = await run("gray", SAMPLE, { color: "gray", format: "jpeg", pages: "1" });
    const image = pdf.pages[0]!.images[0]!;
    expect(image).toMatchObject({ filter: "/DCTDecode", colorSpace: "/DeviceGray", bitsPerComponent: 8 });
    const jpeg = await decodeImage(image);
    expect(jpeg.channels).toBe(1);
    // The luminance of (217, 26, 26) (Rec. 709 in linear light, sRGB-encoded) is 110; not its mean (90) nor its red (217).
    const red = jpeg.data[300 * 612 + 150]!;
    expect(Math.abs(red - 110)).toBeLessThanOrEqual(4);
    expect(jpeg.data[20 * 612 + 20]).toBeGreaterThan(250);

    const png = (await run("gray-png", SAMPLE, { color: "gray", format: "png", pages: "1" })).pdf.pages[0]!.images[0]!;
    expect(png).toMatchObject({ filter: "/FlateDecode", colorSpace: "/DeviceGray", bitsPerComponent: 8 });
    expect(Math.abs((await decodeImage(png)).data[300 * 612 + 150]! - red)).toBeLessThanOrEqual(3);
  });

  it("mono: 1-bit (JBIG2 or G4, whichever is smaller), lossless, small, and exactly the gray image thresholded at --threshold", async () => {
    const gray = (await run("gray-ref", SAMPLE, { color: "gray", format: "png", dpi: 100 })).pdf;
    const rgb = await run("rgb-ref", SAMPLE, { format: "png", dpi: 100 });
    const blacks: number[] = [];
    for (const threshold of [60, 128, 200]) {
      const mono = await run(`mono-${threshold}`, SAMPLE, { color: "mono", threshold, dpi: 100 });
      expect(mono.report.outputBytes).toBeLessThan(rgb.report.outputBytes / 5);
      let black = 0;
      for (const [n, page] of mono.pdf.pages.entries()) {
        const image = page.images[0]!;
        expect(image).toMatchObject({ filter: expect.stringMatching(/^\/(JBIG2|CCITTFax)Decode$/), colorSpace: "/DeviceGray", bitsPerComponent: 1 });
        const bits = await decodeImage(image);
        const reference = await decodeImage(gray.pages[n]!.images[0]!);
        expect([bits.width, bits.height]).toEqual([reference.width, reference.height]);
        let mismatches = 0;
        for (let i = 0; i < bits.data.length; i++) {
          if (bits.data[i] !== (reference.data[i]! >= threshold ? 255 : 0)) mismatches++;
          if (bits.data[i] === 0) black++;
        }
        expect(mismatches, `page ${n + 1} at threshold ${threshold}`).toBe(0);
      }
      blacks.push(black);
    }
    // A higher threshold turns more gray levels black.
    expect(blacks[0]).toBeLessThan(blacks[1]!);
    expect(blacks[1]).toBeLessThan(blacks[2]!);
  });
});

describe("--format auto", () => {
  it("writes gray text as 1-bit at 300 DPI, many times smaller than JPEG", async () => {
    const input = corpus("tracemonkey.pdf");
    const events: ProgressEvent[] = [];
    const auto = await run("auto-300", input, { format: "auto", dpi: 300, pages: "1,3", onProgress: (e) => events.push(e) });
    const done = events.filter((e) => e.type === "page-done");
    expect(done.map((e) => [e.encoding, e.format])).toEqual([["mono", "jbig2"], ["mono", "jbig2"]]);
    const jpeg = await run("jpeg-300", input, { format: "jpeg", dpi: 300, pages: "1,3" });
    for (const page of auto.pdf.pages) {
      expect(page.images[0]).toMatchObject({ filter: "/JBIG2Decode", colorSpace: "/DeviceGray", bitsPerComponent: 1, width: 2550, height: 3300 });
    }
    expect(auto.report.format).toBe("auto");
    expect(auto.report.outputBytes * 5).toBeLessThan(jpeg.report.outputBytes);
  });

  it("writes gray text as 16-level gray below 300 DPI, where 1-bit would lose detail", async () => {
    const auto = await run("auto-150", corpus("tracemonkey.pdf"), { format: "auto", dpi: 150, pages: "1" });
    const image = auto.pdf.pages[0]!.images[0]!;
    expect(image).toMatchObject({ filter: "/FlateDecode", colorSpace: "/DeviceGray", bitsPerComponent: 4 });
    const { data } = await decodeImage(image);
    expect(new Set(data).size).toBeGreaterThan(8); // anti-aliasing kept
    expect(new Set(data).size).toBeLessThanOrEqual(16);
    // Each pixel is the nearest of the 16 levels to the same page's 8-bit gray render (the 4-bit PNG once
    // held the low 4 bits of each level: black text stored as gray 136).
    const gray = await run("gray-150", corpus("tracemonkey.pdf"), { format: "png", color: "gray", dpi: 150, pages: "1" });
    const exact = (await decodeImage(gray.pdf.pages[0]!.images[0]!)).data;
    expect(exact.length).toBe(data.length);
    let off = 0;
    for (let i = 0; i < data.length; i++) if (data[i] !== Math.round(exact[i]! / 17) * 17) off++;
    expect(off, "pixels not at the nearest of 16 levels").toBe(0);
  });

  it("writes a gray photograph as the smaller of gray JPEG and lossless gray PNG, and colour pages in colour", async () => {
    const input = corpus("issue5475.pdf"); // a 512 px photograph filling the page: upscaled 4x at 300 DPI
    for (const dpi of [150, 300]) {
      const auto = await run(`auto-photo-${dpi}`, input, { format: "auto", dpi });
      const jpeg = await run(`gray-jpeg-${dpi}`, input, { format: "jpeg", color: "gray", dpi });
      const png = await run(`gray-png-${dpi}`, input, { format: "png", color: "gray", dpi });
      expect(auto.pdf.pages[0]!.images[0]).toMatchObject({ colorSpace: "/DeviceGray", bitsPerComponent: 8 });
      expect(auto.report.outputBytes).toBe(Math.min(jpeg.report.outputBytes, png.report.outputBytes));
    }
    const colour = await run("auto-colour", SAMPLE, { format: "auto", dpi: 72, pages: "2,5" });
    for (const page of colour.pdf.pages) expect(page.images[0]!.colorSpace).toBe("/DeviceRGB");
  });

  it("with --color gray never keeps colour", async () => {
    const { pdf } = await run("auto-gray", SAMPLE, { format: "auto", color: "gray", dpi: 72, pages: "2,5" });
    for (const page of pdf.pages) expect(page.images[0]!.colorSpace).toBe("/DeviceGray");
  });
});
