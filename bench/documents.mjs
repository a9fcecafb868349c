// Generated test documents of the kinds the size benchmark needs and the corpus lacks (bench/sizes.mjs).
// Deterministic (a seeded generator), fonts embedded and subset as LaTeX or a word processor would
// (Liberation Sans from pdfjs-dist), so that the input's size is a realistic yardstick.
//   node bench/documents.mjs <kind> <pages> <out.pdf>     kinds: manual, manual-colour, article, brochure
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fontkit from "@pdf-lib/fontkit";
import { PDFDocument, PDFName, PDFString, rgb, StandardFonts } from "pdf-lib";
import sharp from "sharp";

const FONTS = join(dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json")), "standard_fonts");

/** mulberry32: a small seeded generator, so that every run builds the same bytes. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ["ra", "ster", "pa", "ge", "do", "cu", "ment", "im", "age", "fil", "ter", "co", "de", "stream", "ob", "ject", "font", "glyph", "in", "put", "out", "print", "the", "of", "and", "to", "a", "is", "for", "with", "on", "by", "line", "col", "our", "map", "ping", "se", "quence", "ta", "ble"];

function words(rand, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + Math.floor(rand() * 3);
    let w = "";
    for (let j = 0; j < k; j++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    if (rand() < 0.04) w = w[0].toUpperCase() + w.slice(1);
    if (rand() < 0.03) w += String(Math.floor(rand() * 1000));
    out.push(w);
  }
  return out;
}

/** Lines of at most `width` points, greedily filled. */
function wrap(font, size, text, width) {
  const lines = [];
  let line = "";
  for (const word of text) {
    const next = line ? `${line} ${word}` : word;
    if (font.widthOfTextAtSize(next, size) > width && line) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** A photograph stand-in: fractal noise (octaves of smoothed noise), coloured like a landscape, as a JPEG. */
async function photo(rand, width, height) {
  const base = Buffer.alloc(width * height);
  const octaves = [64, 32, 16, 8, 4, 2];
  const field = new Float32Array(width * height);
  for (const [o, cell] of octaves.entries()) {
    const gw = Math.ceil(width / cell) + 2;
    const gh = Math.ceil(height / cell) + 2;
    const grid = Float32Array.from({ length: gw * gh }, () => rand());
    const amp = 1 / (o + 1.5);
    for (let y = 0; y < height; y++) {
      const gy = y / cell;
      const y0 = Math.floor(gy);
      const fy = gy - y0;
      for (let x = 0; x < width; x++) {
        const gx = x / cell;
        const x0 = Math.floor(gx);
        const fx = gx - x0;
        const a = grid[y0 * gw + x0] * (1 - fx) + grid[y0 * gw + x0 + 1] * fx;
        const b = grid[(y0 + 1) * gw + x0] * (1 - fx) + grid[(y0 + 1) * gw + x0 + 1] * fx;
        field[y * width + x] += amp * (a * (1 - fy) + b * fy);
      }
    }
  }
  const rgbPixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const v = Math.min(1, Math.max(0, field[i] / 1.6));
    const sky = i / width < height * 0.4;
    base[i] = v * 255;
    rgbPixels[i * 3] = sky ? 90 + v * 120 : 40 + v * 150;
    rgbPixels[i * 3 + 1] = sky ? 140 + v * 100 : 80 + v * 120;
    rgbPixels[i * 3 + 2] = sky ? 200 + v * 55 : 30 + v * 60;
  }
  return sharp(rgbPixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 88 }).toBuffer();
}

function link(page, doc, [x, y, w, h], url) {
  const annotation = doc.context.obj({
    Type: "Annot",
    Subtype: "Link",
    Rect: [x, y, x + w, y + h],
    Border: [0, 0, 0],
    A: { Type: "Action", S: "URI", URI: PDFString.of(url) },
  });
  const annots = page.node.lookup(PDFName.of("Annots"));
  if (annots) annots.push(doc.context.register(annotation));
  else page.node.set(PDFName.of("Annots"), doc.context.obj([doc.context.register(annotation)]));
}

/** A line plot with axes and a few coloured series (coloured = false: all black, dashed). */
function plot(page, font, rand, x, y, w, h, coloured) {
  const black = rgb(0, 0, 0);
  page.drawRectangle({ x, y, width: w, height: h, borderColor: black, borderWidth: 0.6 });
  for (let i = 1; i < 5; i++) {
    page.drawLine({ start: { x: x + (w * i) / 5, y }, end: { x: x + (w * i) / 5, y: y + 4 }, thickness: 0.5, color: black });
    page.drawText(String(i * 20), { x: x + (w * i) / 5 - 5, y: y - 10, size: 7, font, color: black });
  }
  const colours = coloured ? [rgb(0.85, 0.1, 0.1), rgb(0.1, 0.3, 0.85), rgb(0.1, 0.6, 0.2)] : [black, black, black];
  colours.forEach((color, s) => {
    let prev;
    const phase = rand() * 6;
    for (let i = 0; i <= 60; i++) {
      const px = x + (w * i) / 60;
      const py = y + h / 2 + (h / 3) * Math.sin(phase + i / (6 + s * 3)) * (0.4 + 0.2 * s);
      if (prev) page.drawLine({ start: prev, end: { x: px, y: py }, thickness: 1, color, ...(coloured ? {} : { dashArray: [s * 2 + 1, 2] }) });
      prev = { x: px, y: py };
    }
  });
}

/**
 * Builds one document. Kinds (what each stands for):
 * - manual: a LaTeX-style manual in black text with headings, code and a black plot every few pages;
 * - manual-colour: the same with blue links (real link annotations), dark-red headings, tinted code boxes and coloured plots;
 * - article: a two-column article in black text with a gray logo and a small colour badge on the first page;
 * - brochure: pages with a photograph and text beside it.
 */
export async function makeDocument(kind, pages, out, seed = 1) {
  const rand = random(seed);
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.registerFontkit(fontkit);
  const regular = await doc.embedFont(readFileSync(join(FONTS, "LiberationSans-Regular.ttf")), { subset: true });
  const bold = await doc.embedFont(readFileSync(join(FONTS, "LiberationSans-Bold.ttf")), { subset: true });
  const mono = await doc.embedFont(StandardFonts.Courier);
  const colour = kind === "manual-colour" || kind === "brochure";
  const linkBlue = rgb(0, 0, 0.8);
  const headingColour = colour ? rgb(0.6, 0.05, 0.05) : rgb(0, 0, 0);
  const photos = [];
  if (kind === "brochure") for (let i = 0; i < 3; i++) photos.push(await doc.embedJpg(await photo(rand, 900, 600)));

  for (let p = 0; p < pages; p++) {
    const page = doc.addPage([595.28, 841.89]);
    const margin = 72;
    const width = page.getWidth() - 2 * margin;
    let y = page.getHeight() - margin;
    const columns = kind === "article" ? 2 : 1;
    const columnWidth = (width - (columns - 1) * 18) / columns;
    if (kind === "article" && p === 0) {
      page.drawRectangle({ x: margin, y: y - 40, width: 90, height: 40, color: rgb(0.55, 0.55, 0.55) });
      page.drawText("JOURNAL", { x: margin + 10, y: y - 26, size: 14, font: bold, color: rgb(1, 1, 1) });
      page.drawCircle({ x: margin + width - 20, y: y - 20, size: 16, color: rgb(0.95, 0.55, 0.1) });
      page.drawText("OA", { x: margin + width - 28, y: y - 24, size: 10, font: bold, color: rgb(1, 1, 1) });
      y -= 60;
    }
    if (kind === "brochure") {
      const image = photos[p % photos.length];
      const h = width * (image.height / image.width);
      page.drawImage(image, { x: margin, y: y - h, width, height: h });
      y -= h + 20;
    }
    for (let c = 0; c < columns; c++) {
      let cy = y;
      const x = margin + c * (columnWidth + 18);
      while (cy > margin + 40) {
        const r = rand();
        if (r < 0.08 && kind !== "brochure") {
          page.drawText(`${p + 1}.${Math.floor(rand() * 9) + 1} ${words(rand, 3).join(" ")}`, { x, y: cy - 14, size: 13, font: bold, color: headingColour });
          cy -= 24;
        } else if (r < 0.13 && kind.startsWith("manual")) {
          const lines = 3 + Math.floor(rand() * 5);
          if (colour) page.drawRectangle({ x: x - 4, y: cy - lines * 11 - 4, width: columnWidth + 8, height: lines * 11 + 6, color: rgb(0.93, 0.93, 0.96) });
          for (let l = 0; l < lines && cy > margin + 40; l++) {
            page.drawText(`  ${words(rand, 1 + Math.floor(rand() * 5)).join("_")}(${Math.floor(rand() * 100)});`, { x, y: cy - 10, size: 9, font: mono });
            cy -= 11;
          }
          cy -= 8;
        } else if (r < 0.16 && kind.startsWith("manual") && cy > margin + 220) {
          plot(page, regular, rand, x + 30, cy - 190, columnWidth - 60, 170, colour);
          cy -= 210;
        } else {
          const lines = wrap(regular, 10, words(rand, 40 + Math.floor(rand() * 60)), columnWidth);
          for (const line of lines) {
            if (cy < margin + 40) break;
            page.drawText(line, { x, y: cy - 10, size: 10, font: regular });
            if (kind === "manual-colour" && rand() < 0.25) {
              // A link: a few words in blue over the line's end, with its annotation.
              const text = words(rand, 2).join(" ");
              const tw = regular.widthOfTextAtSize(text, 10);
              page.drawRectangle({ x: x + columnWidth - tw - 2, y: cy - 13, width: tw + 2, height: 12, color: rgb(1, 1, 1) });
              page.drawText(text, { x: x + columnWidth - tw, y: cy - 10, size: 10, font: regular, color: linkBlue });
              link(page, doc, [x + columnWidth - tw, cy - 12, tw, 11], `https://example.org/${text.replace(/ /g, "-")}`);
            }
            cy -= 12.5;
          }
          cy -= 6;
        }
      }
    }
    page.drawText(String(p + 1), { x: page.getWidth() / 2 - 5, y: margin / 2, size: 9, font: regular });
  }
  writeFileSync(out, await doc.save());
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [kind = "manual", pages = "120", out = `${kind}.pdf`] = process.argv.slice(2);
  await makeDocument(kind, Number(pages), out);
  console.log(`wrote ${out} (${kind}, ${pages} pages)`);
}
