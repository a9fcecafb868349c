/**
 * Encodes a rendered page's RGBA pixels to a file that the assembler can embed: JPEG (as DCTDecode)
 * and PNG (its IDAT as FlateDecode with a PNG predictor) with sharp, and for 1-bit pages of a PDF,
 * JBIG2 symbols (coded by the assembler against the document's dictionary) or CCITT Group 4
 * (codecs/ccitt, in a TIFF file; as CCITTFaxDecode), whichever is smaller (bilevel.ts).
 */
import { writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import sharp, { type Sharp } from "sharp";
import { packBlack, type BlackBitmap } from "../codecs/ccitt/g4.js";
import { bilevelFile, type BilevelFile } from "./bilevel.js";
import { chooseEncoding, measurePage, MONO_FROM_PPI, PHOTO_FROM, type AutoEncoding, type PageStats } from "./classify.js";
import { layeredFile } from "./layered.js";
import { mixedFile } from "./mixed.js";
import { blackBitmap, monoBits } from "./mono.js";

/**
 * How an image output file is written (absent for a PDF's page images, which need neither): its
 * resolution in pixels per inch, and whether it is a single-page TIFF, with the page's encoding
 * as its compression (see {@link tiffCompression}).
 */
export interface FileSettings {
  tiff: boolean;
  dpi: number;
}

/** What a written page file is: a JPEG, a PNG, or a TIFF holding either encoding. */
export type FileFormat = "jpeg" | "png" | "tiff";

export interface EncodeOptions {
  /** `auto` measures the page and picks per page (see classify.ts). */
  format: "jpeg" | "png" | "auto";
  /** 1-100, JPEG only. */
  quality: number;
  color: "rgb" | "gray" | "mono";
  /** 0-255: gray levels at or above it become white in mono. @default 128 */
  threshold?: number;
  /** Pixels per inch of the page content, for `auto` (1-bit only at print resolution). @default 300 */
  ppi?: number;
  /** Pixels of `background` added on each side (image output of a page on a larger sheet). */
  pad?: { top: number; right: number; bottom: number; left: number; background: [number, number, number] };
  /** For `auto`: the encoding chosen already (a band of a page, from the page's probe), instead of measuring these pixels. */
  encoding?: AutoEncoding;
  /**
   * The image goes into a PDF (not an image file): 1-bit pages are coded with JBIG2 or CCITT Group 4,
   * which only a PDF (or TIFF) reader decodes. @default false
   */
  pdf?: boolean;
  /**
   * A band that the master will join with the page's other bands and encode (image output): written
   * as a fast lossless PNG of the colour and depth the page's encoding will have (see bands/join.ts).
   */
  lossless?: boolean;
  /** Image output: the file's resolution, and TIFF. Not for a `lossless` band, which the master joins and writes. */
  file?: FileSettings;
}

/**
 * How a page image file is coded: JPEG, PNG, or (1-bit, PDF output only) CCITT Group 4 in a TIFF
 * file or JBIG2 symbols (codecs/jbig2 serializePageSymbols); or (`auto`, PDF output only) flat-colour
 * layers, each mask as JBIG2 symbols (codecs/layers/file.ts); or (`auto`, PDF output only) mixed raster
 * content, layers over JPEG photographs (codecs/mixed/file.ts).
 */
export type ImageCoding = "jpeg" | "png" | "g4" | "jbig2" | "layers" | "mixed";

/** What a written page file is: an image file (JPEG, PNG, TIFF), or a PDF-only coding (G4, JBIG2 symbols, layers). */
export type PageFileFormat = FileFormat | Exclude<ImageCoding, "jpeg" | "png">;

export interface EncodedImage {
  path: string;
  /** Size of the file written. */
  bytes: number;
  /** Bytes the image is expected to take in the output: the file's, except JBIG2 symbols (their page-local coded size, an upper bound). */
  outputBytes: number;
  format: PageFileFormat;
  /** Pixel size of the written image (the page plus any padding). */
  width: number;
  height: number;
  components: 1 | 3;
  bitsPerComponent: 1 | 4 | 8;
  /** What `auto` chose, for diagnostics. */
  encoding?: AutoEncoding;
  encodeMs: number;
  writeMs: number;
}

// Raw input is never reused, so libvips' operation cache only costs memory.
sharp.cache(false);

/*
 * Measured on tracemonkey p1 at 300 DPI (2550x3300), best CPU ms / bytes:
 * JPEG q85 4:2:0: optimiseCoding 67 ms / 1.14 MB (without 28 ms / 1.22 MB); mozjpeg 600 ms / 0.81 MB.
 * Standard Huffman tables (no optimiseCoding) are what pdftoppm and Ghostscript write too: the output
 * is then as large as `pdftoppm -jpeg | img2pdf`'s (tracemonkey: 19.23 vs 19.20 MB), and encoding
 * is 2.5x cheaper, which with MuPDF is ~35% of a page's CPU (2 workers, tracemonkey: 1.07 s -> 0.85 s).
 * Smaller files are a format choice (`--format auto`: 3x smaller on text) rather than a slower JPEG.
 * PNG RGB level 6: adaptive filtering 235 ms / 1.39 MB, none 69 ms / 1.25 MB; level 9: 600-900 ms.
 * Filtering loses 10% on text but halves gradients (radial_gradients: 109 vs 227 KB) and saves 19% on photos.
 */
const PNG_COMPRESSION_LEVEL = 6;

/**
 * 1-bit pages of a PDF are coded with JBIG2 or G4, and with PNG too (the smaller is kept) only when
 * the better of the two takes more than this share of the bitmap's packed size. Measured (2550x3300 text at 300 DPI; 1275x1650
 * synthetic): text G4 5-12% of the packed bits, PNG 1.5x larger; random dots at 1% G4 17% against
 * PNG 12%, noise and halftones G4 160-210% against PNG 1-100%.
 */
const G4_ALONE_BELOW = 1 / 8;

/** One way of encoding the page. */
export interface Candidate {
  format: ImageCoding;
  components: 1 | 3;
  bits: 1 | 4 | 8;
  /** An intermediate for the master to re-encode: fast, not small. */
  lossless?: boolean;
}

const RGB_JPEG: Candidate = { format: "jpeg", components: 3, bits: 8 };
const RGB_PNG: Candidate = { format: "png", components: 3, bits: 8 };
const GRAY_JPEG: Candidate = { format: "jpeg", components: 1, bits: 8 };
const GRAY_PNG: Candidate = { format: "png", components: 1, bits: 8 };
const GRAY4_PNG: Candidate = { format: "png", components: 1, bits: 4 };
const MONO_PNG: Candidate = { format: "png", components: 1, bits: 1 };
/** JBIG2 or G4, whichever codes smaller (bilevel.ts). */
const MONO_PDF: Candidate = { format: "jbig2", components: 1, bits: 1 };
/** Flat-colour layers (layered.ts). */
const LAYERS: Candidate = { format: "layers", components: 3, bits: 1 };
/** Flat-colour layers over JPEG photographs (mixed.ts). */
const MIXED: Candidate = { format: "mixed", components: 3, bits: 8 };

/**
 * `auto`'s encodings of text and line art in gray or colour, where flat-colour layers are tried too
 * (the smallest is kept). Not "rgb-jpeg" (photographs), nor "gray-smallest" on a page measured photographic.
 */
const LAYERABLE = new Set<AutoEncoding>(["rgb-smallest", "gray4", "gray-smallest"]);

const AUTO: Record<Exclude<AutoEncoding, "mono">, Candidate[]> = {
  gray4: [GRAY4_PNG],
  "gray-smallest": [GRAY_PNG, GRAY_JPEG],
  "rgb-jpeg": [RGB_JPEG],
  "rgb-smallest": [RGB_PNG, RGB_JPEG],
};

/** The encodings to try (the smallest is kept) for `format` and `color`, or for what `auto` chose. */
export function candidatesFor(options: Pick<EncodeOptions, "format" | "color" | "pdf">, encoding: AutoEncoding | undefined): Candidate[] {
  if (options.color === "mono" || encoding === "mono") return [options.pdf ? MONO_PDF : MONO_PNG];
  if (encoding) return AUTO[encoding];
  if (options.color === "gray") return [options.format === "jpeg" ? GRAY_JPEG : GRAY_PNG];
  return [options.format === "jpeg" ? RGB_JPEG : RGB_PNG];
}

/** Runs the encoder once on a tiny image, so that libvips' one-time set-up is not paid by the first page. */
export async function warmEncoder(): Promise<void> {
  const pixels = Buffer.alloc(16 * 16 * 3, 255);
  await pipeline(pixels, 16, 16, 3, RGB_JPEG, { format: "jpeg", quality: 85, color: "rgb" }).toBuffer();
}

/**
 * Encodes opaque RGBA (or, with `channels` 3, RGB) pixels with sharp (two candidates at most, for
 * `auto`) and writes the smallest to `outPath`. Mono is JBIG2 or G4 in a PDF (PNG where that is smaller), PNG
 * otherwise: 1-bit JPEG does not exist. PNG output is non-interlaced, colour type 0 or 2, never alpha.
 */
export async function encodePage(
  rgba: Buffer,
  width: number,
  height: number,
  outPath: string,
  options: EncodeOptions,
  channels: 3 | 4 = 4,
): Promise<EncodedImage> {
  const started = performance.now();
  let encoding: AutoEncoding | undefined;
  let stats: PageStats | undefined;
  let bits: BlackBitmap | undefined; // the page's 1-bit pixels, when auto has thresholded it already
  if (options.format === "auto" && options.color !== "mono") {
    if (!options.encoding) stats = measurePage(rgba, width, height, channels);
    encoding = options.encoding ?? chooseEncoding(stats!, { ppi: options.ppi ?? 300, gray: options.color === "gray" });
    // 1-bit would drop a light gray rule (a table rule, a box edge): 16 gray levels keep it, and in a
    // PDF layers are tried. Looked for while thresholding, whose bits are kept for the 1-bit candidate.
    if (encoding === "mono" && !options.encoding) {
      const mono = await monoBits(rgba, width, height, channels, options.threshold ?? 128, true);
      if (mono.losesLightRule) encoding = "gray4";
      bits = mono.bits;
    }
  }
  let candidates = candidatesFor(options, encoding);
  if (options.lossless) candidates = [{ ...candidates[0]!, format: "png", lossless: true }];
  const file = options.lossless ? undefined : options.file;
  // A TIFF takes the encoding that wins as PNG or JPEG, so that `auto` chooses as for a PDF (TIFF's
  // Deflate predictor is not PNG's filtering: compared as TIFFs, JPEG would win pages PNG wins).
  const compared = file?.tiff && candidates.length > 1 ? undefined : file;
  const encode = async (c: Candidate): Promise<Encoded> => {
    if (c !== MONO_PDF) {
      const data = await pipeline(rgba, width, height, channels, c, options, compared).toBuffer();
      return { data, estimate: data.length, candidate: c };
    }
    const coded = await bilevel(rgba, width, height, channels, options, bits);
    return { data: coded.data, estimate: coded.estimate, candidate: { ...c, format: coded.format } };
  };
  // Colour only: with --color gray, layers would keep the colours (a gray palette would need a gray render).
  // At print resolution only: layers drop anti-aliasing as 1-bit does, which costs legibility below it.
  const layersFit = options.pdf && !options.lossless && !options.pad && options.color === "rgb" && (options.ppi ?? 300) >= MONO_FROM_PPI && encoding !== undefined && encoding !== "mono";
  const tryLayers = layersFit && LAYERABLE.has(encoding!) && !(stats && stats.photo >= PHOTO_FROM);
  const layers = tryLayers ? layeredFile(rgba, width, height, channels) : undefined;
  // Where the layers refused the page (or it measured photographic): layers over JPEG photographs.
  const gray = encoding === "gray4" || encoding === "gray-smallest";
  const mixed = layersFit && !layers ? await mixedFile(rgba, width, height, channels, { quality: options.quality, gray }) : undefined;
  // Layers (or mixed) smaller than any file the other candidates can be need not be compared (on the colour
  // manual, 1 page in 12 could not skip them: ~0.5 s of CPU per page saved on a 2-core machine).
  const early = layers ?? mixed;
  if (early && early.estimate < Math.min(...candidates.map((c) => smallestPossible(c, width, height)))) candidates = [];
  const encoded = await Promise.all(candidates.map(encode));
  if (layers) encoded.push({ data: layers.data, estimate: layers.estimate, candidate: LAYERS });
  if (mixed) encoded.push({ data: mixed.data, estimate: mixed.estimate, candidate: MIXED });
  const [first] = encoded as [Encoded];
  if (candidates[0] === MONO_PDF && first.estimate > packedBytes(width, height, options.pad) * G4_ALONE_BELOW) {
    encoded.push(await encode(MONO_PNG));
  }
  let best = encoded[0]!;
  for (const other of encoded) if (other.estimate < best.estimate) best = other;
  const chosen = best.candidate;
  let data = best.data;
  if (file?.tiff && compared === undefined) data = await pipeline(rgba, width, height, channels, chosen, options, file).toBuffer();
  const encodedAt = performance.now();
  await writeFile(outPath, data);
  const pad = options.pad;
  return {
    path: outPath,
    bytes: data.length,
    outputBytes: file?.tiff ? data.length : best.estimate,
    format: file?.tiff ? "tiff" : chosen.format,
    width: width + (pad ? pad.left + pad.right : 0),
    height: height + (pad ? pad.top + pad.bottom : 0),
    components: chosen.components,
    bitsPerComponent: chosen.bits,
    ...(encoding ? { encoding } : {}),
    encodeMs: encodedAt - started,
    writeMs: performance.now() - encodedAt,
  };
}

/** One candidate's file and the bytes it is expected to take in the output. */
interface Encoded {
  data: Uint8Array;
  estimate: number;
  candidate: Candidate;
}

/**
 * The page's 1-bit pixels (the same as for a 1-bit PNG) coded with JBIG2 or G4 (bilevel.ts). The
 * bits come from mono.ts (a few distinct colours, converted once each) or, for a page of many colours,
 * from the page in gray by sharp, thresholded while packing: sharp's `threshold()` costs 200 ms of CPU
 * on a 300 DPI page (it compares in double precision). `known`: the bits, when auto has them already.
 */
async function bilevel(rgba: Buffer, width: number, height: number, channels: 3 | 4, options: EncodeOptions, known?: BlackBitmap): Promise<BilevelFile> {
  const threshold = options.threshold ?? 128;
  const padded = options.pad && options.pad.top + options.pad.right + options.pad.bottom + options.pad.left > 0;
  let bits = padded ? undefined : (known ?? (await blackBitmap(rgba, width, height, channels, threshold)));
  if (!bits) {
    const gray = await pipeline(rgba, width, height, channels, MONO_PDF, options).toBuffer({ resolveWithObject: true });
    if (gray.info.channels !== 1) throw new Error(`Expected 1 channel in gray, got ${gray.info.channels}`);
    bits = packBlack(gray.data, gray.info.width, gray.info.height, threshold);
  }
  return bilevelFile(bits);
}

/**
 * A lower bound of the bytes of a PNG or JPEG candidate of a `width` x `height` page, whatever its
 * pixels: deflate compresses at most 1032:1 (a 258-byte match in two 1-bit codes), and a baseline
 * JPEG with the standard Huffman tables spends at least 6 bits on each 8x8 block of luma (the
 * shortest DC difference and end-of-block codes), so pixels * 6 / 64 bits.
 */
export function smallestPossible(c: Candidate, width: number, height: number): number {
  const pixels = width * height;
  if (c.format === "png") return (pixels * c.components * c.bits) / 8 / 1032;
  if (c.format === "jpeg") return (pixels * 6) / 64 / 8;
  return 0;
}

/** Bytes of the page (plus padding) as packed 1-bit rows. */
function packedBytes(width: number, height: number, pad: EncodeOptions["pad"]): number {
  const [w, h] = [width + (pad ? pad.left + pad.right : 0), height + (pad ? pad.top + pad.bottom : 0)];
  return ((w + 7) >> 3) * h;
}

function pipeline(rgba: Buffer, width: number, height: number, channels: 3 | 4, c: Candidate, options: EncodeOptions, file?: FileSettings): Sharp {
  // No sharp pixel limit (2^28 - 2^15): the master's --max-pixels already bounds the page.
  let image = sharp(rgba, { raw: { width, height, channels }, limitInputPixels: false });
  if (channels === 4) image = image.removeAlpha();
  const pad = options.pad;
  if (pad && pad.top + pad.right + pad.bottom + pad.left > 0) {
    const [r, g, b] = pad.background;
    image = image.extend({ top: pad.top, right: pad.right, bottom: pad.bottom, left: pad.left, background: { r, g, b } });
  }
  if (c.components === 1) image = image.toColourspace("b-w");
  if (c.bits === 1 && c !== MONO_PDF) image = image.threshold(options.threshold ?? 128); // see bilevel()
  if (c.bits === 4) image = image.linear(...toFourBits(c, file));
  return saveAs(image, c, options.quality, file);
}

/**
 * The `linear` that makes each gray level v the nearest of 16 levels, round(v / 17), as the writer
 * stores 4-bit samples. libvips' TIFF writer keeps the high 4 bits of each 8-bit sample (so: the
 * level times 16, plus half a step); its PNG writer (libvips 8.18, sharp 0.35) keeps the LOW 4 bits
 * (so: the level itself). Levels 17k already quantized (a band the master joins) are k in both.
 * test/unit/render-encode.test.ts checks both against every gray level.
 */
function toFourBits(c: Candidate, file: FileSettings | undefined): [number, number] {
  return file?.tiff && !c.lossless ? [240 / 255, 8] : [15 / 255, 0.5];
}

/**
 * A TIFF page's compression for an encoding: JPEG for JPEG, CCITT Group 4 (libtiff's, through
 * libvips) for 1-bit, Deflate for the rest (lossless, read by every TIFF reader that matters;
 * LZW is larger on rendered pages and adds nothing).
 */
export function tiffCompression(c: Candidate): "jpeg" | "ccittfax4" | "deflate" {
  if (c.format === "jpeg") return "jpeg";
  return c.bits === 1 ? "ccittfax4" : "deflate";
}

/**
 * The format stage of an encoding, on pixels already in its colour and depth. A `lossless`
 * candidate is an intermediate the master re-encodes: the fastest PNG (zlib level 1, no filtering:
 * a 19866x1616 band of tracemonkey p1 on A0 at 600 DPI took 153 ms of CPU for 1.25 MB, against
 * 1,522 ms for 0.38 MB at level 6 with adaptive filtering). JBIG2 and G4 take the gray pixels raw (see bilevel()).
 */
export function saveAs(image: Sharp, c: Candidate, quality: number, file?: FileSettings): Sharp {
  if (c.format === "g4" || c.format === "jbig2") return image.raw(); // JBIG2 and G4 take the gray pixels raw (see bilevel())
  if (file?.tiff && !c.lossless) {
    const perMm = file.dpi / 25.4;
    return image.tiff({
      compression: tiffCompression(c),
      quality,
      // Horizontal differencing helps Deflate on 8-bit samples only.
      predictor: c.format === "png" && c.bits === 8 ? "horizontal" : "none",
      ...(c.bits === 8 ? {} : { bitdepth: c.bits }),
      // 1-bit as fax machines and document systems expect it: 0 is white.
      ...(c.bits === 1 ? { miniswhite: true } : {}),
      xres: perMm,
      yres: perMm,
      resolutionUnit: "inch",
    });
  }
  if (c.format === "jpeg") return image.jpeg({ quality, mozjpeg: false, optimiseCoding: false, chromaSubsampling: "4:2:0" });
  return image.png({
    progressive: false,
    compressionLevel: c.lossless ? 1 : PNG_COMPRESSION_LEVEL,
    adaptiveFiltering: c.bits === 8 && !c.lossless,
    palette: false, // colour type 0/2 (gray/RGB); with it, `colours` only sets the bit depth (1 or 4)
    ...(c.bits === 8 ? {} : { colours: 2 ** c.bits }),
  });
}

/** Writes a page-sized image of one colour (a blank stand-in for a failed page in image output): JPEG, PNG, or a Deflate TIFF. */
export async function encodeBlank(
  width: number,
  height: number,
  background: [number, number, number],
  format: FileFormat,
  outPath: string,
  dpi: number,
): Promise<number> {
  const [r, g, b] = background;
  const image = sharp({ create: { width, height, channels: 3, background: { r, g, b } } });
  const candidate = format === "jpeg" ? RGB_JPEG : RGB_PNG;
  const file = { tiff: format === "tiff", dpi };
  const encoded = await saveAs(image, candidate, 85, file).toBuffer();
  const data = encoded; // PNG and JPEG files get their DPI from the image sink (output/density.ts)
  await writeFile(outPath, data);
  return data.length;
}
