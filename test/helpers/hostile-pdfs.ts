/**
 * Crafted PDFs for the hostile-input tests (issue 19), made with pdf-lib at test time: no binaries.
 */
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";
import { PDFDocument, PDFHexString, PDFName, PDFString, StandardFonts, type PDFRef } from "pdf-lib";

/** Actions a link or a bookmark may carry, each with the target it names; `keep` says whether it may become a web link. */
export const ACTIONS: Array<{ name: string; action: Record<string, unknown>; keep?: string }> = [
  { name: "URI https", action: { S: "URI", URI: "https://ok.example/a?b=1" }, keep: "https://ok.example/a?b=1" },
  { name: "URI http", action: { S: "URI", URI: "http://ok.example/plain" }, keep: "http://ok.example/plain" },
  { name: "URI mailto", action: { S: "URI", URI: "mailto:someone@ok.example" }, keep: "mailto:someone@ok.example" },
  { name: "URI javascript:", action: { S: "URI", URI: "javascript:alert(1)" } },
  { name: "URI file:", action: { S: "URI", URI: "file:///etc/passwd" } },
  { name: "URI without a scheme", action: { S: "URI", URI: "www.noscheme.example/x" } },
  { name: "URI relative", action: { S: "URI", URI: "../up/there.html" } },
  { name: "Launch", action: { S: "Launch", F: "www.launch.example/calc.exe" } },
  { name: "Launch with a file spec", action: { S: "Launch", F: { Type: "Filespec", F: "www.launch2.example/calc.exe" }, NewWindow: true } },
  { name: "GoToR", action: { S: "GoToR", F: "www.remote.example/doc.pdf", D: [0, "Fit"] } },
  // File specs that are absolute web URLs: pdf.js reports them as it reports a URI action's URL.
  { name: "Launch https", action: { S: "Launch", F: "https://launch3.example/calc.exe" } },
  { name: "Launch URL file spec", action: { S: "Launch", F: { Type: "Filespec", FS: "URL", F: "https://launch4.example/run" } } },
  { name: "GoToR https", action: { S: "GoToR", F: "https://remote2.example/doc.pdf", D: "here" } },
  { name: "GoToR URL file spec", action: { S: "GoToR", F: { Type: "Filespec", FS: "URL", UF: "http://remote3.example/doc.pdf" }, D: [0, "Fit"] } },
  { name: "JavaScript app.launchURL", action: { S: "JavaScript", JS: 'app.launchURL("https://script.example/x", true);' } },
  { name: "JavaScript window.open", action: { S: "JavaScript", JS: "window.open('http://script2.example/y')" } },
];

/**
 * One page with a link annotation for each of ACTIONS, and a bookmark for each (an outline with
 * every action), so that --keep-links and --keep-outline see them all.
 */
export async function makeActionsPdf(path: string): Promise<void> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([612, 792]);
  const ctx = doc.context;
  const value = (v: unknown): unknown => {
    if (typeof v === "string") return PDFString.of(v);
    if (Array.isArray(v)) return ctx.obj(v.map((x) => (typeof x === "string" ? PDFName.of(x) : x)) as never);
    if (typeof v === "object" && v !== null) return ctx.obj(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === "Type" ? PDFName.of(String(x)) : value(x)])) as never);
    return v;
  };
  const action = (a: Record<string, unknown>) => ctx.obj(Object.fromEntries(Object.entries(a).map(([k, v]) => [k, k === "S" ? PDFName.of(String(v)) : value(v)])) as never);
  const annots = ACTIONS.map(({ name, action: a }, i) => {
    const y = 740 - i * 40;
    page.drawText(name, { x: 72, y: y + 5, size: 14, font });
    return ctx.register(ctx.obj({ Type: "Annot", Subtype: "Link", Rect: [72, y, 372, y + 24], Border: [0, 0, 0], A: action(a) } as never));
  });
  page.node.set(PDFName.of("Annots"), ctx.obj(annots));
  const root = ctx.nextRef();
  const items: PDFRef[] = ACTIONS.map(() => ctx.nextRef());
  ACTIONS.forEach(({ name, action: a }, i) => {
    ctx.assign(items[i]!, ctx.obj({ Title: PDFHexString.fromText(name), Parent: root, ...(i > 0 ? { Prev: items[i - 1] } : {}), ...(i < items.length - 1 ? { Next: items[i + 1] } : {}), A: action(a) } as never));
  });
  ctx.assign(root, ctx.obj({ Type: "Outlines", First: items[0], Last: items.at(-1), Count: items.length } as never));
  doc.catalog.set(PDFName.of("Outlines"), root);
  writeFileSync(path, await doc.save({ useObjectStreams: false }));
}

/** Writes a PDF by hand: `objects[i]` is the body of object i + 1 (object 1 the catalog), with its xref table; `trailer`: more trailer entries. */
export function writeRawPdf(path: string, objects: string[], trailer = ""): void {
  const chunks: string[] = ["%PDF-1.7\n"];
  const offsets: number[] = [];
  let at = chunks[0]!.length;
  for (const [i, body] of objects.entries()) {
    offsets.push(at);
    const text = `${i + 1} 0 obj\n${body}\nendobj\n`;
    chunks.push(text);
    at += text.length;
  }
  const size = objects.length + 1;
  const xref = [`xref\n0 ${size}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`)].join("");
  chunks.push(xref, `trailer\n<< /Size ${size} /Root 1 0 R${trailer} >>\nstartxref\n${at}\n%%EOF\n`);
  writeFileSync(path, chunks.join(""), "latin1");
}

/**
 * A document of `count` empty 1-inch pages in one flat /Kids array (no intermediate page-tree nodes):
 * 100,000 pages make about 7 MB in well under a second.
 */
export function makeFlatPagesPdf(path: string, count: number): void {
  const kids = Array.from({ length: count }, (_, i) => `${i + 3} 0 R`).join(" ");
  const pages = Array.from({ length: count }, () => "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>");
  writeRawPdf(path, ["<< /Type /Catalog /Pages 2 0 R >>", `<< /Type /Pages /Count ${count} /Kids [${kids}] >>`, ...pages]);
}

/** One page whose bookmarks nest `depth` deep (each the only child of the one before). */
export function makeDeepOutlinePdf(path: string, depth: number): void {
  const first = 5; // outline items are objects 5 .. 5 + depth - 1
  const items = Array.from({ length: depth }, (_, i) => {
    const n = first + i;
    const child = i < depth - 1 ? ` /First ${n + 1} 0 R /Last ${n + 1} 0 R /Count 1` : "";
    return `<< /Title (Level ${i + 1}) /Parent ${i === 0 ? 4 : n - 1} 0 R /Dest [3 0 R /XYZ 0 200 0]${child} >>`;
  });
  writeRawPdf(path, [
    "<< /Type /Catalog /Pages 2 0 R /Outlines 4 0 R >>",
    "<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    `<< /Type /Outlines /First ${first} 0 R /Last ${first} 0 R /Count ${depth} >>`,
    ...items,
  ]);
}

/** One page under `depth` levels of /Pages nodes (each the only kid of the one above). */
export function makeDeepPageTreePdf(path: string, depth: number): void {
  // Object 2 is the root /Pages; nodes 3 .. depth + 1 nest below it; the page is object depth + 2.
  const page = depth + 2;
  const nodes = Array.from({ length: depth }, (_, i) => {
    const n = 2 + i;
    return `<< /Type /Pages /Count 1 /Kids [${n + 1} 0 R]${i > 0 ? ` /Parent ${n - 1} 0 R` : ""} >>`;
  });
  writeRawPdf(path, ["<< /Type /Catalog /Pages 2 0 R >>", ...nodes, `<< /Type /Page /Parent ${page - 1} 0 R /MediaBox [0 0 200 200] >>`]);
}

/**
 * A page tree that loops. `kids`: the root's second kid is a /Pages node whose kid is the root again.
 * `parents`: the tree is sound, but the first page has no MediaBox and its /Parent chain, which
 * readers walk for an inherited one, loops between two nodes that are not in the tree.
 */
export function makeCyclicPageTreePdf(path: string, loop: "kids" | "parents"): void {
  writeRawPdf(path, [
    "<< /Type /Catalog /Pages 2 0 R >>",
    loop === "kids" ? "<< /Type /Pages /Count 2 /Kids [3 0 R 4 0 R] >>" : "<< /Type /Pages /Count 2 /Kids [3 0 R 7 0 R] >>",
    "<< /Type /Page /Parent 5 0 R >>",
    "<< /Type /Pages /Count 1 /Kids [2 0 R] /Parent 2 0 R >>",
    "<< /Type /Pages /Count 1 /Kids [3 0 R] /Parent 6 0 R >>",
    "<< /Type /Pages /Count 1 /Kids [5 0 R] /Parent 5 0 R >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
  ]);
}

/** One page with document information of `titleBytes` of title, and XMP metadata nesting `xmpDepth` elements deep. */
export function makeHugeMetadataPdf(path: string, titleBytes: number, xmpDepth: number): void {
  const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">${"<a>".repeat(xmpDepth)}${"</a>".repeat(xmpDepth)}</rdf:RDF></x:xmpmeta>`;
  writeRawPdf(path, [
    "<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R >>",
    "<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    `<< /Type /Metadata /Subtype /XML /Length ${xmp.length} >>\nstream\n${xmp}\nendstream`,
    `<< /Title (${"T".repeat(titleBytes)}) /Author (${"(".repeat(20_000)}${")".repeat(20_000)}) >>`,
  ], " /Info 5 0 R");
}

/**
 * One page with `count` web links (each its own annotation, all in one /Annots array) and one more
 * whose /Dest is an array nested `depth` deep.
 */
export function makeManyLinksPdf(path: string, count: number, depth: number): void {
  const first = 4; // annotations are objects 4 .. 4 + count
  const annots = Array.from({ length: count }, (_, i) => {
    const x = (i % 100) * 2;
    const y = Math.floor(i / 100) % 100 * 2;
    return `<< /Type /Annot /Subtype /Link /Rect [${x} ${y} ${x + 2} ${y + 2}] /Border [0 0 0] /A << /S /URI /URI (https://ok.example/${i}) >> >>`;
  });
  const deep = `<< /Type /Annot /Subtype /Link /Rect [0 0 200 200] /Dest ${"[".repeat(depth)}3 0 R${"]".repeat(depth)} >>`;
  const refs = Array.from({ length: count + 1 }, (_, i) => `${first + i} 0 R`).join(" ");
  writeRawPdf(path, [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [${refs}] >>`,
    ...annots,
    deep,
  ]);
}

/** One 200 x 200 pt page filled by a black `side` x `side` grey image (Flate: a few KB for 25 million pixels). */
export function makeBigImagePdf(path: string, side: number): void {
  const data = deflateSync(Buffer.alloc(side * side), { level: 9 }).toString("latin1");
  const content = "q 200 0 0 200 0 0 cm /Im0 Do Q";
  writeRawPdf(path, [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    `<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length ${data.length} >>\nstream\n${data}\nendstream`,
  ]);
}
