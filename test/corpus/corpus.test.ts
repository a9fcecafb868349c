/**
 * `npm run test:corpus`: every PDF of ../shared/corpus/pdfjs through the real CLI at 36 DPI with
 * `--on-error blank`. A file must give a clean result (exit 0, or 3 with its failed pages listed and
 * every page in the output) or a clean error (exit 2, one line), within its time bound, leaving no
 * temp files and no processes. Where pdftoppm is installed, every file it renders more pages of
 * than pdfraster must be a known, explained difference (README, "Reliability").
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CORPUS, ROOT } from "../helpers/cli.js";
import { HAS_PDFTOPPM, manifest, orphanWorkers, pdftoppmPages, problems, sweepOne, type RunRecord } from "./sweep.js";

/** A run's time bound: two attempts of the sweep's 30 s page timeout plus start-up, on a loaded machine. */
const FILE_BOUND_MS = 180_000;
export const RESULTS = join(ROOT, "test/corpus/results/corpus-sweep.json");

/** Files pdftoppm renders (some pages of) and pdfraster does not, and why; README lists the same. */
const KNOWN_POPPLER_DIFFERENCES: Record<string, string> = {
  "issue16263.pdf": "pdf.js spends minutes on this one page (formulas drawn through a 34862x4332 image with a soft mask): it times out, twice",
};

interface Row extends RunRecord {
  poppler: { exitCode: number | null; pages: number } | null;
}
const rows: Row[] = [];

if (!HAS_PDFTOPPM) console.warn("pdftoppm not installed: the comparison with poppler is skipped (apt-get install poppler-utils)");

describe.concurrent("corpus sweep", () => {
  it.each(manifest())("$file", async ({ file, password }) => {
    const input = join(CORPUS, file);
    const record = await sweepOne(input, { password, boundMs: FILE_BOUND_MS });
    const poppler = HAS_PDFTOPPM ? await pdftoppmPages(input, password, FILE_BOUND_MS) : null;
    rows.push({ ...record, poppler });
    expect(problems(record), JSON.stringify(record)).toEqual([]);
    if (poppler) {
      const ours = record.exitCode === 2 || record.pages === null ? 0 : record.pages - record.failed.length;
      if (poppler.pages > ours && !(file in KNOWN_POPPLER_DIFFERENCES)) {
        expect.fail(`pdftoppm renders ${poppler.pages} page(s) of ${file}, pdfraster ${ours}: ${JSON.stringify(record)}`);
      }
    }
  });
});

afterAll(() => {
  rows.sort((a, b) => a.file.localeCompare(b.file));
  mkdirSync(join(RESULTS, ".."), { recursive: true });
  const byExit = new Map<string, number>();
  for (const row of rows) byExit.set(String(row.hung ? "hung" : row.exitCode), (byExit.get(String(row.hung ? "hung" : row.exitCode)) ?? 0) + 1);
  const notable = rows.filter((row) => row.exitCode !== 0 || problems(row).length > 0 || (row.poppler && row.poppler.exitCode !== 0));
  const lines = [
    `corpus sweep: ${rows.length} files, ${rows.reduce((n, r) => n + (r.pages ?? 0), 0)} pages, ` +
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
  writeFileSync(RESULTS, JSON.stringify({ date: new Date().toISOString(), summary: lines[0], orphansAtEnd: orphanWorkers(), files: rows }, null, 1));
  console.log(`\nfull results: ${RESULTS}`);
});
