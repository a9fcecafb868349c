/**
 * Image output of a banded page: the bands (lossless PNGs written by the workers, top to bottom)
 * become one file, encoded once. libvips joins them and reads, encodes and writes the page in
 * one sequential pass, so the master never holds the whole raster (docs/outputs.md, "Big pages"
 * gives its measured memory).
 */
import { rm, stat } from "node:fs/promises";
import sharp from "sharp";
import type { AutoEncoding } from "../worker/classify.js";
import { candidatesFor, saveAs, type EncodeOptions, type FileFormat, type FileSettings } from "../worker/encode.js";

export interface JoinedImage {
  format: FileFormat;
  bytes: number;
}

/**
 * Joins the band files into `outPath` (without an extension: the chosen format's is added) in the
 * page's encoding: with two candidates (`auto`'s "smallest"), both are written and the larger one
 * is removed. A TIFF takes the encoding that wins as PNG or JPEG, as the PDF would (see
 * encode.ts). The band files are left to the caller.
 */
export async function joinBands(
  bands: readonly string[],
  /** The page's pixel size (the bands stacked), and the sheet's margins above and below it in the background colour. */
  size: { width: number; height: number; top: number; bottom: number; background: [number, number, number] },
  outStem: string,
  options: Pick<EncodeOptions, "format" | "color" | "quality">,
  encoding: AutoEncoding | undefined,
  /** The file's resolution, and TIFF (see encode.ts). */
  file: FileSettings,
): Promise<JoinedImage & { path: string }> {
  let candidates = candidatesFor(options, encoding);
  if (file.tiff && candidates.length > 1) {
    const winner = await joinBands(bands, size, outStem, options, encoding, { ...file, tiff: false });
    await rm(winner.path, { force: true });
    candidates = candidates.filter((c) => c.format === winner.format);
  }
  const written: Array<JoinedImage & { path: string }> = [];
  try {
    for (const candidate of candidates) {
      if (candidate.format !== "jpeg" && candidate.format !== "png") throw new Error(`${candidate.format} is for pages of a PDF, not image files`);
      const format: FileFormat = file.tiff ? "tiff" : candidate.format;
      const path = `${outStem}-${written.length}.${{ jpeg: "jpg", png: "png", tiff: "tif" }[format]}`;
      // The bands are in the page's colour and depth already (encode.ts, `lossless`): only the format stage runs.
      // arrayjoin gives every cell the tallest band's height, the shorter last band at the top of its
      // cell: the page is the top `rows` rows.
      let image = sharp([...bands], { join: { across: 1 }, limitInputPixels: false, sequentialRead: true });
      image = image.extract({ left: 0, top: 0, width: size.width, height: size.height });
      if (size.top + size.bottom > 0) {
        const [r, g, b] = size.background;
        image = image.extend({ top: size.top, bottom: size.bottom, left: 0, right: 0, background: { r, g, b } });
      }
      if (candidate.components === 1) image = image.toColourspace("b-w");
      await saveAs(image, candidate, options.quality ?? 85, file).toFile(path);
      written.push({ path, format, bytes: (await stat(path)).size });
    }
  } catch (error) {
    await Promise.all(written.map((w) => rm(w.path, { force: true })));
    throw error;
  }
  written.sort((a, b) => a.bytes - b.bytes);
  await Promise.all(written.slice(1).map((w) => rm(w.path, { force: true })));
  return written[0]!;
}
