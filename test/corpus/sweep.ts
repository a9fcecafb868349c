/** Shared by the corpus tests: run one PDF through the CLI and check that nothing is left behind. */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFDocument } from "pdf-lib";
import { CLI, CORPUS, ROOT } from "../helpers/cli.js";
import { isAlive, workerPidsOf } from "../helpers/processes.js";
import { hasTools } from "../helpers/tools.js";

export interface ManifestEntry {
  file: string;
  password?: string;
}

export function manifest(): ManifestEntry[] {
  return (JSON.parse(readFileSync(join(CORPUS, "manifest.json"), "utf8")) as { files: ManifestEntry[] }).files;
}

export interface RunRecord {
  file: string;
  /** null when the CLI was killed (hang) or died of a signal. */
  exitCode: number | null;
  signal: string | null;
  /** True when the time bound was hit and the CLI was killed. */
  hung: boolean;
  pages: number | null;
  outputPages: number | null;
  failed: { page: number; reason: string }[];
  /** Pages whose first attempt failed. */
  retried: number[];
  seconds: number;
  /** One-line error of an exit-2 run. */
  error: string | null;
  /** Temp dirs, partial outputs or stray files left in the run's TMPDIR or output dir. */
  leftoverFiles: string[];
  /** Worker processes of this checkout that outlived their master. */
  leftoverProcesses: number[];
  stderrLines: number;
}

/** Worker processes of this checkout that were re-parented to init: their master is gone. */
export function orphanWorkers(): number[] {
  const worker = join(ROOT, "dist/worker/entry.js");
  return execFileSync("ps", ["-eo", "pid=,ppid=,stat=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[2] === "1" && !m[3]!.startsWith("Z") && m[4]!.includes(worker))
    .map((m) => Number(m[1]));
}

async function countPages(path: string): Promise<number> {
  const doc = await PDFDocument.load(readFileSync(path), { updateMetadata: false, ignoreEncryption: true });
  return doc.getPageCount();
}

/** Runs the CLI on `input` at low DPI with `--on-error blank`, killing it after `boundMs` (a hang). */
export async function sweepOne(
  input: string,
  options: { password?: string; boundMs: number; extraArgs?: string[]; name?: string; /** Where to copy the output PDF before the run's folder goes. */ keepOutput?: string },
): Promise<RunRecord> {
  const dir = mkdtempSync(join(tmpdir(), "pdfraster-sweep-"));
  const tmp = join(dir, "tmp");
  const outDir = join(dir, "out");
  spawnSync("mkdir", [tmp, outDir]);
  const out = join(outDir, "out.pdf");
  const args = [input, out, "--dpi", "36", "--workers", "1", "--on-error", "blank", "--page-timeout", "30", "--json", "--quiet"];
  if (options.password !== undefined) args.push("--password", options.password);
  args.push(...(options.extraArgs ?? []));
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, TMPDIR: tmp }, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, options.boundMs);
  // The CLI's workers, seen while it runs, must all be gone once it has exited.
  const workers = new Set<number>();
  const poll = setInterval(() => {
    if (child.pid !== undefined) for (const pid of workerPidsOf(child.pid)) workers.add(pid);
  }, 250);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  clearTimeout(timer);
  clearInterval(poll);
  const seconds = Math.round((performance.now() - started) / 100) / 10;

  let report: { pages: number; failed: { page: number; reason: string }[]; retried: number[] } | undefined;
  try {
    report = JSON.parse(stdout);
  } catch {
    report = undefined;
  }
  const outputPages = existsSync(out) ? await countPages(out).catch(() => -1) : null;
  if (options.keepOutput && existsSync(out)) copyFileSync(out, options.keepOutput);
  const leftoverFiles = [
    ...readdirSync(tmp).map((name) => `TMPDIR/${name}`),
    ...readdirSync(outDir).filter((name) => name !== "out.pdf").map((name) => `outdir/${name}`),
  ];
  // A killed (hung) CLI cannot stop its workers: they must notice and exit within a few seconds.
  const end = Date.now() + (hung ? 5000 : 1000);
  while ([...workers].some(isAlive) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  const leftoverProcesses = [...workers].filter(isAlive);
  const stderrLines = stderr.trim() === "" ? 0 : stderr.trim().split("\n").length;
  rmSync(dir, { recursive: true, force: true });
  return {
    file: options.name ?? input.slice(input.lastIndexOf("/") + 1),
    exitCode: code,
    signal: hung ? null : signal,
    hung,
    pages: report?.pages ?? null,
    outputPages,
    failed: report?.failed ?? [],
    retried: report?.retried ?? [],
    seconds,
    error: code === 2 ? stderr.trim().split("\n")[0]!.replace(/^pdfraster: /, "") : null,
    leftoverFiles,
    leftoverProcesses,
    stderrLines,
  };
}

/** What is wrong with a run, per the invariants; empty when it is a clean result or a clean error. */
export function problems(record: RunRecord): string[] {
  const found: string[] = [];
  if (record.hung) found.push("hung: killed after the time bound");
  else if (record.exitCode === null) found.push(`master died of ${record.signal}`);
  else if (![0, 2, 3].includes(record.exitCode)) found.push(`exit code ${record.exitCode}`);
  if (record.exitCode === 0 || record.exitCode === 3) {
    if (record.pages === null) found.push("no JSON report");
    else if (record.outputPages !== record.pages) found.push(`output has ${record.outputPages} pages, input ${record.pages}`);
  }
  if (record.exitCode === 0 && record.failed.length > 0) found.push("exit 0 with failed pages");
  if (record.exitCode === 3 && record.failed.length === 0) found.push("exit 3 without failed pages");
  if (record.exitCode === 2 && record.stderrLines !== 1) found.push(`exit 2 with ${record.stderrLines} lines on stderr`);
  if (record.exitCode === 2 && record.outputPages !== null) found.push("exit 2 but an output was written");
  if (record.leftoverFiles.length > 0) found.push(`left files: ${record.leftoverFiles.join(", ")}`);
  if (record.leftoverProcesses.length > 0) found.push(`left worker processes: ${record.leftoverProcesses.join(", ")}`);
  return found;
}

/** Pages pdftoppm renders (its exit code and the images it wrote), or undefined when it is not installed. */
export const HAS_PDFTOPPM = hasTools("pdftoppm");

export async function pdftoppmPages(input: string, password: string | undefined, boundMs: number): Promise<{ exitCode: number | null; pages: number }> {
  const dir = mkdtempSync(join(tmpdir(), "pdfraster-poppler-"));
  const args = ["-r", "36", "-png", ...(password !== undefined ? ["-upw", password] : []), input, join(dir, "p")];
  const child = spawn("pdftoppm", args, { stdio: "ignore" });
  const timer = setTimeout(() => child.kill("SIGKILL"), boundMs);
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  clearTimeout(timer);
  const pages = readdirSync(dir).filter((name) => name.endsWith(".png")).length;
  rmSync(dir, { recursive: true, force: true });
  return { exitCode, pages };
}
