/**
 * Writes the resolution into an encoded PNG or JPEG, so that an image file says the DPI it was
 * rendered at: libvips writes 1 pixel/mm (25.4 DPI) into a PNG's pHYs chunk and a JPEG's JFIF
 * header says only an aspect ratio. Pure: bytes in, bytes out.
 */
import { crc32 } from "node:zlib";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** `data` with `dpi` as its resolution: a PNG's pHYs chunk (in pixels per metre) or a JPEG's JFIF density (in DPI). */
export function stampResolution(data: Buffer, format: "png" | "jpeg", dpi: number): Buffer {
  if (!(dpi > 0) || !Number.isFinite(dpi)) throw new RangeError(`Expected a positive resolution, got ${dpi}`);
  return format === "png" ? pngWithPhys(data, dpi) : jpegWithDensity(data, dpi);
}

function pngWithPhys(png: Buffer, dpi: number): Buffer {
  if (png.length < 33 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error("not a PNG file");
  const body = Buffer.alloc(9);
  const perMetre = Math.round(dpi / 0.0254);
  body.writeUInt32BE(perMetre, 0);
  body.writeUInt32BE(perMetre, 4);
  body[8] = 1; // unit: metre
  const phys = chunk("pHYs", body);
  // Drop any pHYs and put ours right after IHDR (it must come before IDAT).
  const parts: Buffer[] = [png.subarray(0, 8)];
  for (let at = 8; at < png.length; ) {
    if (at + 12 > png.length) throw new Error("truncated PNG chunk");
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    const end = at + 12 + length;
    if (end > png.length) throw new Error("truncated PNG chunk");
    if (type !== "pHYs") parts.push(png.subarray(at, end));
    if (type === "IHDR") parts.push(phys);
    at = end;
  }
  return Buffer.concat(parts);
}

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, "latin1");
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

function jpegWithDensity(jpeg: Buffer, dpi: number): Buffer {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error("not a JPEG file");
  const density = Math.min(65535, Math.max(1, Math.round(dpi)));
  const isJfif = jpeg[2] === 0xff && jpeg[3] === 0xe0 && jpeg.length >= 20 && jpeg.toString("latin1", 6, 11) === "JFIF\0";
  if (isJfif) {
    const out = Buffer.from(jpeg);
    out[13] = 1; // units: dots per inch
    out.writeUInt16BE(density, 14);
    out.writeUInt16BE(density, 16);
    return out;
  }
  // No JFIF header: add one (version 1.01, DPI, no thumbnail) after SOI.
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x01, 0, 0, 0, 0, 0x00, 0x00]);
  app0.writeUInt16BE(density, 12);
  app0.writeUInt16BE(density, 14);
  return Buffer.concat([jpeg.subarray(0, 2), app0, jpeg.subarray(2)]);
}
