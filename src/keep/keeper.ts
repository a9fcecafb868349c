/**
 * Master side of the keep options: turns each page's extracted text and links into an overlay on
 * its output sheet as the page is written, and at the end builds the bookmarks, the named
 * destinations of internal links and the document information.
 *
 * Internal targets (bookmarks, links) point at the first output page that shows the target page;
 * targets that are not in the output are dropped (a bookmark stays as a heading while it has
 * children that are kept). Links are written before their target page may exist, so they use
 * named destinations, resolved at close.
 */
import { readFile, rm, stat } from "node:fs/promises";
import type { PageLayout } from "../paper.js";
import type { DocumentInfo, DocumentStructure, Destination, LinkAnnotation, OutlineEntry, PageOverlay, TextRun } from "../pdf/writer.js";
import type { PageResult } from "../pool/messages.js";
import { applyToPoint, displayToSheet, rectOnSheet, runOnSheet } from "./geometry.js";
import type { KeepTextMode, PageExtract, SourceDest, SourceInfo, SourceOutlineItem } from "./types.js";
import type { TextStats } from "../report.js";
import { isWebUri } from "./web-link.js";

/**
 * Largest per-page sidecar the master reads (its JSON is parsed on the master's thread, which costs
 * several times its size in memory): 16 MiB is some 100,000 text runs, far beyond a real page. A
 * bigger one fails its page ("cannot read the page's text and links").
 */
export const MAX_SIDECAR_BYTES = 16 * 2 ** 20;

export interface KeeperInput {
  /** Output order: the source page and layout of each planned page. */
  pages: ReadonlyArray<{ pageNumber: number; layout: PageLayout }>;
  outline?: SourceOutlineItem[];
  info?: SourceInfo;
}

export class Keeper {
  readonly #pages: KeeperInput["pages"];
  readonly #outline: SourceOutlineItem[] | undefined;
  readonly #info: SourceInfo | undefined;
  /** Source pages that are planned for the output. */
  readonly #selected: Set<number>;
  /** Source page → the first output page that shows it. */
  readonly #placed = new Map<number, { output: number; layout: PageLayout }>();
  /** Named destinations used by links: name → target; and the name given to each distinct target. */
  readonly #dests = new Map<string, SourceDest>();
  readonly #names = new Map<string, string>();
  /** The text layers written so far: runs kept, runs left out as hidden, pages whose text was cut at the bounds. */
  readonly #text: TextStats = { kept: 0, hidden: 0, truncatedPages: [] };

  private constructor(input: KeeperInput) {
    this.#pages = input.pages;
    this.#outline = input.outline;
    this.#info = input.info;
    this.#selected = new Set(input.pages.map((p) => p.pageNumber));
  }

  /** A keeper when any keep option is on (the plan then carries the extras), else undefined. */
  static create(input: KeeperInput, options: { keepText: false | KeepTextMode; keepOutline: boolean; keepLinks: boolean; keepMetadata: boolean }): Keeper | undefined {
    const any = options.keepText || options.keepOutline || options.keepLinks || options.keepMetadata;
    return any ? new Keeper(input) : undefined;
  }

  /** Reads (and deletes) the sidecar of the page at `index` and maps it onto its sheet. */
  async overlay(index: number, result: PageResult): Promise<PageOverlay | undefined> {
    if (!result.extractPath) return undefined;
    let extract: PageExtract;
    try {
      // Parsed here, in the master: its size is checked before it is read.
      const { size } = await stat(result.extractPath);
      if (size > MAX_SIDECAR_BYTES) throw new Error(`${size} bytes, over the limit of ${MAX_SIDECAR_BYTES}`);
      extract = checkExtract(JSON.parse(await readFile(result.extractPath, "utf8")));
    } catch (error) {
      throw new Error(`cannot read the page's text and links: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      await rm(result.extractPath, { force: true });
    }
    const { layout } = this.#pages[index]!;
    const toSheet = displayToSheet(layout);
    const overlay: PageOverlay = {};
    if (extract.text) {
      overlay.text = extract.text.flatMap((run): TextRun[] => {
        const matrix = runOnSheet(run.matrix, toSheet, layout.image);
        return matrix ? [{ text: run.text, matrix }] : [];
      });
      this.#text.kept += overlay.text.length;
      this.#text.hidden += extract.hidden ?? 0;
      const page = this.#pages[index]!.pageNumber;
      if (extract.truncated && !this.#text.truncatedPages.includes(page)) this.#text.truncatedPages.push(page);
    }
    if (extract.links) {
      overlay.links = extract.links.flatMap((link): LinkAnnotation[] => {
        const rect = rectOnSheet(link.rect, toSheet, layout.image);
        if (!rect) return [];
        if ("url" in link) return [{ rect, uri: link.url }];
        if (!this.#selected.has(link.dest.page)) return [];
        return [{ rect, dest: this.#nameFor(link.dest) }];
      });
    }
    return overlay;
  }

  /** What the text layers written so far hold (a page repeated in the output counts each time). */
  textStats(): TextStats {
    return { ...this.#text, truncatedPages: [...this.#text.truncatedPages].sort((a, b) => a - b) };
  }

  /** Records that the page at `index` became output page `output` (0-based). */
  placed(index: number, output: number): void {
    const page = this.#pages[index]!;
    if (!this.#placed.has(page.pageNumber)) this.#placed.set(page.pageNumber, { output, layout: page.layout });
  }

  /** The document information to write, if `keepMetadata` found any. */
  info(): DocumentInfo | undefined {
    const info = this.#info;
    return info && Object.keys(info).length > 0 ? { ...info } : undefined;
  }

  /** Bookmarks and named destinations, in output page indexes. */
  structure(): DocumentStructure {
    const dests = new Map<string, Destination>();
    for (const [name, source] of this.#dests) {
      const dest = this.#destination(source);
      if (dest) dests.set(name, dest); // a target page that failed and was left out: the link leads nowhere
    }
    return { outline: this.#outline ? this.#entries(this.#outline) : undefined, dests };
  }

  #entries(items: SourceOutlineItem[]): OutlineEntry[] {
    return items.flatMap((item): OutlineEntry[] => {
      const children = this.#entries(item.children);
      const dest = item.dest ? this.#destination(item.dest) : undefined;
      const target = dest ? { dest } : !item.dest && item.url && isWebUri(item.url) ? { uri: item.url } : undefined;
      if (!target && children.length === 0) return [];
      const color = item.color.map((c) => c / 255) as [number, number, number];
      return [{ title: item.title, target, open: item.open, bold: item.bold, italic: item.italic, color, children }];
    });
  }

  /** Where a source destination lands in the output, or undefined when its page is not there. */
  #destination(source: SourceDest): Destination | undefined {
    const placed = this.#placed.get(source.page);
    if (!placed) return undefined;
    const [left, top] = applyToPoint(displayToSheet(placed.layout), source.x ?? 0, source.y ?? 0);
    return { page: placed.output, left: source.x === null ? null : left, top: source.y === null ? null : top };
  }

  #nameFor(dest: SourceDest): string {
    const key = `${dest.page}:${dest.x}:${dest.y}`;
    let name = this.#names.get(key);
    if (!name) {
      name = `pdfraster-${this.#names.size + 1}`;
      this.#names.set(key, name);
      this.#dests.set(name, dest);
    }
    return name;
  }
}

const isNumbers = (value: unknown, length: number): boolean =>
  Array.isArray(value) && value.length === length && value.every((v) => typeof v === "number" && Number.isFinite(v));

const isCoord = (value: unknown): boolean => value === null || (typeof value === "number" && Number.isFinite(value));

/** Checks the shape of a sidecar written by a worker. */
function checkExtract(value: unknown): PageExtract {
  const extract = value as PageExtract;
  const ok =
    typeof value === "object" &&
    value !== null &&
    (extract.text === undefined ||
      (Array.isArray(extract.text) && extract.text.every((r) => typeof r?.text === "string" && isNumbers(r.matrix, 6)))) &&
    (extract.hidden === undefined || (Number.isSafeInteger(extract.hidden) && extract.hidden >= 0)) &&
    (extract.truncated === undefined || typeof extract.truncated === "boolean") &&
    (extract.links === undefined ||
      (Array.isArray(extract.links) &&
        extract.links.every(
          (l) =>
            isNumbers(l?.rect, 4) &&
            ("url" in l ? typeof l.url === "string" && isWebUri(l.url) : Number.isInteger(l.dest?.page) && isCoord(l.dest.x) && isCoord(l.dest.y)),
        )));
  if (!ok) throw new Error("malformed sidecar");
  return extract;
}
