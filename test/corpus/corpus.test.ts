/**
 * `npm run test:corpus`: every PDF of ../shared/corpus/pdfjs through the real CLI at 36 DPI with
 * `--on-error blank`, once per bundled engine (pdf.js and PDFium; PDFRASTER_CORPUS_ENGINES=pdfjs,mupdf
 * picks others): pdf.js with the default `--format auto`, the others with `--format jpeg`. A file must give a clean result (exit 0, or 3 with its failed pages listed and
 * every page in the output) or a clean error (exit 2, one line), within its time bound, leaving no
 * temp files and no processes. Where pdftoppm is installed, every file it renders more pages of
 * than pdfraster must be a known, explained difference (docs/reliability.md).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ENGINE_NAMES, type EngineName } from "../../dist/engines/registry.js";
import { CORPUS, ROOT } from "../helpers/cli.js";
import { HAS_PDFTOPPM, manifest, orphanWorkers, pdftoppmPages, problems, sweepOne, type RunRecord } from "./sweep.js";

/** A run's time bound: two attempts of the sweep's 30 s page timeout plus start-up, on a loaded machine. */
const FILE_BOUND_MS = 180_000;
const ENGINES = (process.env.PDFRASTER_CORPUS_ENGINES ?? "pdfjs,pdfium").split(",") as EngineName[];
for (const engine of ENGINES) if (!ENGINE_NAMES.includes(engine)) throw new Error(`PDFRASTER_CORPUS_ENGINES: unknown engine ${engine}`);
/** The sweep's record for an engine: corpus-sweep.json for pdf.js (the default engine), corpus-sweep.<engine>.json for others. */
export const resultsFile = (engine: EngineName): string =>
  join(ROOT, `test/corpus/results/corpus-sweep${engine === "pdfjs" ? "" : `.${engine}`}.json`);

/** Files pdftoppm renders (some pages of) and pdfraster does not with an engine, and why; docs/reliability.md lists the same. */
const KNOWN_POPPLER_DIFFERENCES: Partial<Record<EngineName, Record<string, string>>> = {
  pdfjs: {
    "issue16263.pdf": "pdf.js spends minutes on this one page (formulas drawn through a 34862x4332 image with a soft mask): it times out, twice",
  },
  pdfium: {
    "issue16263.pdf": "PDFium takes ~32 s on this page (it decodes the 34862x4332 image and its soft mask at full size): over the sweep's 30 s page timeout",
    "bug1782186.pdf": "AES-128 with unencrypted strings (StrF Identity): PDFium rejects the right password (exit 2, wrong password); pdf.js opens it",
    "issue19484_2.pdf": "a broken page tree in which PDFium finds no pages (exit 2); pdf.js walks it, and --fallback-engine pdfjs renders it",
  },
};

/**
 * Each output format the CLI makes by default gets the whole corpus: pdf.js with the PDF default
 * (`--format auto`), PDFium with `--format jpeg` (the image-file default, and PDF output's before).
 */
const FORMAT_ARGS = (engine: EngineName): string[] => (engine === "pdfjs" ? [] : ["--format", "jpeg"]);

interface Row extends RunRecord {
  poppler: { exitCode: number | null; pages: number } | null;
}
const rows = new Map<EngineName, Row[]>(ENGINES.map((engine) => [engine, []]));
/** pdftoppm's result per file, shared by the engines' runs. */
const popplerRuns = new Map<string, ReturnType<typeof pdftoppmPages>>();

if (!HAS_PDFTOPPM) console.warn("pdftoppm not installed: the comparison with poppler is skipped (apt-get install poppler-utils)");

describe.each(ENGINES.map((engine) => [engine]))("corpus sweep, --engine %s", (engine) => {
  describe.concurrent("files", () => {
    it.each(manifest())("$file", async ({ file, password }) => {
      const input = join(CORPUS, file);
      const record = await sweepOne(input, { password, boundMs: FILE_BOUND_MS, extraArgs: ["--engine", engine, ...FORMAT_ARGS(engine)] });
      if (HAS_PDFTOPPM && !popplerRuns.has(file)) popplerRuns.set(file, pdftoppmPages(input, password, FILE_BOUND_MS));
      const poppler = HAS_PDFTOPPM ? await popplerRuns.get(file)! : null;
      rows.get(engine)!.push({ ...record, poppler });
      expect(problems(record), JSON.stringify(record)).toEqual([]);
      if (poppler) {
        const ours = record.exitCode === 2 || record.pages === null ? 0 : record.pages - record.failed.length;
        if (poppler.pages > ours && !(file in (KNOWN_POPPLER_DIFFERENCES[engine] ?? {}))) {
          expect.fail(`pdftoppm renders ${poppler.pages} page(s) of ${file}, pdfraster --engine ${engine} ${ours}: ${JSON.stringify(record)}`);
        }
      }
    });
  });
});

afterAll(() => {
  for (const [engine, engineRows] of rows) if (engineRows.length > 0) writeResults(engine, engineRows);
});

function writeResults(engine: EngineName, rows: Row[]): void {
  const path = resultsFile(engine);
  rows.sort((a, b) => a.file.localeCompare(b.file));
  mkdirSync(join(path, ".."), { recursive: true });
  const byExit = new Map<string, number>();
  for (const row of rows) byExit.set(String(row.hung ? "hung" : row.exitCode), (byExit.get(String(row.hung ? "hung" : row.exitCode)) ?? 0) + 1);
  const notable = rows.filter((row) => row.exitCode !== 0 || problems(row).length > 0 || (row.poppler && row.poppler.exitCode !== 0));
  const lines = [
    `corpus sweep, --engine ${engine}: ${rows.length} files, ${rows.reduce((n, r) => n + (r.pages ?? 0), 0)} pages, ` +
      `${[...byExit].map(([code, n]) => `exit ${code}: ${n}`).join(", ")}, ` +
      `${rows.reduce((n, r) => n + r.failed.length, 0)} failed pages, ` +
      `${Math.round(rows.reduce((n, r) => n + r.seconds, 0))} s summed, slowest ${Math.max(...rows.map((r) => r.seconds))} s`,
    "",
    "| file | exit | pages | failed pages (reason) | s | pdftoppm exit/pages | problems |",
    "|---|---|---|---|---|---|---|",
    ...notable.map((r) =>
      [
        r.file,
        r.hung ? "hung" : String(r.exitCode),
        String(r.pages ?? "-"),
        r.error ?? (r.failed.map((f) => `${f.page} (${f.reason})`).join("; ") || "-"),
        String(r.seconds),
        r.poppler ? `${r.poppler.exitCode}/${r.poppler.pages}` : "n/a",
        problems(r).join("; ") || "-",
      ].join(" | ").replace(/^/, "| ").concat(" |"),
    ),
  ];
  console.log(lines.join("\n"));
  writeFileSync(path, JSON.stringify({ date: new Date().toISOString(), engine, summary: lines[0], orphansAtEnd: orphanWorkers(), files: rows }, null, 1));
  console.log(`\nfull results: ${path}`);
}
