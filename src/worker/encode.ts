/**
 * sharp adapter: encodes a rendered page's RGBA pixels to a JPEG or PNG file that the
 * assembler can embed as-is (JPEG as DCTDecode; PNG IDAT as FlateDecode with a PNG predictor).
 */
import { writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import sharp from "sharp";

export interface EncodeOptions {
  format: "jpeg" | "png";
  /** 1-100, JPEG only. */
  quality: number;
  color: "rgb" | "gray" | "mono";
  /** 0-255: gray levels at or above it become white in mono. @default 128 */
  threshold?: number;
}

export interface EncodedImage {
  path: string;
  bytes: number;
  format: "jpeg" | "png";
  width: number;
  height: number;
  components: 1 | 3;
  bitsPerComponent: 1 | 8;
  encodeMs: number;
  writeMs: number;
}

// Raw input is never reused, so libvips' operation cache only costs memory.
sharp.cache(false);

/*
 * Measured on tracemonkey p1 at 300 DPI (2550x3300), best CPU ms / bytes:
 * JPEG q85 4:2:0: optimiseCoding 67 ms / 1.14 MB (without 28 ms / 1.22 MB); mozjpeg 600 ms / 0.81 MB.
 * PNG RGB level 6: adaptive filtering 235 ms / 1.39 MB, none 69 ms / 1.25 MB; level 9: 600-900 ms.
 * Filtering loses 10% on text but halves gradients (radial_gradients: 109 vs 227 KB) and saves 19% on photos.
 */
const PNG_COMPRESSION_LEVEL = 6;

/** Mono is always PNG: 1-bit JPEG does not exist. PNG output is non-interlaced, colour type 0 or 2, never alpha. */
export async function encodePage(
  rgba: Buffer,
  width: number,
  height: number,
  outPath: string,
  options: EncodeOptions,
): Promise<EncodedImage> {
  const format = options.color === "mono" ? "png" : options.format;
  const t0 = performance.now();
  // No sharp pixel limit (2^28 - 2^15): the master's --max-pixels already bounds the page.
  let image = sharp(rgba, { raw: { width, height, channels: 4 }, limitInputPixels: false }).removeAlpha();
  if (options.color !== "rgb") image = image.toColourspace("b-w");
  if (options.color === "mono") image = image.threshold(options.threshold ?? 128);
  image =
    format === "jpeg"
      ? image.jpeg({ quality: options.quality, mozjpeg: false, optimiseCoding: true, chromaSubsampling: "4:2:0" })
      : image.png({
          progressive: false,
          compressionLevel: PNG_COMPRESSION_LEVEL,
          adaptiveFiltering: true,
          palette: false, // colour type 0/2 (gray/RGB); with it, `colours: 2` only sets the bit depth to 1
          ...(options.color === "mono" ? { colours: 2 } : {}),
        });
  const data = await image.toBuffer();
  const t1 = performance.now();
  await writeFile(outPath, data);
  const t2 = performance.now();
  return {
    path: outPath,
    bytes: data.length,
    format,
    width,
    height,
    components: options.color === "rgb" ? 3 : 1,
    bitsPerComponent: options.color === "mono" ? 1 : 8,
    encodeMs: t1 - t0,
    writeMs: t2 - t1,
  };
}

