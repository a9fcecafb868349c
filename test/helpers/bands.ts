import { execFileSync } from "node:child_process";
import { decodeImage, type PageInfo } from "./pdf.js";

/** A page's raster: its image, or its bands stacked top to bottom, decoded to raw pixels. */
export interface Raster {
  width: number;
  height: number;
  channels: number;
  data: Buffer;
  /** Rows at which a band begins (0 first). */
  bandTops: number[];
}

export async function pageRaster(page: PageInfo): Promise<Raster> {
  const bands = await Promise.all(page.images.map(decodeImage));
  const first = bands[0];
  if (!first) throw new Error("the page has no image");
  if (bands.some((b) => b.width !== first.width || b.channels !== first.channels)) throw new Error("bands of different widths or channels");
  const bandTops: number[] = [];
  let top = 0;
  for (const band of bands) {
    bandTops.push(top);
    top += band.height;
  }
  return { width: first.width, height: top, channels: first.channels, data: Buffer.concat(bands.map((b) => b.data)), bandTops };
}

/** How two rasters of one size differ: the share of differing bytes, the largest difference, and the rows where they differ. */
export function difference(a: Raster, b: Raster): { share: number; max: number; rows: number[] } {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    throw new Error(`sizes differ: ${a.width}x${a.height}x${a.channels} and ${b.width}x${b.height}x${b.channels}`);
  }
  let differing = 0;
  let max = 0;
  const rows = new Set<number>();
  const stride = a.width * a.channels;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    if (d === 0) continue;
    differing++;
    if (d > max) max = d;
    rows.add(Math.floor(i / stride));
  }
  return { share: differing / a.data.length, max, rows: [...rows].sort((x, y) => x - y) };
}

/** Mean absolute difference of row `y` of two rasters of one size (a seam shows as a row far from its neighbours). */
export function rowDifference(a: Raster, b: Raster, y: number): number {
  const stride = a.width * a.channels;
  let sum = 0;
  for (let i = y * stride; i < (y + 1) * stride; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / stride;
}

/** `pdfimages -list`: width and height of each image of page `page` (1-based). */
export function pdfimagesList(pdf: string, page?: number): Array<[number, number]> {
  const args = page === undefined ? ["-list", pdf] : ["-list", "-f", String(page), "-l", String(page), pdf];
  return execFileSync("pdfimages", args, { encoding: "utf8" })
    .trim()
    .split("\n")
    .slice(2)
    .map((line) => line.trim().split(/\s+/))
    .map((f) => [Number(f[3]), Number(f[4])]);
}
