import { writeFile } from "node:fs/promises";
import sharp from "sharp";

export interface EncodeOptions {
  format: "jpeg" | "png";
  /** JPEG quality, 1-100. */
  quality: number;
  color: "rgb" | "gray" | "mono";
  /** Gray level at or above which a mono pixel is white. @default 128 */
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

/** Encodes opaque RGBA canvas pixels once with sharp and writes them to `outPath`. */
export async function encodePage(
  rgba: Buffer,
  width: number,
  height: number,
  outPath: string,
  options: EncodeOptions,
): Promise<EncodedImage> {
  const started = performance.now();
  let image = sharp(rgba, { raw: { width, height, channels: 4 } }).removeAlpha();
  const mono = options.color === "mono";
  if (options.color !== "rgb") image = image.toColourspace("b-w");
  if (mono) image = image.threshold(options.threshold ?? 128);
  const format = mono ? "png" : options.format;
  // Measured (bench/encode-settings.mjs, README "Performance"): Huffman optimisation makes pages 5-12% smaller
  // (smaller than pdftoppm's at the same quality) for ~35 ms per Letter page; 4:4:4 is larger and slower;
  // trellis and mozjpeg are 6-9x slower. PNG: level 6 without adaptive filtering is the size/time knee.
  image =
    format === "jpeg"
      ? image.jpeg({ quality: options.quality, chromaSubsampling: "4:2:0", optimiseCoding: true, mozjpeg: false })
      : image.png({ compressionLevel: 6, adaptiveFiltering: false, palette: false, ...(mono ? { colours: 2 } : {}) });
  const data = await image.toBuffer();
  const encoded = performance.now();
  await writeFile(outPath, data);
  return {
    path: outPath,
    bytes: data.length,
    format,
    width,
    height,
    components: options.color === "rgb" ? 3 : 1,
    bitsPerComponent: mono ? 1 : 8,
    encodeMs: encoded - started,
    writeMs: performance.now() - encoded,
  };
}
