/**
 * The invisible font of the text layer (the OCRmyPDF / Tesseract "GlyphLessFont" design): a
 * Type0 font with Identity-H encoding whose character codes are UTF-16 code units, a TrueType
 * program whose glyphs are all empty (every CID maps to GID 1, which Acrobat prefers to GID 0),
 * and a ToUnicode CMap mapping each code to itself, so any script extracts as what was written.
 * The /W widths approximate real glyph widths (Helvetica for ASCII, full width for CJK, zero for
 * combining marks) so that, once a run is stretched to its original width, the words inside it
 * land close to where the original words were.
 */

/** Helvetica advance widths (1/1000 em) of U+0020..U+007E, from its AFM. */
const ASCII_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556,
  556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556,
  556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/** Width of every code unit not listed below. */
const DEFAULT_WIDTH = 556;

/** [first, last, width] for code units outside ASCII, sorted and disjoint. */
const RANGES: ReadonlyArray<readonly [number, number, number]> = [
  [0x0300, 0x036f, 0], // combining diacritical marks
  [0x0591, 0x05c7, 0], // Hebrew points
  [0x064b, 0x065f, 0], // Arabic harakat
  [0x0670, 0x0670, 0],
  [0x0e31, 0x0e31, 0], // Thai vowel and tone marks
  [0x0e34, 0x0e3a, 0],
  [0x0e47, 0x0e4e, 0],
  [0x1100, 0x115f, 1000], // Hangul Jamo
  [0x200b, 0x200f, 0], // zero-width spaces and direction marks
  [0x2e80, 0x303e, 1000], // CJK radicals, symbols and punctuation
  [0x3041, 0x33ff, 1000], // kana, CJK compatibility
  [0x3400, 0x4dbf, 1000], // CJK extension A
  [0x4e00, 0x9fff, 1000], // CJK unified ideographs
  [0xa000, 0xa4cf, 1000], // Yi
  [0xac00, 0xd7a3, 1000], // Hangul syllables
  [0xd800, 0xdfff, 1000], // CIDs given to characters beyond the BMP (mostly CJK extensions, emoji)
  [0xf900, 0xfaff, 1000], // CJK compatibility ideographs
  [0xfe00, 0xfe0f, 0], // variation selectors
  [0xfe30, 0xfe4f, 1000], // CJK compatibility forms
  [0xfeff, 0xfeff, 0], // zero-width no-break space
  [0xff00, 0xff60, 1000], // full-width forms
  [0xffe0, 0xffe6, 1000],
];

/** Advance width (1/1000 em) of one UTF-16 code unit, which is also its CID. */
export function advanceWidth(codeUnit: number): number {
  if (codeUnit >= 0x20 && codeUnit <= 0x7e) return ASCII_WIDTHS[codeUnit - 0x20]!;
  for (const [first, last, width] of RANGES) {
    if (codeUnit < first) break;
    if (codeUnit <= last) return width;
  }
  return DEFAULT_WIDTH;
}

/** Width of a string of CIDs in em at font size 1. */
export function cidsWidth(cids: readonly number[]): number {
  let sum = 0;
  for (const cid of cids) sum += advanceWidth(cid);
  return sum / 1000;
}

/** First CID and count of the range used for characters beyond the BMP: the surrogate code units, never characters themselves. */
export const SUPPLEMENTARY_FIRST = 0xd800;
export const SUPPLEMENTARY_COUNT = 0x800;

/**
 * Maps text to CIDs: a BMP character is its own code; a character beyond the BMP gets the next
 * free CID of the surrogate range, recorded in `supplementary` (CID → code point) for the
 * ToUnicode map; past that range, and for lone surrogates, U+FFFD.
 */
export function toCids(text: string, assigned: Map<number, number>, supplementary: Map<number, number>): number[] {
  const cids: number[] = [];
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (cp <= 0xffff) {
      cids.push(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
      continue;
    }
    let cid = assigned.get(cp);
    if (cid === undefined && supplementary.size < SUPPLEMENTARY_COUNT) {
      cid = SUPPLEMENTARY_FIRST + supplementary.size;
      assigned.set(cp, cid);
      supplementary.set(cid, cp);
    }
    cids.push(cid ?? 0xfffd);
  }
  return cids;
}

/** The CIDFont /W array matching {@link advanceWidth}. */
export function widthsArray(): string {
  const ranges = RANGES.filter(([, , width]) => width !== DEFAULT_WIDTH).map(([a, b, w]) => `${a} ${b} ${w}`);
  return `[32 [${ASCII_WIDTHS.join(" ")}] ${ranges.join(" ")}]`;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, "0").toUpperCase();

/**
 * ToUnicode CMap: a BMP code is the character of the same value; a code of the surrogate range is
 * the character `supplementary` gives it (as a UTF-16 surrogate pair).
 */
export function toUnicodeCMap(supplementary: ReadonlyMap<number, number> = new Map()): string {
  // A bfrange may only vary in its last byte, so the BMP takes one range per high byte; at most 100 entries per block.
  const ranges = Array.from({ length: 256 }, (_, hi) => hi)
    .filter((hi) => hi < 0xd8 || hi > 0xdf)
    .map((hi) => `<${hex4(hi << 8)}> <${hex4((hi << 8) | 0xff)}> <${hex4(hi << 8)}>`);
  const chars = [...supplementary].map(([cid, cp]) => `<${hex4(cid)}> <${Buffer.from(String.fromCodePoint(cp), "utf16le").swap16().toString("hex").toUpperCase()}>`);
  const blocks: string[] = [];
  for (const [entries, kind] of [[ranges, "bfrange"], [chars, "bfchar"]] as const) {
    for (let i = 0; i < entries.length; i += 100) {
      const block = entries.slice(i, i + 100);
      blocks.push(`${block.length} begin${kind}\n${block.join("\n")}\nend${kind}`);
    }
  }
  return [
    "/CIDInit /ProcSet findresource begin",
    "12 dict begin",
    "begincmap",
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
    "/CMapName /Adobe-Identity-UCS def",
    "/CMapType 2 def",
    "1 begincodespacerange",
    "<0000> <FFFF>",
    "endcodespacerange",
    ...blocks,
    "endcmap",
    "CMapName currentdict /CMap defineresource pop",
    "end",
    "end",
    "",
  ].join("\n");
}

/**
 * The glyphs' advance widths: one empty glyph per distinct width (after .notdef), so that tools that
 * take advances from the font program rather than /W (MuPDF) still see each CID's width.
 */
export const GLYPH_WIDTHS: readonly number[] = [...new Set([...ASCII_WIDTHS, DEFAULT_WIDTH, ...RANGES.map(([, , w]) => w)])].sort((a, b) => a - b);

/** CIDToGIDMap stream data: each of the 65536 CIDs to the glyph of its width (never 0: Acrobat dislikes .notdef). */
export function cidToGidMap(): Buffer {
  const map = Buffer.alloc(65536 * 2);
  for (let cid = 0; cid < 65536; cid++) map.writeUInt16BE(1 + GLYPH_WIDTHS.indexOf(advanceWidth(cid)), cid * 2);
  return map;
}

export const FONT_NAME = "GlyphLessFont";
export const ASCENT = 800;
export const DESCENT = -200;

let program: Buffer | undefined;

/**
 * A minimal TrueType font: empty glyphs only (.notdef, then one per width of GLYPH_WIDTHS),
 * unitsPerEm 1000, with the tables FreeType, pdf.js and Acrobat expect. Built once, deterministic.
 */
export function fontProgram(): Buffer {
  program ??= buildTrueType();
  return program;
}

function buildTrueType(): Buffer {
  const be = (size: number, values: Array<[number, number]>): Buffer => {
    // values: [bytes, value] pairs written big-endian, signed values allowed.
    const buf = Buffer.alloc(size);
    let at = 0;
    for (const [bytes, value] of values) {
      if (bytes === 2) buf.writeUInt16BE(value & 0xffff, at);
      else buf.writeUInt32BE(value >>> 0, at);
      at += bytes;
    }
    if (at !== size) throw new Error(`table size ${at} != ${size}`);
    return buf;
  };
  const u16 = (v: number): [number, number] => [2, v];
  const u32 = (v: number): [number, number] => [4, v];

  const numGlyphs = 1 + GLYPH_WIDTHS.length;
  const advances = [0, ...GLYPH_WIDTHS];
  const maxAdvance = Math.max(...advances);
  const head = be(54, [
    u32(0x00010000), u32(0x00010000), u32(0), u32(0x5f0f3cf5), u16(0x000b), u16(1000),
    u32(0), u32(0), u32(0), u32(0), // created, modified
    u16(0), u16(DESCENT), u16(maxAdvance), u16(ASCENT), // bbox
    u16(0), u16(8), u16(2), u16(0), u16(0), // macStyle, lowestRecPPEM, direction hint, short loca, glyf format
  ]);
  const hhea = be(36, [
    u32(0x00010000), u16(ASCENT), u16(DESCENT), u16(0), u16(maxAdvance), u16(0), u16(0), u16(0),
    u16(1), u16(0), u16(0), u16(0), u16(0), u16(0), u16(0), u16(0), u16(numGlyphs),
  ]);
  const maxp = be(32, [u32(0x00010000), u16(numGlyphs), u16(0), u16(0), u16(0), u16(0), u16(2), ...Array<[number, number]>(8).fill(u16(0))]);
  const hmtx = be(4 * numGlyphs, advances.flatMap((advance) => [u16(advance), u16(0)]));
  const loca = be(2 * (numGlyphs + 1), Array<[number, number]>(numGlyphs + 1).fill(u16(0))); // every glyph empty
  const glyf = Buffer.alloc(4); // every glyph is empty (loca all 0); a zero-length table would count as missing
  const os2 = Buffer.concat([
    be(10, [u16(4), u16(500), u16(400), u16(5), u16(0)]),
    be(16, [u16(650), u16(600), u16(0), u16(75), u16(650), u16(600), u16(0), u16(350)]),
    be(6, [u16(50), u16(250), u16(0)]), // strikeout size and position, family class
    Buffer.alloc(10), // panose
    Buffer.alloc(16), // unicode ranges
    Buffer.from("PDFR", "latin1"),
    be(6, [u16(0x0040), u16(0x20), u16(0xffff)]), // regular; first and last char
    be(10, [u16(ASCENT), u16(DESCENT), u16(0), u16(ASCENT), u16(-DESCENT)]),
    Buffer.alloc(8), // code page ranges
    be(10, [u16(500), u16(700), u16(0), u16(0x20), u16(0)]),
  ]);
  // One format 4 subtable mapping the space to its glyph (the PDF maps CIDs to glyphs itself).
  const cmap = Buffer.concat([
    be(12, [u16(0), u16(1), u16(3), u16(1), u32(12)]),
    be(32, [
      u16(4), u16(32), u16(0), u16(4), u16(4), u16(1), u16(0),
      u16(0x20), u16(0xffff), u16(0), u16(0x20), u16(0xffff), u16(1 + GLYPH_WIDTHS.indexOf(advanceWidth(0x20)) - 0x20), u16(1), u16(0), u16(0),
    ]),
  ]);
  const names: Array<[number, string]> = [
    [1, FONT_NAME],
    [2, "Regular"],
    [4, FONT_NAME],
    [6, FONT_NAME],
  ];
  const strings = names.map(([, s]) => Buffer.from(s, "utf16le").swap16());
  let offset = 0;
  const records = names.map(([id], i) => {
    const record = [u16(3), u16(1), u16(0x409), u16(id), u16(strings[i]!.length), u16(offset)];
    offset += strings[i]!.length;
    return record;
  });
  const name = Buffer.concat([be(6 + 12 * names.length, [u16(0), u16(names.length), u16(6 + 12 * names.length), ...records.flat()]), ...strings]);
  const post = be(32, [u32(0x00030000), u32(0), u16(-100), u16(50), u32(0), u32(0), u32(0), u32(0), u32(0)]);

  const tables: Array<[string, Buffer]> = [
    ["OS/2", os2],
    ["cmap", cmap],
    ["glyf", glyf],
    ["head", head],
    ["hhea", hhea],
    ["hmtx", hmtx],
    ["loca", loca],
    ["maxp", maxp],
    ["name", name],
    ["post", post],
  ];
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const checksum = (b: Buffer): number => {
    const padded = pad(b);
    let sum = 0;
    for (let i = 0; i < padded.length; i += 4) sum = (sum + padded.readUInt32BE(i)) >>> 0;
    return sum;
  };
  const n = tables.length;
  const pow2 = 2 ** Math.floor(Math.log2(n));
  const header = be(12, [u32(0x00010000), u16(n), u16(pow2 * 16), u16(Math.log2(pow2)), u16(n * 16 - pow2 * 16)]);
  let at = 12 + 16 * n;
  let headAt = 0;
  const directory: Buffer[] = [];
  for (const [tag, data] of tables) {
    if (tag === "head") headAt = at;
    directory.push(Buffer.concat([Buffer.from(tag, "latin1"), be(12, [u32(checksum(data)), u32(at), u32(data.length)])]));
    at += pad(data).length;
  }
  const font = Buffer.concat([header, ...directory, ...tables.map(([, data]) => pad(data))]);
  font.writeUInt32BE((0xb1b0afba - checksum(font)) >>> 0, headAt + 8);
  return font;
}

/** The CIDSet stream's data: one bit per CID, all set (CIDToGIDMap gives every CID a glyph of the program). */
export function cidSet(): Buffer {
  return Buffer.alloc(65536 / 8, 0xff);
}
