// The master's memory at any page count with `--format auto` (issue 20): the document-wide JBIG2
// dictionary grows with the pages of text; the master's peak RSS must not grow with the page count.
// Generates --distinct pages of the black-text manual (bench/documents.mjs), copies them round after
// round up to each page count (fonts copied afresh each round), crops every page to a text block
// (--crop, inches: 2x1.5 is 600x450 pixels at 300 DPI, so that 2,000 pages run in minutes on 2 cores;
// the master's work per page, admitting symbols and writing the page, is the same in kind),
// rasterizes it with each of --formats at 300 DPI, and prints the master's and the largest worker's
// peak RSS (VmHWM sampled from /proc, bench/measure.mjs), the pages by stored format, the output size
// and the size of the document dictionary it wrote.
//   npm run build && node bench/auto-memory.mjs [--pages 150,2000] [--formats auto,jpeg] [--distinct 150] [--crop 3x2] [--workers 2]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PDFDocument } from "pdf-lib";
import { makeDocument } from "./documents.mjs";
import { measure } from "./measure.mjs";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const { values: args } = parseArgs({
  options: {
    pages: { type: "string", default: "150,2000" },
    crop: { type: "string", default: "3x2" },
    workers: { type: "string", default: "2" },
    formats: { type: "string", default: "auto" },
    distinct: { type: "string", default: "150" },
    dpi: { type: "string", default: "300" },
  },
});
const [cropW, cropH] = args.crop.split("x").map((v) => Number(v) * 72);

const dir = mkdtempSync(join(tmpdir(), "pdfraster-auto-memory-"));
try {
  console.log(`black-text manual (${args.distinct} distinct pages, repeated) cropped to ${args.crop} in, ${args.dpi} DPI, ${args.workers} workers`);
  console.log("format  pages  input MB  output MB  wall s  master peak MB  largest worker MB  pages by format");
  // Generating thousands of pages with bench/documents.mjs takes long (pdf-lib's font subsetting):
  // `distinct` pages are generated, then copied afresh round after round (new font objects each round).
  const source = join(dir, "manual.pdf");
  await makeDocument("manual", Number(args.distinct), source);
  const generated = await PDFDocument.load(readFileSync(source), { updateMetadata: false });
  for (const pages of args.pages.split(",").map(Number)) {
    const doc = await PDFDocument.create({ updateMetadata: false });
    while (doc.getPageCount() < pages) {
      for (const page of await doc.copyPages(generated, generated.getPageIndices())) if (doc.getPageCount() < pages) doc.addPage(page);
    }
    // The text block below the top margin (72 pt), the same place on every page.
    for (const page of doc.getPages()) page.setCropBox(72, page.getHeight() - 72 - cropH, cropW, cropH);
    const input = join(dir, `input-${pages}.pdf`);
    writeFileSync(input, await doc.save());
    for (const format of args.formats.split(",")) {
      const output = join(dir, `out-${pages}.pdf`);
      const m = await measure(process.execPath, [CLI, input, output, "--format", format, "--dpi", args.dpi, "--workers", args.workers, "--json", "--quiet"], { tmpDir: dir });
      if (m.code !== 0) throw new Error(`pdfraster exited with ${m.code}: ${m.stderr}`);
      const report = JSON.parse(m.stdout);
      const formats = {};
      for (const e of report.pageEncodings) formats[e.format] = (formats[e.format] ?? 0) + 1;
      console.log(
        `${format.padEnd(6)}  ${String(pages).padStart(5)}  ${(report.inputBytes / 1e6).toFixed(2).padStart(8)}  ${(report.outputBytes / 1e6).toFixed(2).padStart(9)}  ${(m.wallMs / 1000).toFixed(0).padStart(6)}  ${m.masterPeakMb.toFixed(0).padStart(14)}  ${m.workerPeakMb.toFixed(0).padStart(17)}  ${Object.entries(formats).map(([f, n]) => `${f} ${n}`).join(", ")}`,
      );
      // The document dictionary: the /JBIG2Globals object's stream length (the writer puts /Length last in the dictionary).
      const text = readFileSync(output, "latin1");
      const ref = /\/JBIG2Globals (\d+) 0 R/.exec(text)?.[1];
      const globalsBytes = ref ? Number(new RegExp(`\n${ref} 0 obj\n<<[^>]*/Length (\\d+) >>`).exec(text)?.[1] ?? 0) : 0;
      console.log(`       document dictionary (/JBIG2Globals): ${(globalsBytes / 1024).toFixed(1)} KB`);
      rmSync(output, { force: true });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
