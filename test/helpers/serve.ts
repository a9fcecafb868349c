import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, scratch } from "./cli.js";
import { dyingWithParent, isAlive, waitFor, workerPidsOf } from "./processes.js";

export interface RunningService {
  url: string;
  child: ChildProcess;
  /** TMPDIR of the service: its own temp folder (pdfraster-serve-*) is made in here. */
  tmp: string;
  stderr: () => string;
  /** Live worker pids of the service. */
  workers: () => number[];
  /** Job folders the service holds now. */
  jobDirs: () => string[];
  /** SIGTERM; resolves with the exit code once the service and its workers are gone. */
  stop: () => Promise<number | null>;
}

const running = new Set<RunningService>();

/**
 * Starts `pdfraster serve --port 0` (the built CLI) in a process of its own with a fresh TMPDIR,
 * and waits for its `listening on` line. Pair with stop() (or stopAll() in afterAll).
 */
export async function startServe(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningService> {
  const tmp = scratch("pdfraster-serve-test-");
  const child = spawn(...dyingWithParent(process.execPath, [CLI, "serve", "--port", "0", ...args]), {
    env: { ...process.env, ...env, TMPDIR: tmp },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start: ${stderr}`)), 30_000);
    child.stderr.on("data", () => {
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`the service exited with ${code}: ${stderr}`)));
  });
  const service: RunningService = {
    url,
    child,
    tmp,
    stderr: () => stderr,
    workers: () => workerPidsOf(child.pid!),
    jobDirs: () => {
      const root = readdirSync(tmp).find((name) => name.startsWith("pdfraster-serve-"));
      // .owner: see src/temp-dir.ts; workers: the workers' own folders (src/serve/warm-backend.ts)
      return root ? readdirSync(join(tmp, root)).filter((name) => name !== ".owner" && name !== "workers") : [];
    },
    stop: async () => {
      running.delete(service);
      const workers = workerPidsOf(child.pid!);
      if (child.exitCode === null && !child.killed) child.kill("SIGTERM"); // a second one would stop it at once
      const code = await exited;
      await waitFor(() => workers.every((pid) => !isAlive(pid)), 10_000, "the service's workers to exit");
      return code;
    },
  };
  running.add(service);
  return service;
}

/** Stops every service a test left running (afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((service) => service.stop()));
}

/** Waits until the service reports every worker ready. */
export async function ready(service: RunningService): Promise<void> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    const response = await fetch(`${service.url}/readyz`).catch(() => undefined);
    if (response?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the service did not become ready");
}

/** Peak resident memory (VmHWM) of a process, in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** A PDF upload as a fetch body. */
export function pdfBody(path: string): { body: Buffer; headers: Record<string, string> } {
  return { body: readFileSync(path), headers: { "content-type": "application/pdf" } };
}

/** A multipart form with the PDF in `file` and the fields. */
export function form(path: string, fields: Record<string, string> = {}, name = "in.pdf"): FormData {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) data.append(key, value);
  data.append("file", new Blob([readFileSync(path)], { type: "application/pdf" }), name);
  return data;
}

/** The number of a Prometheus series in /metrics text (0 when absent). */
export function metric(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/**
 * Waits for `request` while asking the service's /healthz every `everyMs`, each answer given a second:
 * resolves with the request's response and every /healthz answer that was not 200 (its status or the
 * error's name, e.g. TimeoutError), and how many were asked.
 */
export async function whilePolled(service: RunningService, request: Promise<Response>, everyMs = 200): Promise<{ answer: Response; unhealthy: Array<number | string>; polls: number }> {
  let finished = false;
  void request.then(() => (finished = true), () => (finished = true));
  const unhealthy: Array<number | string> = [];
  let polls = 0;
  while (!finished) {
    const status = await fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.status, (error: Error) => error.name);
    polls++;
    if (status !== 200) unhealthy.push(status);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return { answer: await request, unhealthy, polls };
}
