import { deflateSync } from "node:zlib";

/** One page image of a test PDF: a `/JBIG2Decode` stream, and whether it refers to the globals. */
export interface Jbig2PdfPage {
  width: number;
  height: number;
  stream: Uint8Array;
  usesGlobals: boolean;
}

/**
 * A minimal PDF by hand: each page is `width` x `height` points showing its JBIG2 image at 1 point per
 * pixel, and the `/JBIG2Globals` stream is the LAST object, written after every page that refers to it,
 * as the streaming assembler would write it.
 */
export function jbig2Pdf(pages: readonly Jbig2PdfPage[], globals: Uint8Array | undefined): Uint8Array {
  const chunks: Buffer[] = [];
  const offsets: number[] = [];
  let length = 0;
  const write = (data: string | Uint8Array): void => {
    const buffer = typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data);
    chunks.push(buffer);
    length += buffer.length;
  };
  const object = (id: number, dict: string, stream?: Uint8Array): void => {
    offsets[id] = length;
    write(`${id} 0 obj\n${dict}\n`);
    if (stream) {
      write("stream\n");
      write(stream);
      write("\nendstream\n");
    }
    write("endobj\n");
  };
  const globalsId = 3 + pages.length * 3;
  write("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n");
  object(1, "<< /Type /Catalog /Pages 2 0 R >>");
  const kids = pages.map((_, i) => `${3 + i * 3} 0 R`).join(" ");
  object(2, `<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`);
  pages.forEach((page, i) => {
    const id = 3 + i * 3;
    object(
      id,
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${page.width} ${page.height}] /Resources << /XObject << /Im0 ${id + 2} 0 R >> >> /Contents ${id + 1} 0 R >>`,
    );
    const content = deflateSync(Buffer.from(`q ${page.width} 0 0 ${page.height} 0 0 cm /Im0 Do Q`));
    object(id + 1, `<< /Length ${content.length} /Filter /FlateDecode >>`, content);
    const parms = page.usesGlobals ? ` /DecodeParms << /JBIG2Globals ${globalsId} 0 R >>` : "";
    object(
      id + 2,
      `<< /Type /XObject /Subtype /Image /Width ${page.width} /Height ${page.height} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode${parms} /Length ${page.stream.length} >>`,
      page.stream,
    );
  });
  const count = globals ? globalsId + 1 : globalsId;
  if (globals) object(globalsId, `<< /Length ${globals.length} >>`, globals);
  const xref = length;
  write(`xref\n0 ${count}\n0000000000 65535 f \n`);
  for (let id = 1; id < count; id++) write(`${String(offsets[id]).padStart(10, "0")} 00000 n \n`);
  write(`trailer\n<< /Size ${count} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  return Buffer.concat(chunks);
}
