#!/usr/bin/env node
// Quality sweep of the engines over the corpus (not part of `npm test`; ~15 min per engine on 2 cores).
// For every corpus file: rasterize its first pages at low DPI with each --engine, then score each output
// against pdftoppm's rendering of the original, and the first two engines' outputs against each other,
// with shared/tools/render-diff (blurred 9 DPI gray difference: ~0.03 alike, >= 0.09 different).
//   npm run build && node scripts/engine-quality.mjs [--engines pdfjs,mupdf,pdfium] [--dpi 50] [--pages 3]
//     [--jobs 2] [--out engine-quality.json] [files...]
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist/cli.js");
const CORPUS = join(ROOT, "../shared/corpus/pdfjs");
const RENDER_DIFF = join(ROOT, "../shared/tools/render-diff");
const ALIKE = 0.06; // below: the same picture (correct renderers differ by 0.027-0.036)
const WRONG = 0.09; // at or above: a different picture

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dpi: { type: "string", default: "50" },
    pages: { type: "string", default: "3" },
    jobs: { type: "string", default: "2" },
    out: { type: "string", default: "engine-quality.json" },
    timeout: { type: "string", default: "120" },
    "diff-timeout": { type: "string", default: "60" },
    engines: { type: "string", default: "pdfjs,mupdf" },
  },
});
const ENGINES = args.engines.split(",");

const manifest = JSON.parse(readFileSync(join(CORPUS, "manifest.json"), "utf8"));
const files = manifest.files.filter((f) => positionals.length === 0 || positionals.includes(f.file));

function pdfraster(argv) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), Number(args.timeout) * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      let report;
      try {
        report = JSON.parse(stdout);
      } catch {
        report = undefined;
      }
      resolve({ code: signal ? signal : code, seconds: (performance.now() - started) / 1000, report, stderr: stderr.trim().split("\n").at(-1) ?? "" });
    });
  });
}

/** render-diff's scores per page; its own process group, killed whole on timeout (pdftoppm can hang on a bomb). */
function renderDiff(a, b, pages) {
  return new Promise((resolve) => {
    const child = spawn(RENDER_DIFF, [a, b, pages.join(",")], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.resume();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, Number(args["diff-timeout"]) * 1000);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (timedOut) return resolve({ error: `render-diff timed out after ${args["diff-timeout"]} s` });
      if (code !== 0) return resolve({ error: `render-diff exited with ${code}` });
      resolve(Object.fromEntries([...stdout.matchAll(/page (\d+): ([\d.e-]+|sizes differ)/g)].map((m) => [m[1], m[2] === "sizes differ" ? null : Number(m[2])])));
    });
  });
}

const worst = (scores) => {
  const values = Object.values(scores ?? {}).filter((v) => typeof v === "number");
  return values.length ? Math.max(...values) : null;
};

async function sweepFile(entry) {
  const dir = mkdtempSync(join(tmpdir(), "pdfraster-quality-"));
  try {
    let original = join(CORPUS, entry.file);
    const password = entry.password ? ["--password", entry.password] : [];
    if (entry.password) {
      // render-diff cannot pass a password to pdftoppm: compare against a decrypted copy.
      const plain = join(dir, "decrypted.pdf");
      await run("qpdf", [`--password=${entry.password}`, "--decrypt", original, plain]).catch(() => {});
      original = plain;
    }
    const count = await run("pdfinfo", [original]).then(
      ({ stdout }) => Number(/Pages:\s+(\d+)/.exec(stdout)?.[1] ?? 0),
      () => 0,
    );
    const last = Math.max(1, Math.min(count || 1, Number(args.pages)));
    const pages = Array.from({ length: last }, (_, i) => i + 1);
    const result = { file: entry.file, pdftoppmPages: count, engines: {} };
    for (const engine of ENGINES) {
      const out = join(dir, `${engine}.pdf`);
      const r = await pdfraster([join(CORPUS, entry.file), out, "--engine", engine, "--dpi", args.dpi, "--pages", `1-${last}`, "--on-error", "blank", "--format", "jpeg", "--workers", "1", "--json", "--quiet", ...password]);
      const failed = r.report?.failed ?? [];
      result.engines[engine] = { code: r.code, seconds: Number(r.seconds.toFixed(2)), failed, error: r.report ? undefined : r.stderr, out: r.report?.output ? out : undefined };
      if (r.report?.output && count > 0) result.engines[engine].vsPdftoppm = await renderDiff(original, out, pages);
    }
    const [a, b] = ENGINES.slice(0, 2).map((e) => result.engines[e].out);
    if (a && b) result.between = await renderDiff(a, b, pages);
    for (const engine of ENGINES) delete result.engines[engine].out;
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why the first two engines disagree on a file, or undefined when they agree (or there is one engine). */
function disagreement(r) {
  const [e1, e2] = ENGINES;
  if (!e2) return undefined;
  const [p, m] = [r.engines[e1], r.engines[e2]];
  if ((p.code === 0) !== (m.code === 0)) return `exit ${p.code} (${e1}) vs ${m.code} (${e2})`;
  const between = worst(r.between);
  if (between === null || between < WRONG) return undefined;
  const [wp, wm] = [worst(p.vsPdftoppm), worst(m.vsPdftoppm)];
  const closer = wp === null || wm === null ? "" : wp < ALIKE && wm >= WRONG ? `, ${e1} matches pdftoppm` : wm < ALIKE && wp >= WRONG ? `, ${e2} matches pdftoppm` : wp >= WRONG && wm >= WRONG ? ", neither matches pdftoppm" : "";
  return `pages differ by ${between.toFixed(3)}${closer}`;
}

const results = [];
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(args.jobs) }, async () => {
    while (next < files.length) {
      const entry = files[next++];
      const r = await sweepFile(entry);
      results.push(r);
      const cells = ENGINES.map((e) => `${e} ${r.engines[e].code} ${worst(r.engines[e].vsPdftoppm)?.toFixed(3) ?? "-"}`);
      process.stderr.write(`[${results.length}/${files.length}] ${entry.file}: ${cells.join(", ")}, between ${worst(r.between)?.toFixed(3) ?? "-"}\n`);
    }
  }),
);
results.sort((x, y) => x.file.localeCompare(y.file));
writeFileSync(args.out, JSON.stringify({ dpi: Number(args.dpi), pages: Number(args.pages), results }, null, 1));

const summary = Object.fromEntries(
  ENGINES.map((e) => {
    const rs = results.map((r) => r.engines[e]);
    const scored = results.map((r) => worst(r.engines[e].vsPdftoppm)).filter((v) => v !== null);
    return [
      e,
      {
        ok: rs.filter((r) => r.code === 0).length,
        pagesFailed: rs.filter((r) => r.code === 3).length,
        refused: rs.filter((r) => r.code === 2).length,
        other: rs.filter((r) => ![0, 2, 3].includes(r.code)).length,
        alike: scored.filter((v) => v < ALIKE).length,
        between: scored.filter((v) => v >= ALIKE && v < WRONG).length,
        wrong: scored.filter((v) => v >= WRONG).length,
        seconds: rs.reduce((s, r) => s + r.seconds, 0).toFixed(0),
      },
    ];
  }),
);
console.log(`\n${files.length} files, first ${args.pages} pages at ${args.dpi} DPI, ${((performance.now() - started) / 60000).toFixed(1)} min`);
console.log("engine  exit0  exit3  exit2  other  worst page vs pdftoppm: <0.06  0.06-0.09  >=0.09   seconds");
for (const [e, s] of Object.entries(summary)) {
  console.log(`${e.padEnd(7)} ${String(s.ok).padStart(5)}  ${String(s.pagesFailed).padStart(5)}  ${String(s.refused).padStart(5)}  ${String(s.other).padStart(5)}  ${String(s.alike).padStart(30)}  ${String(s.between).padStart(9)}  ${String(s.wrong).padStart(7)}  ${s.seconds.padStart(8)}`);
}
console.log(`\nFiles where ${ENGINES.slice(0, 2).join(" and ")} disagree:`);
for (const r of results) {
  const why = disagreement(r);
  if (!why) continue;
  const detail = ENGINES.map((e) => {
    const x = r.engines[e];
    const reason = x.failed?.[0]?.reason ?? x.error ?? "";
    return `${e}: exit ${x.code}, vs pdftoppm ${worst(x.vsPdftoppm)?.toFixed(3) ?? "-"}${reason ? ` (${reason.slice(0, 80)})` : ""}`;
  });
  console.log(`  ${r.file}: ${why}; ${detail.join("; ")}`);
}
console.log(`\nfull results: ${args.out}`);
