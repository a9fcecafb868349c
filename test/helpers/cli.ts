import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { hasTools } from "./tools.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = join(ROOT, "dist/cli.js");
export const CORPUS = join(ROOT, "../shared/corpus/pdfjs");
export const SAMPLE = join(ROOT, "fixtures/sample.pdf");
export const corpus = (name: string): string => join(CORPUS, name);

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would; `env` is added to the environment; `cli` replaces dist/cli.js; `cwd`: run in that folder. */
export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cli?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.cli ?? CLI, ...args], {
      env: { ...process.env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 110_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * A fresh directory for one test's files (and, passed as TMPDIR, for pdfraster's temp dirs), in the
 * test run's own folder (test/scratch-root.ts), which is removed when the run ends.
 */
export function scratch(prefix = "pdfraster-test-"): string {
  return mkdtempSync(join(process.env.PDFRASTER_TEST_SCRATCH ?? tmpdir(), prefix));
}

/** pdfraster temp directories left in `dir`. */
export function leftoverTempDirs(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith("pdfraster-"));
}

/** Whether poppler-utils and imagemagick are installed (reference renders; tests that need them say so when skipped). */
export const HAS_REFERENCE_TOOLS = hasTools("pdftoppm", "compare");
if (!HAS_REFERENCE_TOOLS) {
  console.warn("pdftoppm/compare not installed: reference-render checks are skipped (apt-get install poppler-utils imagemagick)");
}
