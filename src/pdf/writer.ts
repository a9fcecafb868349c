import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";

/**
 * An encoded page image, embedded as-is (never decoded or re-encoded).
 * - `jpeg`: baseline or progressive JPEG bytes, written with `/DCTDecode`.
 * - `png`: the concatenated IDAT zlib data of a non-interlaced PNG, written with `/FlateDecode` and
 *   the PNG predictor (what img2pdf does). `components` is samples per pixel (1 for a palette image);
 *   with `palette` (RGB triplets from PLTE) the colour space is `/Indexed /DeviceRGB`.
 */
export type PageImage =
  | { kind: "jpeg"; data: Uint8Array; width: number; height: number; components: 1 | 3 }
  | {
      kind: "png";
      idat: Uint8Array;
      width: number;
      height: number;
      components: 1 | 3;
      bitsPerComponent: 1 | 2 | 4 | 8;
      palette?: Uint8Array;
    };

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

/** Objects this size or larger bypass the buffer and go straight to the file. */
const DIRECT_AT = 64 * 1024;
/** The write buffer is flushed once it holds this much. */
const FLUSH_AT = 256 * 1024;
/** Object 1 is the page tree root, reserved up front so pages can point to it before it is written. */
const PAGES = 1;
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
  #chunks: Buffer[] = [];
  #buffered = 0;
  #pos = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #failure: { error: unknown } | undefined;
  #closed = false;

  private constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  /** Opens (creating or truncating) `path` and writes the PDF header. */
  static async create(path: string): Promise<PdfStreamWriter> {
    const writer = new PdfStreamWriter(await open(path, "w"));
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

  /** Adds a page of `pageWidthPt` × `pageHeightPt` showing `image` in the `placement` box, over an optional RGB (0..1) background. */
  async addImagePage(
    pageWidthPt: number,
    pageHeightPt: number,
    image: PageImage,
    placement: Placement,
    background?: [number, number, number],
  ): Promise<void> {
    checkPage(pageWidthPt, pageHeightPt, background);
    const dict = imageDict(image);
    for (const [key, value] of Object.entries(placement)) checkNumber(`placement.${key}`, value);
    const { x, y, width, height } = placement;
    const ops = `${fill(pageWidthPt, pageHeightPt, background)}q ${num(width)} 0 0 ${num(height)} ${num(x)} ${num(y)} cm /Im0 Do Q\n`;
    return this.#serial(async () => {
      const [img, content, page] = [this.#alloc(), this.#alloc(), this.#alloc()];
      await this.#stream(img, dict, image.kind === "jpeg" ? image.data : image.idat);
      await this.#stream(content, "", Buffer.from(ops, "latin1"));
      await this.#page(page, pageWidthPt, pageHeightPt, `/XObject << /Im0 ${img} 0 R >>`, content);
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

  /** Writes the page tree, catalog, info, xref table and trailer, closes the file and returns its size. */
  async close(info?: DocumentInfo): Promise<number> {
    const infoDict = info ? infoEntries(info) : "";
    return this.#serial(async () => {
      if (this.#kids.length === 0) throw new Error("Cannot finish a PDF with no pages");
      this.#object(PAGES, `<< /Type /Pages /Kids [${this.#kids.map((n) => `${n} 0 R`).join(" ")}] /Count ${this.#kids.length} >>`);
      const catalog = this.#alloc();
      this.#object(catalog, `<< /Type /Catalog /Pages ${PAGES} 0 R >>`);
      const infoRef = infoDict ? this.#alloc() : undefined;
      if (infoRef) this.#object(infoRef, `<< ${infoDict} >>`);
      const xrefAt = this.#pos;
      const xref = this.#offsets.map((offset, n) => {
        if (offset > 9_999_999_999) throw new Error("PDF output larger than 10 GB is not supported");
        return n === 0 ? "0000000000 65535 f \n" : `${String(offset).padStart(10, "0")} 00000 n \n`;
      });
      // The ID depends only on the content, so identical input gives identical output.
      const id = createHash("md5").update(xref.join("")).update(infoDict).digest("hex").toUpperCase();
      this.#put(`xref\n0 ${xref.length}\n${xref.join("")}trailer\n<< /Size ${xref.length} /Root ${catalog} 0 R`);
      this.#put(`${infoRef ? ` /Info ${infoRef} 0 R` : ""} /ID [<${id}> <${id}>] >>\nstartxref\n${xrefAt}\n%%EOF\n`);
      await this.#flush();
      this.#closed = true;
      await this.#fh.close();
      return this.#pos;
    });
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

  async #page(n: number, w: number, h: number, resources: string, content: number | undefined): Promise<void> {
    const contents = content === undefined ? "" : ` /Contents ${content} 0 R`;
    this.#object(n, `<< /Type /Page /Parent ${PAGES} 0 R /MediaBox [0 0 ${num(w)} ${num(h)}] /Resources << ${resources} >>${contents} >>`);
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

/** The image XObject dictionary entries (without /Length) for `image`, after checking it. */
function imageDict(image: PageImage): string {
  const { width, height, components } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Image size must be positive integers, got ${width}x${height}`);
  }
  if (components !== 1 && components !== 3) throw new RangeError(`Image components must be 1 or 3, got ${String(components)}`);
  const head = `/Type /XObject /Subtype /Image /Width ${width} /Height ${height}`;
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
