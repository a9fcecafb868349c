/**
 * The hidden-text PDF of issue 19 item 5, written by hand at test time (no binaries). Page 1 shows
 * two words and hides one word in each way text can be hidden; page 2 is a scan with an OCR layer,
 * as ocrmypdf makes one: a page-sized image of "printed" words and invisible (Tr 3) text over them,
 * plus one invisible word over blank paper.
 */
import { deflateSync } from "node:zlib";
import { writeRawPdf } from "./hostile-pdfs.js";

/** Words that show in the page's render. */
export const VISIBLE_WORDS = ["Kestrel", "Osprey"];
/** Invisible (Tr 3) words of the OCR layer standing on the scan's ink. */
export const OCR_WORDS = ["Scanned", "Document"];
/** Each hidden word, and how it is hidden. */
export const HIDDEN_WORDS: Record<string, string> = {
  Whiteonwhite: "white text on the white page",
  Nearwhite: "text 3% grey on white",
  Invisiblemode: "render mode 3 (invisible) over nothing",
  Tinytext: "0.05 pt text",
  Layeroff: "in an optional-content group that is off",
  Underimage: "covered by an image",
  Clippedaway: "clipped away",
  Blackedout: "black text under a black box",
  Phantom: "OCR-style invisible text over the scan's blank paper",
};

const text = (word: string, y: number, size = 24): string => `BT /F1 ${size} Tf 72 ${y} Td (${word}) Tj ET`;

/** The scan's pixels: 1 pixel per 2 pt, paper grey ~235 with a little noise, words as dark strokes. */
function scanImage(width: number, height: number, words: Array<{ x: number; y: number; width: number; size: number }>): Buffer {
  const pixels = Buffer.alloc(width * height);
  let seed = 12345;
  for (let i = 0; i < pixels.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    pixels[i] = 229 + ((seed >>> 16) % 13); // 229..241: paper texture, far from ink
  }
  for (const word of words) {
    // Rows from the baseline to 0.7 of the font size (the letters' body), every third column a stroke.
    const top = height - Math.ceil((word.y + 0.7 * word.size) / 2);
    const bottom = height - Math.floor(word.y / 2);
    for (let row = top; row < bottom; row++) {
      for (let col = Math.floor(word.x / 2); col < Math.ceil((word.x + word.width) / 2); col++) {
        if (col % 3 === 0) pixels[row * width + col] = 40;
      }
    }
  }
  return pixels;
}

function stream(dict: string, data: string): string {
  return `<< ${dict} /Length ${data.length} >>\nstream\n${data}\nendstream`;
}

export function makeHiddenTextPdf(path: string): void {
  const page1 = [
    `0 g ${text("Kestrel", 720)}`,
    `0 g ${text("Osprey", 670)}`,
    `1 1 1 rg ${text("Whiteonwhite", 610)}`,
    `0.97 g ${text("Nearwhite", 560)}`,
    `0 g 3 Tr ${text("Invisiblemode", 510)} 0 Tr`,
    `0 g ${text("Tinytext", 470, 0.05)}`,
    `/OC /Off BDC 0 g ${text("Layeroff", 430)} EMC`,
    `0 g ${text("Underimage", 380)} q 360 0 0 40 60 372 cm /Grey Do Q`,
    `q 0 0 10 10 re W n 0 g ${text("Clippedaway", 330)} Q`,
    `0 g ${text("Blackedout", 280)} 60 272 360 40 re f`,
  ].join("\n");
  const [w, h] = [306, 396];
  // Helvetica widths: Scanned 3943/1000 em, Document 4613/1000 em, at 24 pt.
  const scan = deflateSync(scanImage(w, h, [{ x: 72, y: 700, width: 95, size: 24 }, { x: 72, y: 650, width: 111, size: 24 }])).toString("hex");
  const page2 = ["q 612 0 0 792 0 0 cm /Scan Do Q", `3 Tr ${text("Scanned", 700)} ${text("Document", 650)} ${text("Phantom", 500)}`].join("\n");
  const font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
  writeRawPdf(path, [
    "<< /Type /Catalog /Pages 2 0 R /OCProperties << /OCGs [5 0 R] /D << /Order [5 0 R] /OFF [5 0 R] >> >> >>",
    "<< /Type /Pages /Count 2 /Kids [3 0 R 4 0 R] >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R /Resources << /Font << /F1 7 0 R >> /XObject << /Grey 8 0 R >> /Properties << /Off 5 0 R >> >> >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 9 0 R /Resources << /Font << /F1 7 0 R >> /XObject << /Scan 10 0 R >> >> >>",
    "<< /Type /OCG /Name (Hidden layer) >>",
    stream("", page1),
    font,
    stream("/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /ASCIIHexDecode", "80>"),
    stream("", page2),
    stream(`/Type /XObject /Subtype /Image /Width ${w} /Height ${h} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter [/ASCIIHexDecode /FlateDecode]`, `${scan}>`),
  ]);
}

/** One page of `runs` separate text runs (each two letters at its own place, 1 pt high), Flate-compressed. */
export function makeManyRunsPdf(path: string, runs: number): void {
  const ops: string[] = ["BT /F1 1 Tf 0 g"];
  // Each on the next line: pdf.js joins glyphs on one line into one run.
  for (let i = 0; i < runs; i++) ops.push(`1 0 0 1 ${10 + (Math.floor(i / 770) % 590)} ${10 + (i % 770)} Tm (ab) Tj`);
  ops.push("ET");
  const content = deflateSync(Buffer.from(ops.join("\n"), "latin1")).toString("hex");
  writeRawPdf(path, [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    stream("/Filter [/ASCIIHexDecode /FlateDecode]", `${content}>`),
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
  ]);
}
