/**
 * Crafted hostile PDFs, made here rather than stored: small files that expand to a lot.
 */
import { writeFileSync } from "node:fs";
import { constants, deflateRawSync } from "node:zlib";

/**
 * A zlib stream of `blocks` x `blockSize` zero bytes, made without compressing them all: one block
 * deflated and ended with a full flush (so it does not refer back), repeated, then an empty final
 * block and the Adler-32 of the zeros (a = 1, b = their count, mod 65521).
 */
function deflatedZeros(blockSize: number, blocks: number): Buffer {
  const block = deflateRawSync(Buffer.alloc(blockSize), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const end = deflateRawSync(Buffer.alloc(0));
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((blockSize * blocks) % 65521) * 65536 + 1) >>> 0);
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...Array.from({ length: blocks }, () => block), end, adler]);
}

/**
 * A one-inch page that draws one `side` x `side` 8-bit gray image (all black), Flate-compressed:
 * 30,000 x 30,000 is a ~1 MB file that pdf.js decodes to gigabytes (issue 19: 5.5 GB).
 */
export function writeHugeImagePdf(path: string, side: number): void {
  if (side % 100 !== 0) throw new Error("the side must be a multiple of 100 (the image is deflated 100 rows at a time)");
  const image = deflatedZeros(side * 100, side / 100);
  const content = Buffer.from("q 72 0 0 72 0 0 cm /Im0 Do Q\n");
  const objects: Buffer[] = [
    Buffer.from("<< /Type /Catalog /Pages 2 0 R >>"),
    Buffer.from("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
    Buffer.from("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>"),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from("\nendstream")]),
    Buffer.concat([
      Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length ${image.length} >>\nstream\n`),
      image,
      Buffer.from("\nendstream"),
    ]),
  ];
  const parts: Buffer[] = [Buffer.from("%PDF-1.7\n")];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  for (const [index, body] of objects.entries()) {
    offsets.push(offset);
    const object = Buffer.concat([Buffer.from(`${index + 1} 0 obj\n`), body, Buffer.from("\nendobj\n")]);
    parts.push(object);
    offset += object.length;
  }
  const xref = [`xref\n0 ${objects.length + 1}\n`, "0000000000 65535 f \n", ...offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`)].join("");
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
  writeFileSync(path, Buffer.concat(parts));
}
