/**
 * The opt-in keep options on real files through the real CLI: the output is inspected with pdf-lib,
 * and with poppler's pdftotext/pdfinfo where installed.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFNumber,
  PDFRef,
  PDFString,
} from "pdf-lib";
import { beforeAll, describe, expect, it } from "vitest";
import { corpus, leftoverTempDirs, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { makeNavigationPdf } from "../helpers/navigation.js";
import { hasTools } from "../helpers/tools.js";

const HAS_POPPLER = hasTools("pdftotext", "pdfinfo");
if (!HAS_POPPLER) console.warn("pdftotext/pdfinfo not installed: text-layer and metadata checks with poppler are skipped (apt-get install poppler-utils)");

const A4 = { width: 595.28, height: 841.89 };

interface Word {
  page: number;
  x: number;
  y: number;
  text: string;
}

/** Words with their centres (points from the CropBox's top-left) and pages, from `pdftotext -bbox`. */
function words(pdf: string): Word[] {
  const html = execFileSync("pdftotext", ["-bbox", "-cropbox", pdf, "-"], { encoding: "utf8", maxBuffer: 1 << 28 });
  const result: Word[] = [];
  let page = -1;
  for (const line of html.split("\n")) {
    if (line.includes("<page ")) page++;
    const m = /xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)<\/word>/.exec(line);
    if (m) result.push({ page, x: (+m[1]! + +m[3]!) / 2, y: (+m[2]! + +m[4]!) / 2, text: m[5]! });
  }
  return result;
}

/** How many words of `a` are also in `b`, counted with multiplicity. */
function commonWords(a: Word[], b: Word[]): number {
  const counts = new Map<string, number>();
  for (const w of b) counts.set(w.text, (counts.get(w.text) ?? 0) + 1);
  let common = 0;
  for (const w of a) {
    const n = counts.get(w.text) ?? 0;
    if (n > 0) {
      common++;
      counts.set(w.text, n - 1);
    }
  }
  return common;
}

/** For each word of `expected`, the distance to the nearest same word on the same page of `actual`. */
function positionErrors(expected: Word[], actual: Word[]): number[] {
  const index = new Map<string, Word[]>();
  for (const w of actual) {
    const key = `${w.page}\0${w.text}`;
    index.set(key, [...(index.get(key) ?? []), w]);
  }
  return expected.flatMap((w) => {
    const candidates = index.get(`${w.page}\0${w.text}`) ?? [];
    return candidates.length === 0 ? [] : [Math.min(...candidates.map((c) => Math.hypot(c.x - w.x, c.y - w.y)))];
  });
}

/** Length of the longest common subsequence of two strings' code points, over the longer length. */
function similarity(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    const cur = [0];
    for (let j = 1; j <= y.length; j++) cur[j] = x[i - 1] === y[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    prev = cur;
  }
  return prev[y.length]! / Math.max(x.length, y.length, 1);
}

const pdftext = (pdf: string): string => execFileSync("pdftotext", [pdf, "-"], { encoding: "utf8", maxBuffer: 1 << 28 });
const load = async (pdf: string): Promise<PDFDocument> => PDFDocument.load(readFileSync(pdf), { updateMetadata: false });
const decode = (value: unknown): string =>
  value instanceof PDFHexString || value instanceof PDFString ? value.decodeText() : String(value);
const numbers = (array: PDFArray): number[] => array.asArray().map((n) => (n instanceof PDFNumber ? n.asNumber() : Number.NaN));

/** Bookmarks as [title, output page index or null, depth], in order. */
function bookmarks(doc: PDFDocument): Array<[string, number | null, number]> {
  const pageIndex = new Map(doc.getPages().map((p, i) => [p.ref.toString(), i]));
  const result: Array<[string, number | null, number]> = [];
  const walk = (first: PDFDict | undefined, depth: number): void => {
    for (let item = first; item; item = item.lookupMaybe(PDFName.of("Next"), PDFDict)) {
      const dest = item.lookupMaybe(PDFName.of("Dest"), PDFArray);
      const ref = dest?.get(0);
      result.push([decode(item.get(PDFName.of("Title"))), ref instanceof PDFRef ? pageIndex.get(ref.toString())! : null, depth]);
      walk(item.lookupMaybe(PDFName.of("First"), PDFDict), depth + 1);
    }
  };
  walk(doc.catalog.lookupMaybe(PDFName.of("Outlines"), PDFDict)?.lookupMaybe(PDFName.of("First"), PDFDict), 0);
  return result;
}

interface Link {
  page: number;
  rect: number[];
  uri?: string;
  /** The output page index a GoTo link leads to, and its /XYZ arguments. */
  target?: number;
  xyz?: string[];
}

/** Every link annotation, its named destination resolved through the catalog's /Dests. */
function links(doc: PDFDocument): Link[] {
  const pageIndex = new Map(doc.getPages().map((p, i) => [p.ref.toString(), i]));
  const dests = doc.catalog.lookupMaybe(PDFName.of("Dests"), PDFDict);
  return doc.getPages().flatMap((page, i) => {
    const annots = page.node.lookupMaybe(PDFName.of("Annots"), PDFArray);
    return (annots?.asArray() ?? []).map((_, k): Link => {
      const annot = annots!.lookup(k, PDFDict);
      const link: Link = { page: i, rect: numbers(annot.lookup(PDFName.of("Rect"), PDFArray)) };
      const action = annot.lookupMaybe(PDFName.of("A"), PDFDict);
      if (action) link.uri = Buffer.from((action.get(PDFName.of("URI")) as PDFHexString).asBytes()).toString("latin1");
      const name = annot.get(PDFName.of("Dest"));
      if (name instanceof PDFName) {
        const dest = dests?.lookupMaybe(name, PDFArray);
        if (dest) {
          link.target = pageIndex.get(dest.get(0).toString());
          link.xyz = dest.asArray().slice(1).map(String);
        }
      }
      return link;
    });
  });
}

describe("--keep-* options on real files", () => {
  let dir: string;
  let navigation: string;
  beforeAll(async () => {
    dir = scratch("pdfraster-keep-");
    navigation = join(dir, "navigation.pdf");
    await makeNavigationPdf(navigation);
  });
  const run = async (args: string[]): Promise<void> => {
    const result = await runCli([...args, "--workers", "2", "--quiet"], { env: { TMPDIR: dir } });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(leftoverTempDirs(dir)).toEqual([]); // page images and their text/link sidecars are gone
  };

  it("lists every keep flag in --help", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const flag of ["--keep-text", "--keep-outline", "--keep-links", "--keep-metadata"]) expect(result.stdout).toContain(flag);
  });

  it("keeps none of text, links, bookmarks or metadata without the flags", async () => {
    const out = join(dir, "flat.pdf");
    await run([navigation, out, "--dpi", "30"]);
    const raw = readFileSync(out, "latin1");
    expect(raw).not.toMatch(/\/Font|\/Annots|\/Outlines|\/Dests|\/URI|\/Title|\/Author|\/Subject|\/Keywords|\/CreationDate|\/JavaScript/);
    const doc = await load(out);
    expect(doc.getPageCount()).toBe(3);
    expect(doc.getTitle()).toBeUndefined();
  });

  it.skipIf(!HAS_POPPLER)(
    "--keep-text on tracemonkey.pdf laid on A4: the input's words come back, where the layout put them",
    async () => {
      const input = corpus("tracemonkey.pdf");
      const out = join(dir, "tracemonkey.pdf");
      await run([input, out, "--keep-text", "--size", "A4", "--dpi", "40"]);
      const before = words(input);
      const after = words(out);
      expect(before.length).toBeGreaterThan(10_000);
      expect(commonWords(before, after) / before.length).toBeGreaterThanOrEqual(0.95);
      expect(commonWords(after, before) / after.length).toBeGreaterThanOrEqual(0.95); // nothing invented either

      // Letter on A4 (contain): scaled by the width ratio, centred vertically.
      const s = A4.width / 612;
      const dy = (A4.height - 792 * s) / 2;
      const expected = before.map((w) => ({ ...w, x: w.x * s, y: w.y * s + dy }));
      const errors = positionErrors(expected, after).sort((a, b) => a - b);
      expect(errors.length / before.length).toBeGreaterThanOrEqual(0.95);
      expect(errors[Math.floor(errors.length / 2)]).toBeLessThan(1.5); // median, points
      expect(errors.filter((e) => e <= 3).length / errors.length).toBeGreaterThanOrEqual(0.9);

      const doc = await load(out);
      for (const page of doc.getPages()) {
        expect(page.node.Resources()!.lookupMaybe(PDFName.of("Font"), PDFDict)?.get(PDFName.of("F0"))).toBeInstanceOf(PDFRef);
      }
      expect(readFileSync(out, "latin1")).not.toMatch(/\/Annots|\/Outlines/);
    },
  );

  it.skipIf(!HAS_POPPLER)("--keep-text follows /Rotate and the CropBox (sample.pdf, original size)", async () => {
    const out = join(dir, "sample.pdf");
    await run([SAMPLE, out, "--keep-text", "--dpi", "30"]);
    const before = words(SAMPLE);
    const after = words(out);
    expect(after.map((w) => w.text)).toEqual(before.map((w) => w.text));
    const errors = positionErrors(before, after);
    expect(errors).toHaveLength(before.length);
    // Within a run, glyphs are spread by Helvetica-like widths: words in Courier land a few points off.
    expect(errors.filter((e) => e < 2).length / errors.length).toBeGreaterThanOrEqual(0.9);
    expect(Math.max(...errors)).toBeLessThan(6);
    expect(after.filter((w) => w.page === 2).map((w) => w.text)).toEqual(["page", "3", "(/Rotate", "90)"]);
  });

  it.skipIf(!HAS_POPPLER)("--keep-text round-trips Japanese (issue16538.pdf) and Thai (issue13211.pdf)", async () => {
    for (const [name, script] of [
      ["issue16538.pdf", /[\u3040-\u30ff\u4e00-\u9fff]/u],
      ["issue13211.pdf", /[\u0e00-\u0e7f]/u],
    ] as const) {
      const out = join(dir, name);
      await run([corpus(name), out, "--keep-text", "--dpi", "30"]);
      const before = pdftext(corpus(name)).replace(/\s+/g, "");
      const after = pdftext(out).replace(/\s+/g, "");
      expect(before.length).toBeGreaterThan(500);
      expect(after).toMatch(script);
      expect(similarity(before, after), name).toBeGreaterThanOrEqual(0.95);
    }
  });

  it("--keep-outline points the bookmarks at the first output copy of each page (doc_actions.pdf, --pages 3,1,2,3)", async () => {
    const out = join(dir, "outline.pdf");
    await run([corpus("doc_actions.pdf"), out, "--keep-outline", "--pages", "3,1,2,3", "--dpi", "20"]);
    const doc = await load(out);
    expect(doc.getPageCount()).toBe(4);
    expect(bookmarks(doc)).toEqual([
      ["Page 1", 1, 0],
      ["Page 2", 2, 0],
      ["Page 3", 0, 0],
    ]);
    expect(readFileSync(out, "latin1")).not.toMatch(/\/Font|\/Annots|\/Author/);
    expect(doc.getTitle()).toBeUndefined();

    const only = join(dir, "outline-2.pdf");
    await run([corpus("doc_actions.pdf"), only, "--keep-outline", "--pages", "2", "--dpi", "20"]);
    expect(bookmarks(await load(only))).toEqual([["Page 2", 0, 0]]);
  });

  it("--keep-outline and --keep-links map targets and rectangles onto A4 and drop what is not in the output", async () => {
    const out = join(dir, "navigation-a4.pdf");
    await run([navigation, out, "--keep-outline", "--keep-links", "--size", "A4", "--pages", "1,3", "--dpi", "20"]);
    const doc = await load(out);
    // Chapter 2's page is not in the output: it stays as a heading for its section, which is.
    expect(bookmarks(doc)).toEqual([
      ["Chapter 1", 0, 0],
      ["Chapter 2 — zwei", null, 0],
      ["Section 2.1", 1, 1],
    ]);
    const s = A4.width / 612;
    const dy = (A4.height - 792 * s) / 2;
    const found = links(doc);
    // Kept: the GoTo to page 3 and the URI; dropped: the named GoTo to page 2 (not in the output) and the script.
    expect(found).toHaveLength(2);
    const [goTo, uri] = found;
    expect(goTo!.target).toBe(1);
    goTo!.rect.forEach((v, i) => expect(v).toBeCloseTo([72 * s, 600 * s + dy, 272 * s, 620 * s + dy][i]!, 2));
    expect(uri!.uri).toBe("https://example.com/pdfraster?q=1");
    uri!.rect.forEach((v, i) => expect(v).toBeCloseTo([72 * s, 520 * s + dy, 272 * s, 540 * s + dy][i]!, 2));
    // Page 3 is turned a quarter clockwise: shown as 792 x 612, on landscape A4 (limited by its
    // height), its user-space point (x 100, y 500) is shown at (500, 100) from the top-left.
    const l = A4.width / 612;
    const lx = (A4.height - 792 * l) / 2;
    expect(goTo!.xyz![0]).toBe("/XYZ");
    expect(Number(goTo!.xyz![1])).toBeCloseTo(lx + 500 * l, 1);
    expect(Number(goTo!.xyz![2])).toBeCloseTo(A4.width - 100 * l, 1);
    const raw = readFileSync(out, "latin1");
    expect(raw).not.toMatch(/JavaScript|app\.alert|\/Font|\/Author/);
  });

  it("--keep-links keeps web links where they were (smaskdim.pdf)", async () => {
    const out = join(dir, "links.pdf");
    await run([corpus("smaskdim.pdf"), out, "--keep-links", "--dpi", "20"]);
    const expected = [
      ["http://www.wildfirelessons.net/documents/Ash%20Pit%20Safety%20Advisory.pdf", [149, 317, 305, 330]],
      ["http://www.surveygizmo.com/s/179981/6-minutes-for-safety", [96, 290, 131, 299]],
      ["http://www.wildfirelessons.net/uploads/6mfs/home.html", [273, 268, 358, 281]],
      ["http://www.wildfirelessons.net/uploads/6mfs/home.html", [78, 668, 228, 753]],
    ] as const;
    const found = links(await load(out));
    expect(found.map((l) => l.uri)).toEqual(expected.map(([uri]) => uri));
    found.forEach((link, i) => link.rect.forEach((v, k) => expect(Math.abs(v - expected[i]![1][k]!)).toBeLessThan(1)));
  });

  it("--keep-metadata keeps Title, Author, Subject, Keywords and the creation date, nothing else", async () => {
    const out = join(dir, "metadata.pdf");
    await run([navigation, out, "--keep-metadata", "--dpi", "20"]);
    const doc = await load(out);
    expect(doc.getTitle()).toBe("Navigation test");
    expect(doc.getAuthor()).toBe("pdfraster tests");
    expect(doc.getSubject()).toBe("keep options");
    expect(doc.getKeywords()).toBe("bookmarks links");
    expect(doc.getCreationDate()?.toISOString()).toBe("2020-05-06T07:08:09.000Z");
    expect(doc.getCreator()).toBeUndefined();
    expect(doc.getProducer()).toBeUndefined();
    expect(readFileSync(out, "latin1")).not.toMatch(/\/Metadata|\/Font|\/Annots|\/Outlines/);
  });

  it.skipIf(!HAS_POPPLER)("--keep-metadata keeps non-Latin document information (issue13211.pdf, pdfinfo)", async () => {
    const out = join(dir, "thai-info.pdf");
    await run([corpus("issue13211.pdf"), out, "--keep-metadata", "--dpi", "20"]);
    const info = (pdf: string): Record<string, string> =>
      Object.fromEntries(
        execFileSync("pdfinfo", [pdf], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } })
          .split("\n")
          .map((line) => /^(\w+):\s*(.*)$/.exec(line)?.slice(1) ?? [])
          .filter((kv) => kv.length === 2),
      );
    const before = info(corpus("issue13211.pdf"));
    const after = info(out);
    for (const key of ["Title", "Author", "Subject", "CreationDate"]) expect(after[key], key).toBe(before[key]);
    expect(after.Title).toMatch(/วิชาสามัญ/u);
    expect(after.Creator).toBeUndefined();
    expect(after.Producer).toBeUndefined();
  });
});
