#!/usr/bin/env node
// A page that `--format auto` must not change: black text, a blue link, and thin gray rules and box edges (table rules,
// form borders). Thin light rules are what 1-bit thresholding and flat-colour layers lost before auto looked for them (docs/small-output.md,
// "Is `auto` the default?"; test/integration/thin-rules.test.ts).
//   node scripts/hairlines.mjs [out.pdf] [--gray]   (default: hairlines.pdf; --gray: the link black too, a page auto would make 1-bit)
import { writeFileSync } from "node:fs";
import { PDFDocument, rgb, StandardFonts } from "pdf-lib";

const args = process.argv.slice(2);
const gray = args.includes("--gray");
const out = args.find((a) => a !== "--gray") ?? "hairlines.pdf";
const doc = await PDFDocument.create();
const font = await doc.embedFont(StandardFonts.Helvetica);
const page = doc.addPage([300, 260]);
page.drawText("Black text and a blue link", { x: 20, y: 230, size: 12, font, color: rgb(0, 0, 0) });
page.drawText("https://example.org/", { x: 20, y: 210, size: 12, font, color: gray ? rgb(0, 0, 0) : rgb(0, 0, 0.8) });
// Box edges and rules, 0.24 pt (1 pixel at 300 DPI) and 0.5 pt, from 50% to 75% gray.
page.drawRectangle({ x: 20, y: 120, width: 200, height: 60, borderColor: rgb(0.6, 0.6, 0.6), borderWidth: 0.24 });
for (const [i, [gray, width]] of [[0.5, 0.24], [0.6, 0.24], [0.75, 0.24], [0.75, 0.5]].entries()) {
  const y = 100 - i * 20;
  page.drawLine({ start: { x: 20, y }, end: { x: 260, y }, thickness: width, color: rgb(gray, gray, gray) });
  page.drawText(`${Math.round(gray * 100)}% gray, ${width} pt`, { x: 20, y: y + 3, size: 6, font, color: rgb(0, 0, 0) });
}
writeFileSync(out, await doc.save());
console.log(`wrote ${out}`);
