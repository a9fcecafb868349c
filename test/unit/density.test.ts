import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { densityEdit, writeDensity } from "../../src/output/density.js";
import { scratch } from "../helpers/cli.js";

/** A 40x30 gradient as sharp writes it for each encoding pdfraster uses. */
async function image(kind: string): Promise<Buffer> {
  const pixels = Buffer.alloc(40 * 30 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
  const raw = sharp(pixels, { raw: { width: 40, height: 30, channels: 3 } });
  switch (kind) {
    case "rgb jpeg": return raw.jpeg({ quality: 85 }).toBuffer();
    case "gray jpeg": return raw.toColourspace("b-w").jpeg({ quality: 85 }).toBuffer();
    case "rgb png": return raw.png().toBuffer();
    case "gray png": return raw.toColourspace("b-w").png().toBuffer();
    case "gray4 png": return raw.toColourspace("b-w").png({ palette: false, colours: 16 }).toBuffer();
    default: return raw.toColourspace("b-w").threshold(128).png({ palette: false, colours: 2 }).toBuffer(); // 1-bit
  }
}

const decoded = (data: Buffer): Promise<Buffer> => sharp(data).raw().toBuffer();

describe("writeDensity", () => {
  it.each(["rgb jpeg", "gray jpeg", "rgb png", "gray png", "gray4 png", "mono png"])("makes a %s declare the DPI, pixels untouched", async (kind) => {
    const original = await image(kind);
    expect((await sharp(original).metadata()).density).not.toBe(150); // libvips writes 25.4 (PNG) or nothing (JPEG)
    const path = join(scratch(), "page");
    writeFileSync(path, original);
    const size = await writeDensity(path, 150);
    const written = readFileSync(path);
    expect(size).toBe(written.length);
    expect((await sharp(written).metadata()).density).toBe(150);
    expect((await decoded(written)).equals(await decoded(original))).toBe(true);
    // Once the field exists, a second call edits it in place: the size does not change.
    expect(await writeDensity(path, 300)).toBe(written.length);
    expect((await sharp(readFileSync(path)).metadata()).density).toBe(300);
    expect(statSync(path).size).toBe(written.length);
  });

  it("leaves a file that is neither PNG nor JPEG alone", async () => {
    const path = join(scratch(), "notes.txt");
    writeFileSync(path, "not an image");
    expect(await writeDensity(path, 150)).toBe(12);
    expect(readFileSync(path, "utf8")).toBe("not an image");
    expect(densityEdit(Buffer.from([0x89, 0x50, 0x4e, 0x47]), 72)).toBeUndefined();
  });
});
