/**
 * libtiff's own tools (Debian's libtiff-tools) and ImageMagick as the independent readers of the
 * TIFF output. In CI (CI=true) missing tools are a failure, not a skip: .ci/run installs them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { hasTools } from "./tools.js";

export const HAS_TIFF_TOOLS = hasTools("tiffinfo", "tiffdump", "compare");
if (!HAS_TIFF_TOOLS) {
  const install = "apt-get install libtiff-tools imagemagick";
  if (process.env.CI === "true") throw new Error(`tiffinfo/tiffdump/compare are not installed: the TIFF tests need them in CI (${install})`);
  console.warn(`tiffinfo/tiffdump/compare not installed: the TIFF tests are skipped (${install})`);
}

/** One IFD as `tiffinfo` describes it. */
export interface TiffDirectory {
  width: number;
  height: number;
  /** "300, 300 pixels/inch" */
  resolution: string;
  compression: string;
  photometric: string;
  bitsPerSample: number;
  samplesPerPixel: number;
  subfileType: string | undefined;
}

/** Every directory (page) of a TIFF file, in file order, read by libtiff's tiffinfo. */
export function tiffinfo(path: string): TiffDirectory[] {
  const text = execFileSync("tiffinfo", [path], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return text
    .split(/^TIFF Directory at offset .*$/m)
    .slice(1)
    .map((block) => {
      const field = (name: string): string | undefined => new RegExp(`^\\s*${name}: (.*)$`, "m").exec(block)?.[1]?.trim();
      const size = /Image Width: (\d+) Image Length: (\d+)/.exec(block);
      return {
        width: Number(size?.[1]),
        height: Number(size?.[2]),
        resolution: field("Resolution") ?? "",
        compression: field("Compression Scheme") ?? "",
        photometric: field("Photometric Interpretation") ?? "",
        bitsPerSample: Number(field("Bits/Sample")),
        samplesPerPixel: Number(field("Samples/Pixel") ?? 1),
        subfileType: field("Subfile Type"),
      };
    });
}

/** How different two images are, as ImageMagick decodes them (`page` selects a TIFF page): pixels that differ, and the normalized RMSE. */
export function imageDifference(a: string, b: string): { differing: number; rmse: number } {
  const run = (metric: string): string => {
    const result = spawnSync("compare", ["-metric", metric, a, b, "null:"], { encoding: "utf8" });
    if (result.status === 2 || result.error) throw new Error(`compare ${a} ${b} failed: ${result.stderr}`);
    return result.stderr;
  };
  const differing = Number(/^[\d.e+]+/.exec(run("AE"))?.[0]);
  const rmse = Number(/\(([\d.e+-]+)\)/.exec(run("RMSE"))?.[1]);
  return { differing, rmse };
}
