import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { deflateSync } from "node:zlib";
import { g4DecodeParms } from "../codecs/ccitt/g4.js";
import * as glyphless from "./glyphless-font.js";
import { archivalInfo, outputIntentEntries, xmpPacket, type PdfaLevel } from "./pdfa.js";
import { srgbProfile } from "./srgb-profile.js";

/**
 * An encoded page image, embedded as-is (never decoded or re-encoded).
 * - `jpeg`: baseline or progressive JPEG bytes, written with `/DCTDecode`.
 * - `png`: the concatenated IDAT zlib data of a non-interlaced PNG, written with `/FlateDecode` and
 *   the PNG predictor (what img2pdf does). `components` is samples per pixel (1 for a palette image);
 *   with `palette` (RGB triplets from PLTE) the colour space is `/Indexed /DeviceRGB`.
 * - `g4`: a 1-bit image coded with CCITT Group 4 (codecs/ccitt/g4.ts), written with `/CCITTFaxDecode`.
 * - `jbig2`: a 1-bit image as a JBIG2 embedded stream (codecs/jbig2), written with `/JBIG2Decode`;
 *   with `globals`, it refers to the document's `/JBIG2Globals` stream, whose bytes `close()` takes.
 * - `layers`: flat-colour layers (codecs/layers): the raster's box filled with `background`, then each
 *   layer's JBIG2 mask (a `/ImageMask true` image: 1 in the mask paints) in its colour, at its pixel
 *   position in the `width` x `height` raster. Colours are 0-255 RGB. With `photos` (mixed raster
 *   content), each photo's JPEG is painted over its rectangle of the raster after the background and
 *   before the masks.
 */
export type PageImage =
  | { kind: "jpeg"; data: Uint8Array; width: number; height: number; components: 1 | 3 }
  | { kind: "g4"; data: Uint8Array; width: number; height: number }
  | { kind: "jbig2"; data: Uint8Array; width: number; height: number; globals: boolean }
  | { kind: "layers"; width: number; height: number; background: Rgb255; layers: readonly MaskLayer[]; photos?: readonly PhotoLayer[] }
  | {
      kind: "png";
      idat: Uint8Array;
      width: number;
      height: number;
      components: 1 | 3;
      bitsPerComponent: 1 | 2 | 4 | 8;
      palette?: Uint8Array;
    };

export type Rgb255 = readonly [number, number, number];

/** One colour of a `layers` image: a JBIG2 mask of `width` x `height` pixels at (x, y) from the raster's top-left corner. */
export interface MaskLayer {
  colour: Rgb255;
  x: number;
  y: number;
  width: number;
  height: number;
  data: Uint8Array;
  globals: boolean;
}

/** A JPEG over a rectangle of a `layers` image's raster (x, y from its top-left corner, in raster pixels). */
export interface PhotoLayer {
  x: number;
  y: number;
  width: number;
  height: number;
  image: Extract<PageImage, { kind: "jpeg" }>;
}

/** An image XObject to write: its dictionary (given the JBIG2Globals object) and its stream. */
interface ImageObject {
  dict: (globals: number) => string;
  data: Uint8Array;
  globals: boolean;
}

/** Where the image is drawn, in PDF points from the bottom-left page corner; it may overhang the page. */
export interface Placement {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Document information dictionary entries; absent fields are not written. */
export interface DocumentInfo {
  title?: string;
  author?: string;
  subject?: string;
  keywords?: string;
  creationDate?: Date;
  producer?: string;
}

/** An affine matrix [a b c d e f] as in PDF: (x, y) → (a·x + c·y + e, b·x + d·y + f). */
export type Matrix = [number, number, number, number, number, number];

/**
 * One run of invisible, selectable text. `matrix` maps the run's box to page points: (0,0) is the
 * start of the baseline, (1,0) its end, (0,1) one font size above the start. The glyphs are spread
 * over the baseline in proportion to typical glyph widths.
 */
export interface TextRun {
  text: string;
  matrix: Matrix;
}

/** A link annotation: `rect` is [x1 y1 x2 y2] in page points; the target a URI or a named destination (see {@link DocumentStructure}). */
export type LinkAnnotation = { rect: [number, number, number, number]; uri: string } | { rect: [number, number, number, number]; dest: string };

/** What is laid over a page image: an invisible text layer and link annotations. */
export interface PageOverlay {
  text?: TextRun[];
  links?: LinkAnnotation[];
}

/** A place in the output: a 0-based page index, and the point at the top-left of the view (null keeps the viewer's). */
export interface Destination {
  page: number;
  left: number | null;
  top: number | null;
}

/** One bookmark; `target` absent makes a heading that only groups its children. */
export interface OutlineEntry {
  title: string;
  target?: { dest: Destination } | { uri: string };
  /** Shown expanded. */
  open?: boolean;
  bold?: boolean;
  italic?: boolean;
  /** 0..1 RGB; black when absent. */
  color?: [number, number, number];
  children: OutlineEntry[];
}

/** Document-level navigation written at close: bookmarks, and the named destinations that links use. */
export interface DocumentStructure {
  outline?: OutlineEntry[];
  dests?: Map<string, Destination>;
}

/** Objects this size or larger bypass the buffer and go straight to the file. */
const DIRECT_AT = 64 * 1024;
/** The write buffer is flushed once it holds this much. */
const FLUSH_AT = 256 * 1024;
/** Object 1 is the page tree root, reserved up front so pages can point to it before it is written. */
const PAGES = 1;
/**
 * Pages per page tree node: the first this many are the root's kids, each next group of this many
 * is one kid node of the root, so no Kids array passes PDF/A-1's limit of 8191 elements (up to
 * 16 million pages) while documents of up to 4096 pages keep a flat tree.
 */
const PAGES_PER_NODE = 4096;
/** A comment line of bytes above 127 so that transfer tools treat the file as binary. */
const BINARY_LINE = Buffer.from([0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a]);

/**
 * Writes an image-only PDF page by page. Only byte offsets and page object numbers are kept,
 * so memory does not grow with page data. Calls are queued, so they need not be awaited one by one.
 */
export class PdfStreamWriter {
  readonly #fh: FileHandle;
  /** Byte offset of each object, indexed by object number (0 is the free-list head). */
  readonly #offsets: number[] = [0, 0];
  readonly #kids: number[] = [];
  /** The page tree node of each group of PAGES_PER_NODE pages after the first (see PAGES_PER_NODE). */
  readonly #nodes: number[] = [];
  readonly #pdfa: PdfaLevel | undefined;
  /** The XMP packet written at close (PDF/A), which the document ID also depends on. */
  #xmp: Buffer | undefined;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #pos = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #failure: { error: unknown } | undefined;
  #closed = false;
  /** The text layer's font, written with the first page that needs it; its ToUnicode map is written at close. */
  #font: { ref: number; toUnicode: number } | undefined;
  /** CIDs given to characters beyond the BMP, both ways (bounded by the size of the CID range). */
  readonly #assigned = new Map<number, number>();
  readonly #supplementary = new Map<number, number>();
  /** The `/JBIG2Globals` stream's object, reserved when the first page refers to it and written at close. */
  #jbig2Globals: number | undefined;

  private constructor(fh: FileHandle, pdfa: PdfaLevel | undefined) {
    this.#fh = fh;
    this.#pdfa = pdfa;
  }

  /**
   * Opens (creating or truncating) `path` and writes the PDF header. With `pdfa`, the file is
   * written to that PDF/A level: an sRGB output intent, XMP metadata that agrees with the Info
   * dictionary, a CIDSet in the text layer's font and printable links (see pdfa.ts).
   */
  static async create(path: string, settings: { pdfa?: PdfaLevel } = {}): Promise<PdfStreamWriter> {
    const writer = new PdfStreamWriter(await open(path, "w"), settings.pdfa);
    writer.#put("%PDF-1.4\n");
    writer.#put(BINARY_LINE);
    return writer;
  }

  /** Pages added so far. */
  get pageCount(): number {
    return this.#kids.length;
  }

  /** Size of the file so far, counting bytes still in the write buffer. */
  get bytesWritten(): number {
    return this.#pos;
  }

  /**
   * Adds a page of `pageWidthPt` × `pageHeightPt` showing `image` in the `placement` box, over an
   * optional RGB (0..1) background, with an optional invisible text layer and links on top.
   * `image` may be a list of horizontal bands of one raster, top to bottom and of one width: each
   * is its own image XObject, given the share of the box that its rows are of all the rows, edge to
   * edge (each band's bottom edge is the next one's top edge, the same number), so no seam shows.
   */
  async addImagePage(
    pageWidthPt: number,
    pageHeightPt: number,
    image: PageImage | readonly PageImage[],
    placement: Placement,
    background?: [number, number, number],
    overlay?: PageOverlay,
  ): Promise<void> {
    checkPage(pageWidthPt, pageHeightPt, background);
    const bands = Array.isArray(image) ? (image as readonly PageImage[]) : [image as PageImage];
    if (bands.length === 0 || bands.some((band) => band.width !== bands[0]!.width)) {
      throw new RangeError(`Expected one image or bands of one width, got widths ${bands.map((b) => b.width).join(", ")}`);
    }
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- any on purpose: checkNumber checks at run time what the type only claims
    for (const [key, value] of Object.entries(placement)) checkNumber(`placement.${key}`, value);
    // Checked here (imageObjects builds every dictionary once): a bad image must not fail the writer.
    const { objects, draws } = imageObjects(bands, stackBands(bands.map((band) => band.height), placement), background !== undefined);
    const ops = `${fill(pageWidthPt, pageHeightPt, background)}${draws}`;
    const runs = overlay?.text ? checkRuns(overlay.text) : [];
    const links = overlay?.links?.map(linkDict) ?? [];
    return this.#serial(async () => {
      const textOps = textLayer(runs, (text) => glyphless.toCids(text, this.#assigned, this.#supplementary));
      const imgs = objects.map(() => this.#alloc());
      const content = this.#alloc();
      for (const [i, object] of objects.entries()) {
        if (object.globals) this.#jbig2Globals ??= this.#alloc();
        await this.#stream(imgs[i]!, object.dict(this.#jbig2Globals ?? 0), object.data);
      }
      await this.#stream(content, "", Buffer.from(ops, "latin1"));
      let resources = `/XObject << ${imgs.map((n, i) => `/Im${i} ${n} 0 R`).join(" ")} >>`;
      const contents = [content];
      if (textOps) {
        const font = await this.#textFont();
        const text = this.#alloc();
        await this.#stream(text, "/Filter /FlateDecode", deflateSync(Buffer.from(textOps, "latin1")));
        contents.push(text);
        resources += ` /Font << /F0 ${font} 0 R >>`;
      }
      const page = this.#alloc();
      const annots = links.map((link) => {
        const n = this.#alloc();
        this.#object(n, `<< /Type /Annot /Subtype /Link /P ${page} 0 R ${link} >>`);
        return n;
      });
      await this.#page(page, pageWidthPt, pageHeightPt, resources, contents.length === 1 ? content : contents, annots);
    });
  }

  /** Adds a page with no image, painted with `background` (0..1 RGB) when given. */
  async addBlankPage(pageWidthPt: number, pageHeightPt: number, background?: [number, number, number]): Promise<void> {
    checkPage(pageWidthPt, pageHeightPt, background);
    return this.#serial(async () => {
      const content = background ? this.#alloc() : undefined;
      const page = this.#alloc();
      if (content) await this.#stream(content, "", Buffer.from(fill(pageWidthPt, pageHeightPt, background), "latin1"));
      await this.#page(page, pageWidthPt, pageHeightPt, "", content);
    });
  }

  /**
   * Writes the page tree, catalog, info, bookmarks and named destinations, xref table and trailer,
   * closes the file and returns its size. `jbig2Globals`: the `/JBIG2Globals` stream's bytes, needed
   * when a `jbig2` image with `globals` was added (a call that may come before or after the pages).
   */
  async close(info?: DocumentInfo, structure?: DocumentStructure, jbig2Globals?: () => Uint8Array): Promise<number> {
    const archival = this.#pdfa ? archivalInfo(info) : info;
    const infoDict = archival ? infoEntries(archival) : "";
    return this.#serial(async () => {
      if (this.#kids.length === 0) throw new Error("Cannot finish a PDF with no pages");
      if (this.#jbig2Globals !== undefined) {
        const globals = jbig2Globals?.();
        if (!globals || globals.length === 0) throw new Error("JBIG2 images refer to a globals stream that was not given");
        await this.#stream(this.#jbig2Globals, "", globals);
      }
      this.#pageTree();
      let navigation = "";
      if (this.#pdfa) navigation += await this.#archival(this.#pdfa, archival!);
      if (this.#font) {
        const cmap = Buffer.from(glyphless.toUnicodeCMap(this.#supplementary), "latin1");
        await this.#stream(this.#font.toUnicode, "/Filter /FlateDecode", deflateSync(cmap));
      }
      if (structure?.outline && structure.outline.length > 0) navigation += ` /Outlines ${this.#outline(structure.outline)} 0 R`;
      if (structure?.dests && structure.dests.size > 0) {
        const dests = this.#alloc();
        const entries = [...structure.dests].map(([name, dest]) => `${pdfName(name)} ${this.#dest(dest)}`);
        this.#object(dests, `<< ${entries.join(" ")} >>`);
        navigation += ` /Dests ${dests} 0 R`;
      }
      const catalog = this.#alloc();
      this.#object(catalog, `<< /Type /Catalog /Pages ${PAGES} 0 R${navigation} >>`);
      const infoRef = infoDict ? this.#alloc() : undefined;
      if (infoRef) this.#object(infoRef, `<< ${infoDict} >>`);
      const xrefAt = this.#pos;
      const xref = this.#offsets.map((offset, n) => {
        if (offset > 9_999_999_999) throw new Error("PDF output larger than 10 GB is not supported");
        return n === 0 ? "0000000000 65535 f \n" : `${String(offset).padStart(10, "0")} 00000 n \n`;
      });
      // The ID depends only on the content, so identical input gives identical output.
      const id = createHash("md5").update(xref.join("")).update(infoDict).update(this.#xmp ?? "").digest("hex").toUpperCase();
      this.#put(`xref\n0 ${xref.length}\n${xref.join("")}trailer\n<< /Size ${xref.length} /Root ${catalog} 0 R`);
      this.#put(`${infoRef ? ` /Info ${infoRef} 0 R` : ""} /ID [<${id}> <${id}>] >>\nstartxref\n${xrefAt}\n%%EOF\n`);
      await this.#flush();
      this.#closed = true;
      await this.#fh.close();
      return this.#pos;
    });
  }

  /** The page tree: the root, with the first PAGES_PER_NODE pages and a node for each further group as kids. */
  #pageTree(): void {
    const kid = (n: number): string => `${n} 0 R`;
    const direct = this.#kids.slice(0, PAGES_PER_NODE);
    this.#nodes.forEach((node, i) => {
      const group = this.#kids.slice((i + 1) * PAGES_PER_NODE, (i + 2) * PAGES_PER_NODE);
      this.#object(node, `<< /Type /Pages /Parent ${PAGES} 0 R /Kids [${group.map(kid).join(" ")}] /Count ${group.length} >>`);
    });
    this.#object(PAGES, `<< /Type /Pages /Kids [${[...direct, ...this.#nodes].map(kid).join(" ")}] /Count ${this.#kids.length} >>`);
  }

  /** Writes the sRGB output intent's profile and the XMP metadata; returns the catalog entries that point to them. */
  async #archival(level: PdfaLevel, info: DocumentInfo): Promise<string> {
    const [profile, metadata] = [this.#alloc(), this.#alloc()];
    await this.#stream(profile, "/N 3 /Filter /FlateDecode", deflateSync(srgbProfile()));
    // Not compressed: PDF/A-1 forbids a filter on the metadata stream, so that any tool can find it.
    this.#xmp = xmpPacket(level, info);
    await this.#stream(metadata, "/Type /Metadata /Subtype /XML", this.#xmp);
    return ` /Metadata ${metadata} 0 R /OutputIntents [<< ${outputIntentEntries()} /DestOutputProfile ${profile} 0 R >>]`;
  }

  /** Stops writing and closes the file without finishing it; the caller deletes it. Never throws. */
  async abort(): Promise<void> {
    await this.#tail;
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    await this.#fh.close().catch(() => undefined);
  }

  /** Runs `op` after the previous call; a failed write leaves the file unusable, so it fails every later call too. */
  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(async () => {
      if (this.#failure) throw this.#failure.error;
      if (this.#closed) throw new Error("PdfStreamWriter is already closed");
      try {
        return await op();
      } catch (error) {
        this.#failure = { error };
        throw error;
      }
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #alloc(): number {
    return this.#offsets.push(0) - 1;
  }

  /** The text layer's Type0 font, written once, the first time a page needs it. */
  async #textFont(): Promise<number> {
    if (this.#font !== undefined) return this.#font.ref;
    const [type0, cidFont, descriptor, file, toUnicode, cidToGid] = [this.#alloc(), this.#alloc(), this.#alloc(), this.#alloc(), this.#alloc(), this.#alloc()];
    const cidSet = this.#pdfa ? this.#alloc() : undefined;
    const name = `/${glyphless.FONT_NAME}`;
    this.#object(
      type0,
      `<< /Type /Font /Subtype /Type0 /BaseFont ${name} /Encoding /Identity-H /DescendantFonts [${cidFont} 0 R] /ToUnicode ${toUnicode} 0 R >>`,
    );
    this.#object(
      cidFont,
      `<< /Type /Font /Subtype /CIDFontType2 /BaseFont ${name} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> ` +
        `/FontDescriptor ${descriptor} 0 R /DW 556 /W ${glyphless.widthsArray()} /CIDToGIDMap ${cidToGid} 0 R >>`,
    );
    this.#object(
      descriptor,
      `<< /Type /FontDescriptor /FontName ${name} /Flags 4 /FontBBox [0 ${glyphless.DESCENT} 1000 ${glyphless.ASCENT}] /ItalicAngle 0 ` +
        `/Ascent ${glyphless.ASCENT} /Descent ${glyphless.DESCENT} /CapHeight 700 /StemV 80 /FontFile2 ${file} 0 R` +
        `${cidSet ? ` /CIDSet ${cidSet} 0 R` : ""} >>`,
    );
    // PDF/A-1b asks for the CIDs the font program has: every one, as CIDToGIDMap maps each to a glyph.
    if (cidSet) await this.#stream(cidSet, "/Filter /FlateDecode", deflateSync(glyphless.cidSet()));
    const program = glyphless.fontProgram();
    await this.#stream(file, `/Length1 ${program.length} /Filter /FlateDecode`, deflateSync(program));
    await this.#stream(cidToGid, "/Filter /FlateDecode", deflateSync(glyphless.cidToGidMap()));
    this.#font = { ref: type0, toUnicode };
    return type0;
  }

  /** An explicit destination array for `dest`. */
  #dest(dest: Destination): string {
    const page = this.#kids[dest.page];
    if (page === undefined) throw new RangeError(`Destination page ${dest.page} is not in the document (${this.#kids.length} pages)`);
    const coord = (v: number | null): string => (v === null ? "null" : num(v));
    return `[${page} 0 R /XYZ ${coord(dest.left)} ${coord(dest.top)} null]`;
  }

  /** Writes the outline tree and returns the number of its root object. */
  #outline(entries: OutlineEntry[]): number {
    const root = this.#alloc();
    const visible = (list: OutlineEntry[]): number => list.reduce((sum, e) => sum + 1 + (e.open ? visible(e.children) : 0), 0);
    const writeLevel = (list: OutlineEntry[], parent: number): number[] => {
      const refs = list.map(() => this.#alloc());
      list.forEach((entry, i) => {
        const kids = writeLevel(entry.children, refs[i]!);
        const parts = [`/Title ${textString(entry.title)} /Parent ${parent} 0 R`];
        if (i > 0) parts.push(`/Prev ${refs[i - 1]} 0 R`);
        if (i < list.length - 1) parts.push(`/Next ${refs[i + 1]} 0 R`);
        if (kids.length > 0) {
          const count = visible(entry.children);
          parts.push(`/First ${kids[0]} 0 R /Last ${kids[kids.length - 1]} 0 R /Count ${entry.open ? count : -count}`);
        }
        if (entry.target && "dest" in entry.target) parts.push(`/Dest ${this.#dest(entry.target.dest)}`);
        else if (entry.target) parts.push(`/A << /S /URI /URI ${asciiString(entry.target.uri)} >>`);
        const flags = (entry.italic ? 1 : 0) | (entry.bold ? 2 : 0);
        if (flags) parts.push(`/F ${flags}`);
        if (entry.color && entry.color.some((c) => c > 0)) parts.push(`/C [${entry.color.map(num).join(" ")}]`);
        this.#object(refs[i]!, `<< ${parts.join(" ")} >>`);
      });
      return refs;
    };
    const top = writeLevel(entries, root);
    this.#object(root, `<< /Type /Outlines /First ${top[0]} 0 R /Last ${top[top.length - 1]} 0 R /Count ${visible(entries)} >>`);
    return root;
  }

  #object(n: number, body: string): void {
    this.#offsets[n] = this.#pos;
    this.#put(`${n} 0 obj\n${body}\nendobj\n`);
  }

  async #stream(n: number, dict: string, data: Uint8Array): Promise<void> {
    this.#offsets[n] = this.#pos;
    this.#put(`${n} 0 obj\n<< ${dict}${dict ? " " : ""}/Length ${data.length} >>\nstream\n`);
    if (data.length >= DIRECT_AT) {
      await this.#flush();
      await this.#writeAll(data);
      this.#pos += data.length;
    } else {
      this.#put(data);
    }
    this.#put("\nendstream\nendobj\n");
    if (this.#buffered >= FLUSH_AT) await this.#flush();
  }

  async #page(n: number, w: number, h: number, resources: string, content: number | number[] | undefined, annots: number[] = []): Promise<void> {
    let contents = "";
    if (typeof content === "number") contents = ` /Contents ${content} 0 R`;
    else if (content) contents = ` /Contents [${content.map((c) => `${c} 0 R`).join(" ")}]`;
    if (annots.length > 0) contents += ` /Annots [${annots.map((a) => `${a} 0 R`).join(" ")}]`;
    const group = Math.floor(this.#kids.length / PAGES_PER_NODE);
    if (group > this.#nodes.length) this.#nodes.push(this.#alloc());
    const parent = group === 0 ? PAGES : this.#nodes[group - 1]!;
    this.#object(n, `<< /Type /Page /Parent ${parent} 0 R /MediaBox [0 0 ${num(w)} ${num(h)}] /Resources << ${resources} >>${contents} >>`);
    this.#kids.push(n);
    if (this.#buffered >= FLUSH_AT) await this.#flush();
  }

  /** Buffers PDF syntax (ASCII) or a small binary part, copied so the caller may reuse its buffer. */
  #put(data: string | Uint8Array): void {
    const buf = typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data);
    this.#chunks.push(buf);
    this.#buffered += buf.length;
    this.#pos += buf.length;
  }

  async #flush(): Promise<void> {
    if (this.#buffered === 0) return;
    const buf = Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [];
    this.#buffered = 0;
    await this.#writeAll(buf);
  }

  async #writeAll(buf: Uint8Array): Promise<void> {
    for (let done = 0; done < buf.length; ) {
      done += (await this.#fh.write(buf, done, buf.length - done)).bytesWritten;
    }
  }
}

/** Formats a number for PDF syntax: at most 4 decimals, never exponent notation. */
/**
 * The boxes of bands of `rows` rows each, top to bottom, stacked in `box`: each band's edges are
 * taken from one list of boundaries rounded as they are written, so adjacent bands share an edge.
 */
export function stackBands(rows: readonly number[], box: Placement): Placement[] {
  if (rows.length === 1) return [box];
  const total = rows.reduce((sum, r) => sum + r, 0);
  const edges = [box.y + box.height];
  let above = 0;
  for (const r of rows) {
    above += r;
    edges.push(above === total ? box.y : Number((box.y + box.height * (1 - above / total)).toFixed(4)));
  }
  return rows.map((_, i) => ({ x: box.x, y: edges[i + 1]!, width: box.width, height: edges[i]! - edges[i + 1]! }));
}

function num(n: number): string {
  const s = n.toFixed(4).replace(/\.?0+$/, "");
  return s === "-0" ? "0" : s;
}

function checkNumber(name: string, value: number, positive = false): void {
  if (typeof value !== "number" || !Number.isFinite(value) || (positive && value <= 0) || Math.abs(value) > 1e9) {
    throw new RangeError(`Expected \`${name}\` to be a ${positive ? "positive " : ""}finite number, got \`${String(value)}\``);
  }
}

function checkPage(width: number, height: number, background: [number, number, number] | undefined): void {
  checkNumber("pageWidthPt", width, true);
  checkNumber("pageHeightPt", height, true);
  if (background && (background.length !== 3 || background.some((c) => !(c >= 0 && c <= 1)))) {
    throw new RangeError(`Expected \`background\` to be three numbers in 0..1, got \`${background.join(",")}\``);
  }
}

/** Content operators painting the whole page with `background`, or nothing. */
function fill(width: number, height: number, background: [number, number, number] | undefined): string {
  return background ? `q ${background.map(num).join(" ")} rg 0 0 ${num(width)} ${num(height)} re f Q\n` : "";
}

/**
 * The image XObjects of a page's bands (a `layers` band is several masks) and the operators that
 * draw them (`/Im0` ... in order) in their boxes; checks every image. `filled`: the page has a
 * background fill, so a layered band's box is filled even when its background is white.
 */
function imageObjects(bands: readonly PageImage[], boxes: readonly Placement[], filled: boolean): { objects: ImageObject[]; draws: string } {
  const objects: ImageObject[] = [];
  let draws = "";
  const draw = (box: Placement, object: ImageObject, colour?: Rgb255): void => {
    const paint = colour ? `${rgbOperands(colour)} rg ` : "";
    draws += `q ${paint}${num(box.width)} 0 0 ${num(box.height)} ${num(box.x)} ${num(box.y)} cm /Im${objects.length} Do Q\n`;
    objects.push(object);
  };
  bands.forEach((band, i) => {
    const box = boxes[i]!;
    if (band.kind !== "layers") {
      imageDict(band, 0);
      draw(box, { dict: (globals) => imageDict(band, globals), data: band.kind === "png" ? band.idat : band.data, globals: band.kind === "jbig2" && band.globals });
      return;
    }
    checkSize(band.width, band.height);
    checkColour(band.background);
    if (filled || band.background.some((c) => c !== 255)) {
      draws += `q ${rgbOperands(band.background)} rg ${num(box.x)} ${num(box.y)} ${num(box.width)} ${num(box.height)} re f Q\n`;
    }
    // A layer's box: its pixels' share of the raster's box (the raster's rows run top to bottom, PDF's y up).
    const [sx, sy] = [box.width / band.width, box.height / band.height];
    const within = (kind: string, r: { x: number; y: number; width: number; height: number }): void => {
      checkSize(r.width, r.height);
      if (!Number.isInteger(r.x) || !Number.isInteger(r.y) || r.x < 0 || r.y < 0 || r.x + r.width > band.width || r.y + r.height > band.height) {
        throw new RangeError(`${kind} of ${r.width}x${r.height} at ${r.x},${r.y} lies outside the ${band.width}x${band.height} image`);
      }
    };
    for (const photo of band.photos ?? []) {
      within("Photo", photo);
      imageDict(photo.image, 0);
      const at = { x: box.x + photo.x * sx, y: box.y + (band.height - photo.y - photo.height) * sy, width: photo.width * sx, height: photo.height * sy };
      draw(at, { dict: () => imageDict(photo.image, 0), data: photo.image.data, globals: false });
    }
    for (const layer of band.layers) {
      within("Layer", layer);
      checkColour(layer.colour);
      if (layer.data.length === 0) throw new RangeError("JBIG2 data is empty");
      const head = `/Type /XObject /Subtype /Image /Width ${layer.width} /Height ${layer.height} /ImageMask true /BitsPerComponent 1 /Filter /JBIG2Decode`;
      const at = { x: box.x + layer.x * sx, y: box.y + (band.height - layer.y - layer.height) * sy, width: layer.width * sx, height: layer.height * sy };
      draw(at, { dict: (globals) => `${head}${jbig2Parms(layer.globals, globals)}`, data: layer.data, globals: layer.globals }, layer.colour);
    }
  });
  return { objects, draws };
}

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Image size must be positive integers, got ${width}x${height}`);
  }
}

function checkColour(colour: Rgb255): void {
  if (!Array.isArray(colour) || colour.length !== 3 || colour.some((c) => !Number.isInteger(c) || c < 0 || c > 255)) {
    throw new RangeError(`Expected a colour of three integers 0-255, got \`${String(colour)}\``);
  }
}

/** `r g b` operands (0..1) for a 0-255 colour: 4 decimals, which read back to the same 8-bit value. */
function rgbOperands(colour: Rgb255): string {
  return colour.map((c) => num(c / 255)).join(" ");
}

/** The image XObject dictionary entries (without /Length) for `image`, after checking it; `globals`: the JBIG2Globals object. */
function imageDict(image: Exclude<PageImage, { kind: "layers" }>, globals: number): string {
  const { width, height } = image;
  checkSize(width, height);
  const head = `/Type /XObject /Subtype /Image /Width ${width} /Height ${height}`;
  if (image.kind === "g4") {
    if (image.data.length === 0) throw new RangeError("G4 data is empty");
    return `${head} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms ${g4DecodeParms(image)}`;
  }
  if (image.kind === "jbig2") {
    if (image.data.length === 0) throw new RangeError("JBIG2 data is empty");
    return `${head} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode${jbig2Parms(image.globals, globals)}`;
  }
  const { components } = image;
  if (components !== 1 && components !== 3) throw new RangeError(`Image components must be 1 or 3, got ${String(components)}`);
  if (image.kind === "jpeg") {
    if (image.data.length === 0) throw new RangeError("JPEG data is empty");
    return `${head} /ColorSpace /Device${components === 1 ? "Gray" : "RGB"} /BitsPerComponent 8 /Filter /DCTDecode`;
  }
  const bpc = image.bitsPerComponent;
  if (![1, 2, 4, 8].includes(bpc) || (bpc !== 8 && components !== 1)) {
    throw new RangeError(`PNG bit depth must be 8, or 1, 2 or 4 for one component, got ${String(bpc)}`);
  }
  if (image.idat.length === 0) throw new RangeError("PNG IDAT data is empty");
  let colorSpace = components === 1 ? "/DeviceGray" : "/DeviceRGB";
  if (image.palette) {
    const entries = image.palette.length / 3;
    if (components !== 1 || !Number.isInteger(entries) || entries < 1 || entries > 2 ** bpc) {
      throw new RangeError(`Invalid palette: ${image.palette.length} bytes for ${components} component(s) at ${bpc} bit`);
    }
    colorSpace = `[/Indexed /DeviceRGB ${entries - 1} <${Buffer.from(image.palette).toString("hex").toUpperCase()}>]`;
  }
  const parms = `/Predictor 15 /Colors ${components} /BitsPerComponent ${bpc} /Columns ${width}`;
  return `${head} /ColorSpace ${colorSpace} /BitsPerComponent ${bpc} /Filter /FlateDecode /DecodeParms << ${parms} >>`;
}

/** A JBIG2 image's `/DecodeParms`, when it refers to the globals stream. */
function jbig2Parms(usesGlobals: boolean, globals: number): string {
  return usesGlobals ? ` /DecodeParms << /JBIG2Globals ${globals} 0 R >>` : "";
}

function checkRuns(runs: TextRun[]): TextRun[] {
  if (!Array.isArray(runs)) throw new RangeError("Expected `text` to be an array of runs");
  for (const run of runs) {
    if (typeof run.text !== "string") throw new RangeError("Expected a text run's `text` to be a string");
    if (!Array.isArray(run.matrix) || run.matrix.length !== 6) throw new RangeError("Expected a text run's `matrix` to be 6 numbers");
    run.matrix.forEach((v, i) => checkNumber(`matrix[${i}]`, v));
  }
  return runs;
}

/** Content operators showing `runs` invisibly (render mode 3) in the glyphless font at size 1, or undefined if none is usable. */
function textLayer(runs: TextRun[], toCids: (text: string) => number[]): string | undefined {
  const ops: string[] = [];
  for (const run of runs) {
    if (run.text === "") continue;
    const cids = toCids(run.text);
    const natural = glyphless.cidsWidth(cids);
    if (natural <= 0) continue;
    // Stretch the glyphs along the baseline so the run spans exactly its box.
    const [a, b, c, d, e, f] = run.matrix;
    const tm = [a / natural, b / natural, c, d, e, f].map(fine).join(" ");
    ops.push(`${tm} Tm <${cids.map((cid) => cid.toString(16).padStart(4, "0")).join("").toUpperCase()}> Tj`);
  }
  return ops.length > 0 ? `BT 3 Tr /F0 1 Tf\n${ops.join("\n")}\nET\n` : undefined;
}

/** The entries of a link annotation dictionary after /Subtype, checked. */
function linkDict(link: LinkAnnotation): string {
  if (!Array.isArray(link.rect) || link.rect.length !== 4) throw new RangeError("Expected a link's `rect` to be [x1, y1, x2, y2]");
  link.rect.forEach((v, i) => checkNumber(`rect[${i}]`, v));
  // /F 4: printable (PDF/A requires it; a borderless link prints as nothing anyway).
  const rect = `/Rect [${link.rect.map(num).join(" ")}] /Border [0 0 0] /F 4`;
  if ("uri" in link) return `${rect} /A << /S /URI /URI ${asciiString(link.uri)} >>`;
  return `${rect} /Dest ${pdfName(link.dest)}`;
}

/** A number for matrices of small text: up to 6 decimals. */
function fine(n: number): string {
  const s = n.toFixed(6).replace(/\.?0+$/, "");
  return s === "-0" ? "0" : s;
}

/** A PDF name from regular ASCII characters, others written as #xx. */
function pdfName(name: string): string {
  if (name === "") throw new RangeError("Expected a non-empty name");
  let out = "/";
  for (const byte of Buffer.from(name, "utf8")) {
    const char = String.fromCharCode(byte);
    out += byte > 0x20 && byte < 0x7f && !"#()<>[]{}/%".includes(char) ? char : `#${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** A PDF byte string for a URI (7-bit ASCII per the spec; anything else is UTF-8), in hex so no escaping is needed. */
function asciiString(s: string): string {
  if (typeof s !== "string" || s === "") throw new RangeError("Expected a URI to be a non-empty string");
  return `<${Buffer.from(s, "utf8").toString("hex").toUpperCase()}>`;
}

/** A PDF text string as UTF-16BE with a byte-order mark, in hex so no escaping is needed. */
function textString(s: string): string {
  return `<FEFF${Buffer.from(s, "utf16le").swap16().toString("hex").toUpperCase()}>`;
}

/** A PDF date string in UTC, e.g. `(D:20240131235959Z)`. */
function pdfDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("Expected `creationDate` to be a valid Date");
  return `(D:${date.toISOString().replace(/\D/g, "").slice(0, 14)}Z)`;
}

function infoEntries(info: DocumentInfo): string {
  const texts = { Title: info.title, Author: info.author, Subject: info.subject, Keywords: info.keywords, Producer: info.producer };
  const entries = Object.entries(texts).flatMap(([key, value]) => (value === undefined ? [] : [`/${key} ${textString(value)}`]));
  if (info.creationDate) entries.push(`/CreationDate ${pdfDate(info.creationDate)}`);
  return entries.join(" ");
}
