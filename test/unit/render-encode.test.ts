import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodePage, smallestPossible, type Candidate, type EncodeOptions } from "../../src/worker/encode.js";
import { EngineError, type RenderedPage } from "../../src/engines/engine.js";
import { PdfJsEngine } from "../../src/engines/pdfjs/engine.js";
import { wholePage } from "../helpers/render.js";
import { jbig2dec } from "../helpers/jbig2.js";
import { deserializePageSymbols, embeddedStream, encodePage as encodeJbig2, fileForm } from "../../src/codecs/jbig2/index.js";

const corpus = (name: string): string => fileURLToPath(new URL(`../../../shared/corpus/pdfjs/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "pdfraster-render-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const has = (tool: string): boolean => {
  try {
    execFileSync("which", [tool], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

const WHITE: [number, number, number] = [255, 255, 255];

/** Renders a whole page at `dpi` with no margins. */
async function renderAt(engine: PdfJsEngine, pageNumber: number, dpi: number): Promise<RenderedPage> {
  return engine.render(await wholePage(engine, pageNumber, dpi));
}

const pixel = (page: RenderedPage, x: number, y: number): number[] => {
  const i = (y * page.width + x) * page.channels;
  return [...page.rgba.subarray(i, i + page.channels)];
};

/** Gray levels (0..255) of a page, one per pixel. */
async function gray(page: RenderedPage): Promise<Buffer> {
  return sharp(page.rgba, { raw: { width: page.width, height: page.height, channels: page.channels } })
    .toColourspace("b-w")
    .raw()
    .toBuffer();
}

const inkFraction = (levels: Buffer): number => levels.filter((v) => v < 128).length / levels.length;

async function openFails(file: string, password?: string): Promise<string> {
  const error: unknown = await PdfJsEngine.open(file, { password }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EngineError);
  return (error as EngineError).kind;
}

describe("PdfJsEngine", () => {
  let tracemonkey: PdfJsEngine;
  beforeAll(async () => {
    tracemonkey = await PdfJsEngine.open(corpus("tracemonkey.pdf"));
  });
  afterAll(() => tracemonkey.close());

  it("reads page count and displayed page size", async () => {
    expect(tracemonkey.pageCount).toBe(14);
    expect(await tracemonkey.geometry(1)).toEqual({ pageNumber: 1, widthPt: 612, heightPt: 792, rotate: 0, boxX: 0, boxY: 0 });
  });

  it("renders text on a white page", async () => {
    const page = await renderAt(tracemonkey, 1, 72);
    try {
      // RGB: the canvas's RGBA packed (pdfjs/rgb.ts).
      expect([page.width, page.height, page.channels, page.rgba.length]).toEqual([612, 792, 3, 612 * 792 * 3]);
      for (const [x, y] of [[0, 0], [611, 0], [0, 791], [611, 791]] as const) {
        expect(pixel(page, x, y)).toEqual([255, 255, 255]);
      }
      // Text drawn by Skia's glyph rasteriser (fonts.ts) is lighter at 72 DPI than filled glyph paths:
      // count pixels at least half dark (a blank page has none; tracemonkey p1 has ~12,000).
      const dark = (await gray(page)).filter((v) => v < 128).length;
      expect(dark).toBeGreaterThan(5000);
    } finally {
      page.release();
    }
  });

  it("draws a page on a reused canvas exactly as on a new one", async () => {
    // The engine keeps the last released canvas for the next page of the same size.
    const fresh = await PdfJsEngine.open(corpus("tracemonkey.pdf"));
    try {
      const expected = await renderAt(fresh, 3, 40);
      const copy = Buffer.from(expected.rgba);
      expected.release();
      for (const pageNumber of [1, 2, 3]) (await renderAt(fresh, pageNumber, 40)).release();
      const again = await renderAt(fresh, 3, 40);
      expect(again.rgba.equals(copy)).toBe(true);
      again.release();
    } finally {
      await fresh.close();
    }
  });

  it("places the page by scale and offset over the background", async () => {
    const page = await tracemonkey.render({
      pageNumber: 1,
      width: 400,
      height: 500,
      scaleX: 0.5,
      scaleY: 0.5,
      offsetX: 50,
      offsetY: 20,
      background: [255, 0, 0],
    });
    try {
      // The page is drawn over the background (PDF pages have no paper of their own): count its marks.
      const inPage = (x: number, y: number) => x >= 50 && x < 50 + 306 && y >= 20 && y < 20 + 396;
      let inside = 0;
      let outside = 0;
      for (let y = 0; y < page.height; y++) {
        for (let x = 0; x < page.width; x++) {
          const [r, g, b] = pixel(page, x, y);
          if (r === 255 && g === 0 && b === 0) continue;
          if (inPage(x, y)) inside++;
          else outside++;
        }
      }
      expect(outside).toBe(0);
      expect(inside).toBeGreaterThan(2000);
      expect(pixel(page, 0, 0)).toEqual([255, 0, 0]);
    } finally {
      page.release();
    }
  });

  it("reports a page it cannot render as render-failed", async () => {
    const request = { pageNumber: 99, width: 10, height: 10, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0, background: WHITE };
    await expect(tracemonkey.render(request)).rejects.toMatchObject({ name: "EngineError", kind: "render-failed" });
  });

  it("honours /Rotate", async () => {
    const engine = await PdfJsEngine.open(corpus("rotation.pdf"));
    try {
      expect(await engine.geometry(1)).toMatchObject({ widthPt: 612, heightPt: 792, rotate: 0 });
      expect(await engine.geometry(2)).toMatchObject({ widthPt: 792, heightPt: 612, rotate: 90 });
      const page = await renderAt(engine, 2, 72);
      try {
        const levels = await gray(page);
        // Landscape text runs along the top: ink in the top fifth, none in the bottom half.
        expect(inkFraction(levels.subarray(0, 792 * 120))).toBeGreaterThan(0.001);
        expect(inkFraction(levels.subarray(792 * 306))).toBe(0);
      } finally {
        page.release();
      }
    } finally {
      await engine.close();
    }
  });

  it("tells missing, wrong and right passwords apart", async () => {
    const file = corpus("issue6010_1.pdf");
    expect(await openFails(file)).toBe("password-required");
    expect(await openFails(file, "wrong")).toBe("password-incorrect");
    const engine = await PdfJsEngine.open(file, { password: "abc" });
    expect(engine.pageCount).toBeGreaterThan(0);
    await engine.close();
  });

  it("SASLprep's AES-256 passwords", async () => {
    const engine = await PdfJsEngine.open(corpus("saslprep-r6.pdf"), { password: "S\u00aaSL\u00adprep" });
    expect(engine.pageCount).toBe(1);
    await engine.close();
  });

  it("rejects a file that is not a PDF", async () => {
    const file = join(dir, "random.pdf");
    writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251)));
    expect(await openFails(file)).toBe("invalid-pdf");
  });

  it("applies luminosity soft masks (no black box)", async () => {
    // Without the soft-mask filter the masked group is a solid black 244x157 pt box: mean ~235.
    const engine = await PdfJsEngine.open(corpus("issue7891_bc0.pdf"));
    const page = await renderAt(engine, 1, 72);
    try {
      const levels = await gray(page);
      expect(levels.reduce((sum, v) => sum + v, 0) / levels.length).toBeGreaterThan(248);
    } finally {
      page.release();
      await engine.close();
    }
  });

  describe("non-embedded CJK fonts", () => {
    let levels: Buffer;
    let size: { width: number; height: number };
    beforeAll(async () => {
      const engine = await PdfJsEngine.open(corpus("XiaoBiaoSong.pdf"));
      const page = await renderAt(engine, 1, 72);
      levels = await gray(page);
      size = { width: page.width, height: page.height };
      page.release();
      await engine.close();
    });

    it("draws glyphs, not tofu boxes", () => {
      // Measured at 72 DPI: 2.05% ink with the fallback font, 0.10% when every glyph is a hollow box.
      expect(inkFraction(levels)).toBeGreaterThan(0.007);
    });

    it.skipIf(!has("mutool"))("looks like MuPDF's render", async () => {
      const reference = execFileSync("mutool", ["draw", "-q", "-r", "72", "-F", "png", "-o", "-", corpus("XiaoBiaoSong.pdf"), "1"]);
      const small = (input: Buffer, raw?: { width: number; height: number; channels: 1 }) =>
        sharp(input, raw ? { raw } : undefined)
          .toColourspace("b-w")
          .resize(Math.round(size.width / 8), Math.round(size.height / 8), { fit: "fill" })
          .raw()
          .toBuffer();
      const [a, b] = await Promise.all([small(levels, { ...size, channels: 1 }), small(reference)]);
      const rmse = Math.sqrt(a.reduce((sum, v, i) => sum + ((v - b[i]!) / 255) ** 2, 0) / a.length);
      // Measured: 0.012 with the fallback font (MuPDF draws a serif, we a sans), 0.041 with tofu.
      expect(rmse).toBeLessThan(0.025);
    });
  });
});

describe("encodePage", () => {
  let page: RenderedPage;
  let engine: PdfJsEngine;
  beforeAll(async () => {
    engine = await PdfJsEngine.open(corpus("tracemonkey.pdf"));
    page = await renderAt(engine, 1, 100);
  });
  afterAll(async () => {
    page.release();
    await engine.close();
  });

  const encode = (name: string, options: EncodeOptions) =>
    encodePage(page.rgba, page.width, page.height, join(dir, name), options, page.channels);

  /** PNG IHDR: bit depth, colour type, interlace method. */
  const ihdr = (file: string): [number, number, number] => {
    const png = readFileSync(file);
    expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
    return [png[24]!, png[25]!, png[28]!];
  };

  it("writes an RGB JPEG of the exact size", async () => {
    const image = await encode("rgb.jpg", { format: "jpeg", quality: 85, color: "rgb" });
    expect(image).toMatchObject({ format: "jpeg", width: 850, height: 1100, components: 3, bitsPerComponent: 8 });
    expect(image.bytes).toBe(readFileSync(image.path).length);
    expect(await sharp(image.path).metadata()).toMatchObject({ format: "jpeg", width: 850, height: 1100, channels: 3 });
  });

  it("writes 16-level gray (auto's gray4) as the nearest of 16 levels, in PNG and in TIFF", async () => {
    // Every gray level 0-255, one per column: each must come back as round(v / 17) * 17. (libvips' 4-bit PNG
    // writer keeps the low 4 bits of a sample, its TIFF writer the high 4: black text was stored as gray 136.)
    const rgb = Buffer.alloc(256 * 2 * 3);
    for (let i = 0; i < 256 * 2; i++) rgb.fill(i % 256, i * 3, i * 3 + 3);
    for (const tiff of [false, true]) {
      const image = await encodePage(rgb, 256, 2, join(dir, `levels-${tiff}`), { format: "auto", quality: 85, color: "rgb", encoding: "gray4", file: { tiff, dpi: 300 } }, 3);
      expect(image).toMatchObject({ format: tiff ? "tiff" : "png", components: 1, bitsPerComponent: 4 });
      const { data, info } = await sharp(image.path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      const wrong = Array.from({ length: 256 }, (_, v) => v).filter((v) => data[v] !== Math.round(v / 17) * 17 || data[info.width + v] !== data[v]);
      expect(wrong.map((v) => `${v}->${data[v]}`), tiff ? "TIFF" : "PNG").toEqual([]);
    }
  });

  it("writes a one-channel gray JPEG", async () => {
    const image = await encode("gray.jpg", { format: "jpeg", quality: 85, color: "gray" });
    expect(image).toMatchObject({ components: 1, bitsPerComponent: 8 });
    expect(await sharp(image.path).metadata()).toMatchObject({ format: "jpeg", channels: 1 });
  });

  it("writes non-interlaced PNGs without alpha", async () => {
    const rgb = await encode("rgb.png", { format: "png", quality: 85, color: "rgb" });
    expect(ihdr(rgb.path)).toEqual([8, 2, 0]);
    const grayPng = await encode("gray.png", { format: "png", quality: 85, color: "gray" });
    expect(ihdr(grayPng.path)).toEqual([8, 0, 0]);
    expect(grayPng).toMatchObject({ format: "png", components: 1, bitsPerComponent: 8 });
  });

  it("writes mono as a 1-bit grayscale PNG, whatever the format asked", async () => {
    const image = await encode("mono.png", { format: "jpeg", quality: 85, color: "mono", threshold: 128 });
    expect(image).toMatchObject({ format: "png", components: 1, bitsPerComponent: 1, width: 850, height: 1100 });
    expect(ihdr(image.path)).toEqual([1, 0, 0]);
    const { data } = await sharp(image.path).raw().toBuffer({ resolveWithObject: true });
    expect(new Set(data)).toEqual(new Set([0, 255]));
    expect(data[0]).toBe(255); // white stays white
  });

  it("writes mono for a PDF at 300 DPI as JBIG2 symbols: jbig2dec decodes them to the PNG's pixels, many times smaller", async () => {
    const options: EncodeOptions = { format: "png", quality: 85, color: "mono", threshold: 128 };
    const page300 = await renderAt(engine, 1, 300);
    const encode300 = (name: string, more: Partial<EncodeOptions>) =>
      encodePage(page300.rgba, page300.width, page300.height, join(dir, name), { ...options, ...more }, page300.channels);
    const [png, jbig2] = await Promise.all([encode300("mono-ref.png", {}), encode300("mono.jb2s", { pdf: true })]).finally(() => page300.release());
    expect(jbig2).toMatchObject({ format: "jbig2", components: 1, bitsPerComponent: 1, width: 2550, height: 3300 });
    expect(jbig2.bytes).toBe(readFileSync(jbig2.path).length);
    expect(jbig2.outputBytes * 3).toBeLessThan(png.bytes);
    // The symbols file, coded on its own (the page-local size the worker measured), decoded by jbig2dec.
    const page = encodeJbig2(deserializePageSymbols(readFileSync(jbig2.path)));
    expect(embeddedStream(page).length).toBe(jbig2.outputBytes);
    const bitmap = jbig2dec(fileForm(page));
    const reference = await sharp(png.path).extractChannel(0).raw().toBuffer();
    let differences = 0;
    for (let y = 0; y < 3300; y++) {
      for (let x = 0; x < 2550; x++) if ((((bitmap.data[y * bitmap.stride + (x >> 3)]! >> (7 - (x & 7))) & 1) === 1) !== (reference[y * 2550 + x] === 0)) differences++;
    }
    expect(differences).toBe(0);
  });

  /** A white page with black pixels where a seeded generator falls below `share` (of 256). */
  const dots = (width: number, height: number, share: number): Buffer => {
    const rgba = Buffer.alloc(width * height * 4, 255);
    let seed = 1;
    for (let i = 0; i < width * height; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      if (seed >>> 24 < share) rgba.fill(0, i * 4, i * 4 + 3);
    }
    return rgba;
  };

  it("keeps the 1-bit PNG for a PDF where JBIG2 and G4 are larger (50% noise)", async () => {
    const image = await encodePage(dots(400, 300, 128), 400, 300, join(dir, "noise"), { format: "png", quality: 85, color: "mono", pdf: true });
    expect(image).toMatchObject({ format: "png", bitsPerComponent: 1 });
    expect(ihdr(image.path)).toEqual([1, 0, 0]);
    expect(image.outputBytes).toBe(image.bytes);
  });

  it("auto keeps a light gray rule that 1-bit would drop: the page goes to 16 levels and, in a PDF, to layers that keep it", async () => {
    const [width, height] = [600, 400];
    const page = Buffer.alloc(width * height * 3, 255);
    for (let y = 40; y < 100; y++) for (let x = 40; x < 560; x++) if (x % 10 < 4) page.fill(0, (y * width + x) * 3, (y * width + x) * 3 + 3); // black strokes
    const options: EncodeOptions = { format: "auto", quality: 85, color: "rgb", pdf: true, ppi: 300 };
    expect(await encodePage(page, width, height, join(dir, "strokes"), options, 3)).toMatchObject({ encoding: "mono" });
    for (let x = 40; x < 560; x++) page.fill(191, (300 * width + x) * 3, (300 * width + x) * 3 + 3); // a 1-pixel rule at 75% gray
    expect(await encodePage(page, width, height, join(dir, "ruled"), options, 3)).toMatchObject({ encoding: "gray4", format: "layers" });
  });

  it("takes JBIG2 for random 1-pixel dots (one symbol placed many times), smaller than the PNG", async () => {
    const rgba = dots(400, 300, 8); // 3% black dots
    const options: EncodeOptions = { format: "png", quality: 85, color: "mono" };
    const image = await encodePage(rgba, 400, 300, join(dir, "dots"), { ...options, pdf: true });
    const png = await encodePage(rgba, 400, 300, join(dir, "dots.png"), options);
    expect(image).toMatchObject({ format: "jbig2", bitsPerComponent: 1 });
    expect(image.outputBytes).toBeLessThan(png.bytes);
  });

  it("no PNG or JPEG of a page is smaller than smallestPossible, not even of a blank page (the most compressible)", async () => {
    const [width, height] = [2480, 3508];
    const white = Buffer.alloc(width * height * 3, 255);
    const options: EncodeOptions = { format: "png", quality: 85, color: "rgb" };
    const cases: Array<[Candidate, Partial<EncodeOptions>]> = [
      [{ format: "png", components: 3, bits: 8 }, { format: "png" }],
      [{ format: "png", components: 1, bits: 8 }, { format: "png", color: "gray" }],
      [{ format: "jpeg", components: 3, bits: 8 }, { format: "jpeg" }],
      [{ format: "jpeg", components: 1, bits: 8 }, { format: "jpeg", color: "gray" }],
    ];
    for (const [candidate, more] of cases) {
      const image = await encodePage(white, width, height, join(dir, `blank-${candidate.format}-${candidate.components}`), { ...options, ...more }, 3);
      expect(image.format).toBe(candidate.format);
      const bound = smallestPossible(candidate, width, height);
      expect(bound).toBeGreaterThan(1000);
      expect(image.bytes, `${candidate.format} ${candidate.components}`).toBeGreaterThanOrEqual(bound);
    }
  });
});
