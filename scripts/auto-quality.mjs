#!/usr/bin/env node
// Does every decoder show the same page? (issue 20: "render the output with pdftoppm, mutool and Ghostscript and
// compare with today's JPEG output"; not part of `npm test`: hours on the whole corpus on 2 cores.)
// For every corpus file: rasterize its first pages with `--format jpeg` and `--format auto` (PDF output, 300 DPI),
// render the `auto` output with pdftoppm, mutool and Ghostscript, and the `jpeg` output with the same three, all in
// gray at 72 DPI box-averaged to 9 DPI (as shared/tools/render-diff: normalized RMSE, ~0.03 alike, >= 0.09 a
// different page), and score each page:
//   vsJpeg[decoder]  auto by that decoder against jpeg by pdftoppm (the issue's comparison);
//   same[decoder]    auto by that decoder against jpeg by the same decoder (the encoding alone, decoder held fixed).
// A page "moved" when any score is above --moved (0.04) or the decoders disagree (their same-decoder scores spread
// by more than --spread, 0.02). Writes one JSON line per file to --out (resumable: files already there are skipped)
// and a markdown summary to --md.
//   npm run build && nice -n 10 node scripts/auto-quality.mjs [--pages 4] [--dpi 300] [--workers 1] [--jobs 1] [--timeout 240]
//     [--out auto-quality.jsonl] [--md auto-quality.md] [--summary-only] [files...]
import { execFile, spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist/cli.js");
const CORPUS = join(ROOT, "../shared/corpus/pdfjs");
const DECODERS = ["pdftoppm", "mutool", "gs"];
const VIEW_DPI = 72; // render-diff's resolution, then BOX x BOX pixel averages (9 DPI)
const BOX = 8;

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dpi: { type: "string", default: "300" },
    pages: { type: "string", default: "4" },
    workers: { type: "string", default: "1" },
    jobs: { type: "string", default: "1" },
    timeout: { type: "string", default: "240" },
    "render-timeout": { type: "string", default: "120" },
    moved: { type: "string", default: "0.04" },
    spread: { type: "string", default: "0.02" },
    out: { type: "string", default: "auto-quality.jsonl" },
    md: { type: "string", default: "auto-quality.md" },
    "summary-only": { type: "boolean", default: false },
  },
});
const MOVED = Number(args.moved);
const SPREAD = Number(args.spread);

/** Runs a command in its own process group, killed whole after `seconds`; never rejects. */
function spawnBounded(cmd, argv, seconds) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, argv, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, seconds * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? "timeout" : signal ?? code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

async function pdfraster(input, out, format, last, password) {
  const argv = [CLI, input, out, "--format", format, "--dpi", args.dpi, "--pages", `1-${last}`, "--on-error", "blank", "--workers", args.workers, "--json", "--quiet", ...password];
  const r = await spawnBounded(process.execPath, argv, Number(args.timeout));
  let report;
  try {
    report = JSON.parse(r.stdout);
  } catch {}
  return {
    code: r.code,
    seconds: Number(r.seconds.toFixed(1)),
    failed: (report?.failed ?? []).map((f) => ({ page: f.page, reason: String(f.reason ?? f.error ?? "").slice(0, 120) })),
    encodings: report?.pageEncodings,
    outputBytes: report?.outputBytes,
    error: report ? undefined : r.stderr.trim().split("\n").at(-1)?.slice(0, 160),
    ok: report?.output !== undefined && existsSync(out),
  };
}

/** Renders pages 1..last of pdf in gray at VIEW_DPI with one decoder into dir; returns page -> PGM path. */
async function renderPages(decoder, pdf, last, dir) {
  const prefix = join(dir, decoder);
  const argv = {
    pdftoppm: ["pdftoppm", ["-r", String(VIEW_DPI), "-gray", "-f", "1", "-l", String(last), pdf, prefix]],
    mutool: ["mutool", ["draw", "-q", "-r", String(VIEW_DPI), "-c", "gray", "-o", `${prefix}-%d.pgm`, pdf, `1-${last}`]],
    gs: ["gs", ["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pgmraw", `-r${VIEW_DPI}`, "-dFirstPage=1", `-dLastPage=${last}`, `-sOutputFile=${prefix}-%d.pgm`, pdf]],
  }[decoder];
  const r = await spawnBounded(argv[0], argv[1], Number(args["render-timeout"]));
  const pages = {};
  for (const name of readdirSync(dir)) {
    const m = new RegExp(`^${decoder}-0*(\\d+)\\.pgm$`).exec(name);
    if (m) pages[Number(m[1])] = join(dir, name);
  }
  return { code: r.code, pages };
}

/** A binary PGM (P5, 8-bit) box-averaged to BOX x BOX cells: { w, h, cells } (edge cells average what they have). */
function readCells(path) {
  const data = readFileSync(path);
  const header = [];
  let i = 0;
  while (header.length < 4) {
    while (/\s/.test(String.fromCharCode(data[i]))) i++;
    if (data[i] === 0x23) {
      while (data[i] !== 0x0a) i++;
      continue;
    }
    let token = "";
    while (!/\s/.test(String.fromCharCode(data[i]))) token += String.fromCharCode(data[i++]);
    header.push(token);
  }
  i++;
  const [magic, width, height, max] = [header[0], Number(header[1]), Number(header[2]), Number(header[3])];
  if (magic !== "P5" || max > 255) throw new Error(`${path}: not an 8-bit binary PGM`);
  const cw = Math.ceil(width / BOX);
  const ch = Math.ceil(height / BOX);
  const sums = new Float64Array(cw * ch);
  const counts = new Uint32Array(cw * ch);
  for (let y = 0; y < height; y++) {
    const row = i + y * width;
    const cellRow = Math.floor(y / BOX) * cw;
    for (let x = 0; x < width; x++) {
      const c = cellRow + Math.floor(x / BOX);
      sums[c] += data[row + x];
      counts[c]++;
    }
  }
  for (let c = 0; c < sums.length; c++) sums[c] /= counts[c] * max;
  return { width, height, w: cw, h: ch, cells: sums };
}

/** Normalized RMSE of two cell grids; null when the renders' sizes differ by more than a pixel (rounding). */
function score(a, b) {
  if (!a || !b || Math.abs(a.width - b.width) > 1 || Math.abs(a.height - b.height) > 1) return null;
  const w = Math.min(a.w, b.w);
  const h = Math.min(a.h, b.h);
  let sum = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) sum += (a.cells[y * a.w + x] - b.cells[y * b.w + x]) ** 2;
  return Number(Math.sqrt(sum / (w * h)).toFixed(4));
}

async function sweepFile(entry) {
  const dir = mkdtempSync(join(tmpdir(), "pdfraster-auto-quality-"));
  try {
    const input = join(CORPUS, entry.file);
    const password = entry.password ? ["--password", entry.password] : [];
    const out = { jpeg: join(dir, "jpeg.pdf"), auto: join(dir, "auto.pdf") };
    const result = { file: entry.file, pages: [] };
    // The page count from pdfinfo; 0 where it cannot open a file that pdfraster can.
    const count = await run("pdfinfo", [...(entry.password ? ["-upw", entry.password] : []), input]).then(
      ({ stdout }) => Number(/Pages:\s+(\d+)/.exec(stdout)?.[1] ?? 0),
      () => 0,
    );
    let last = Math.max(1, Math.min(count || Number(args.pages), Number(args.pages)));
    result.jpeg = await pdfraster(input, out.jpeg, "jpeg", last, password);
    if (count === 0 && result.jpeg.code === 2 && /out of range/.test(result.jpeg.error ?? "")) {
      // pdfinfo could not count the pages and the document is shorter than --pages: its first page only.
      last = 1;
      result.jpeg = await pdfraster(input, out.jpeg, "jpeg", last, password);
    }
    result.auto = await pdfraster(input, out.auto, "auto", last, password);
    if (!result.jpeg.ok || !result.auto.ok) return result;
    const renders = {};
    for (const format of ["jpeg", "auto"]) {
      for (const decoder of DECODERS) {
        const sub = join(dir, `${format}-${decoder}`);
        await run("mkdir", [sub]);
        renders[`${format}-${decoder}`] = await renderPages(decoder, out[format], last, sub);
      }
    }
    result.renderCodes = Object.fromEntries(Object.entries(renders).filter(([, r]) => r.code !== 0).map(([k, r]) => [k, r.code]));
    const encodings = new Map((result.auto.encodings ?? []).map((e) => [e.page, e]));
    const pages = Object.keys(renders["jpeg-pdftoppm"].pages).map(Number).sort((a, b) => a - b);
    for (const page of pages) {
      const cells = (key) => (renders[key].pages[page] ? readCells(renders[key].pages[page]) : undefined);
      const reference = cells("jpeg-pdftoppm");
      const row = { page, encoding: encodings.get(page)?.encoding, format: encodings.get(page)?.format, bytes: encodings.get(page)?.bytes, vsJpeg: {}, same: {} };
      for (const decoder of DECODERS) {
        const auto = cells(`auto-${decoder}`);
        row.vsJpeg[decoder] = score(auto, reference);
        row.same[decoder] = decoder === "pdftoppm" ? row.vsJpeg[decoder] : score(auto, cells(`jpeg-${decoder}`));
      }
      result.pages.push(row);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Why a page moved, or undefined: a score above MOVED against pdftoppm's jpeg page, or against the same
 * decoder's jpeg page; or the decoders disagreeing about the encoding (their same-decoder scores spread
 * by more than SPREAD). The vs-jpeg scores of mutool and Ghostscript include how differently they draw
 * any page from pdftoppm (images scaled down: ~0.02-0.03 on a 1-bit page), so their spread alone is not
 * a disagreement; a small same-decoder score says the decoder draws `auto` as it draws `jpeg`.
 */
function moved(row) {
  const values = DECODERS.map((d) => row.vsJpeg[d]);
  const same = DECODERS.map((d) => row.same[d]);
  if ([...values, ...same].some((v) => v === null || v === undefined)) return "not rendered or sizes differ";
  const why = [];
  if (Math.max(...values) > MOVED) why.push(`vs jpeg ${Math.max(...values).toFixed(3)}`);
  if (Math.max(...same) > MOVED) why.push(`same decoder ${Math.max(...same).toFixed(3)}`);
  const spread = Math.max(...same) - Math.min(...same);
  if (spread > SPREAD) why.push(`decoders disagree by ${spread.toFixed(3)}`);
  if (why.length && Math.max(...same) <= SPREAD) why.push("each decoder draws auto as it draws jpeg");
  return why.length ? why.join(", ") : undefined;
}

const manifest = JSON.parse(readFileSync(join(CORPUS, "manifest.json"), "utf8"));
const files = manifest.files.filter((f) => positionals.length === 0 || positionals.includes(f.file));
const done = new Set(existsSync(args.out) ? readFileSync(args.out, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).file) : []);
const started = performance.now();
if (!args["summary-only"]) {
  const todo = files.filter((f) => !done.has(f.file));
  let next = 0;
  let n = done.size;
  await Promise.all(
    Array.from({ length: Number(args.jobs) }, async () => {
      while (next < todo.length) {
        const entry = todo[next++];
        const r = await sweepFile(entry);
        appendFileSync(args.out, `${JSON.stringify(r)}\n`);
        const worst = Math.max(0, ...r.pages.flatMap((p) => DECODERS.map((d) => p.vsJpeg[d] ?? 0)));
        process.stderr.write(`[${++n}/${files.length}] ${entry.file}: jpeg ${r.jpeg.code} (${r.jpeg.seconds} s), auto ${r.auto.code} (${r.auto.seconds} s), ${r.pages.length} pages, worst ${worst.toFixed(3)}\n`);
      }
    }),
  );
}

// Summary: every line of --out, restricted to the files asked for.
const wanted = new Set(files.map((f) => f.file));
const results = readFileSync(args.out, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((r) => wanted.has(r.file));
results.sort((a, b) => a.file.localeCompare(b.file));
const allPages = results.flatMap((r) => r.pages.map((p) => ({ file: r.file, ...p })));
const byEncoding = {};
for (const p of allPages) {
  const key = `${p.encoding ?? "?"} → ${p.format ?? "?"}`;
  const e = (byEncoding[key] ??= { pages: 0, worst: 0 });
  e.pages++;
  e.worst = Math.max(e.worst, ...DECODERS.map((d) => p.vsJpeg[d] ?? 0));
}
const fmt = (v) => (v === null || v === undefined ? "-" : v.toFixed(3));
const lines = [];
lines.push(`# --format auto against --format jpeg, by three decoders`, "");
lines.push(`\`node scripts/auto-quality.mjs --pages ${args.pages} --dpi ${args.dpi} --workers ${args.workers}\`: ${results.length} files, ${allPages.length} pages compared.`);
lines.push(`Score: normalized RMSE of gray renders at ${VIEW_DPI} DPI averaged to ${VIEW_DPI / BOX} DPI (as shared/tools/render-diff; ~0.03 alike, >= 0.09 a different page).`);
lines.push(`vs jpeg: \`auto\` by each decoder against \`jpeg\` by pdftoppm; same decoder: against \`jpeg\` by that decoder. Moved: any score above ${MOVED}, or the same-decoder scores spread by more than ${SPREAD} (the decoders disagree about the encoding).`, "");
lines.push("| auto encoding → stored format | pages | worst vs jpeg |", "|---|---|---|");
for (const [k, e] of Object.entries(byEncoding).sort((a, b) => b[1].pages - a[1].pages)) lines.push(`| ${k} | ${e.pages} | ${fmt(e.worst)} |`);
lines.push("", "## Files whose exit code differs between jpeg and auto", "");
const exitDiffers = results.filter((r) => String(r.jpeg.code) !== String(r.auto.code));
if (exitDiffers.length === 0) lines.push("None.");
for (const r of exitDiffers) lines.push(`- ${r.file}: jpeg exit ${r.jpeg.code}${r.jpeg.error ? ` (${r.jpeg.error})` : ""}, auto exit ${r.auto.code}${r.auto.error ? ` (${r.auto.error})` : ""}${r.auto.failed?.length ? `; auto failed pages ${r.auto.failed.map((f) => `${f.page}: ${f.reason}`).join("; ")}` : ""}`);
const notCompared = results.filter((r) => !r.jpeg.ok || !r.auto.ok);
lines.push("", `## Files with no output to compare (${notCompared.length}; the same exit code both ways unless listed above)`, "");
lines.push(notCompared.map((r) => `${r.file} (${r.jpeg.code}${r.jpeg.error ? `: ${r.jpeg.error.slice(0, 60)}` : ""})`).join(", ") || "None.");
const movedPages = allPages.map((p) => ({ ...p, why: moved(p) })).filter((p) => p.why);
movedPages.sort((a, b) => Math.max(...DECODERS.map((d) => b.vsJpeg[d] ?? 1)) - Math.max(...DECODERS.map((d) => a.vsJpeg[d] ?? 1)));
lines.push("", `## Pages that moved (${movedPages.length} of ${allPages.length})`, "");
lines.push("| file | page | auto encoding | format | vs jpeg: pdftoppm | mutool | gs | same decoder: mutool | gs | why |", "|---|---|---|---|---|---|---|---|---|---|");
for (const p of movedPages) lines.push(`| ${p.file} | ${p.page} | ${p.encoding ?? "-"} | ${p.format ?? "-"} | ${fmt(p.vsJpeg.pdftoppm)} | ${fmt(p.vsJpeg.mutool)} | ${fmt(p.vsJpeg.gs)} | ${fmt(p.same.mutool)} | ${fmt(p.same.gs)} | ${p.why} |`);
writeFileSync(args.md, `${lines.join("\n")}\n`);
process.stderr.write(`${results.length} files, ${allPages.length} pages, ${movedPages.length} moved, ${exitDiffers.length} exit codes differ; ${((performance.now() - started) / 60000).toFixed(1)} min; ${args.md}\n`);
