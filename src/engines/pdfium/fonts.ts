/**
 * System fonts for PDFium in WebAssembly, which sees none: an FPDF_SYSFONTINFO whose callbacks
 * (JavaScript functions in the module's table) hand out the bundled Noto Sans SC for the text
 * PDFium's built-in fonts cannot draw. Without it, non-embedded CJK text comes out blank.
 *
 * PDFium asks MapFont() for a substitute whenever a font is not embedded. Latin faces (the standard
 * 14 and their look-alikes: Arial, Times New Roman, ...) get no answer, so PDFium uses its own
 * built-in Foxit fonts (sans, serif, fixed, symbol, dingbats), stretched to the PDF's widths.
 * CJK charsets and faces, and the Greek and Cyrillic charsets the built-ins lack, get Noto Sans SC
 * (Simplified Chinese, with Japanese kana, Hangul, Greek and Cyrillic): the font the pdf.js engine
 * falls back to, so the engines agree. It is a sans face; a Mincho or Song face comes out sans.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Pdfium } from "./library.js";

/** Charsets PDFium passes to MapFont (FXFONT_*_CHARSET, as in Windows' LOGFONT). */
const CHARSET = { shiftJis: 128, hangeul: 129, johab: 130, gb2312: 134, big5: 136, greek: 161, cyrillic: 204 } as const;
const NOTO_CHARSETS = new Set<number>(Object.values(CHARSET));
/** Face names of common CJK fonts, for a non-embedded font whose charset does not say. */
const CJK_FACE =
  /Mincho|MS-?P?Gothic|Meiryo|Yu ?(Gothic|Mincho)|Hiragino|Heisei|Kozuka|Koz(Min|Go)|Ryumin|GothicBBB|Osaka|Ming|Song|Hei(?!ght)|Kai|FangSong|Sim(Sun|Hei|Kai|Fang)|STSong|MSung|MHei|Batang|Gulim|Dotum|Gungsuh|HY(SMyeongJo|GoThic)|Malgun|Noto ?Sans ?CJK|Source ?Han|Noto ?Serif ?CJK/i;

const FACE_NAME = "Noto Sans SC";
/** GetFontData's table tag for "the whole file"; 'ttcf' asks whether it is a collection (it is not). */
const WHOLE_FILE = 0;

/** Whether PDFium should draw a non-embedded font with the bundled CJK font. */
export function wantsNoto(charset: number, face: string): boolean {
  return NOTO_CHARSETS.has(charset) || CJK_FACE.test(face);
}

/** Offset and length of each table of a TrueType/OpenType file, by tag. */
function tableDirectory(font: Buffer): Map<number, { offset: number; length: number }> {
  const tables = new Map<number, { offset: number; length: number }>();
  const count = font.readUInt16BE(4);
  for (let i = 0; i < count; i++) {
    const entry = 12 + 16 * i;
    tables.set(font.readUInt32BE(entry), { offset: font.readUInt32BE(entry + 8), length: font.readUInt32BE(entry + 12) });
  }
  return tables;
}

/** Installs the font info, once per module; its struct and callbacks live as long as the module. */
export async function installSystemFonts(module: Pdfium): Promise<void> {
  const file = createRequire(import.meta.url).resolve("@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf");
  const font = await readFile(file);
  const tables = tableDirectory(font);
  const { pdfium } = module;
  // A handle per charset asked for (never 0, which means "none"): GetFontCharset answers with it.
  const handleFor = (charset: number): number => charset + 1;

  const callbacks: [(...args: number[]) => number | void, string][] = [
    // Release(pThis)
    [() => {}, "vi"],
    // EnumFonts(pThis, pMapper): tell the mapper the face exists, for its name lookups.
    [(_self, mapper) => {
      for (const charset of NOTO_CHARSETS) module.FPDF_AddInstalledFont(mapper, FACE_NAME, charset);
    }, "vii"],
    // MapFont(pThis, weight, bItalic, charset, pitchFamily, face, bExact) -> handle or 0
    [(_self, _weight, _italic, charset, _pitch, face, exact) => {
      if (exact) pdfium.HEAP32[exact >> 2] = 0;
      return wantsNoto(charset, pdfium.UTF8ToString(face)) ? handleFor(charset) : 0;
    }, "iiiiiiii"],
    // GetFont(pThis, face) -> handle or 0
    [(_self, face) => (pdfium.UTF8ToString(face) === FACE_NAME ? handleFor(CHARSET.gb2312) : 0), "iii"],
    // GetFontData(pThis, hFont, table, buffer, size) -> bytes of the table (copied when they fit)
    [(_self, _font, table, buffer, size) => {
      const tag = table >>> 0;
      const span = tag === WHOLE_FILE ? { offset: 0, length: font.length } : tables.get(tag);
      if (!span) return 0;
      if (buffer && size >>> 0 >= span.length) pdfium.HEAPU8.set(font.subarray(span.offset, span.offset + span.length), buffer);
      return span.length;
    }, "iiiiii"],
    // GetFaceName(pThis, hFont, buffer, size) -> length with the NUL (copied when it fits)
    [(_self, _font, buffer, size) => {
      const name = Buffer.from(`${FACE_NAME}\0`, "latin1");
      if (buffer && size >>> 0 >= name.length) pdfium.HEAPU8.set(name, buffer);
      return name.length;
    }, "iiiii"],
    // GetFontCharset(pThis, hFont)
    [(_self, handle) => handle - 1, "iii"],
    // DeleteFont(pThis, hFont): nothing to free, the bytes are shared.
    [() => {}, "vii"],
  ];
  const info = pdfium.wasmExports.malloc(4 * (1 + callbacks.length));
  if (!info) throw new Error("PDFium: out of memory for the font info");
  pdfium.HEAP32[info >> 2] = 1; // version 1: no per-font FreeType face callbacks
  callbacks.forEach(([fn, signature], i) => {
    pdfium.HEAP32[(info >> 2) + 1 + i] = pdfium.addFunction(fn, signature);
  });
  module.FPDF_SetSystemFontInfo(info);
}
