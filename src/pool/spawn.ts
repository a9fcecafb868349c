import { fileURLToPath } from "node:url";
import type { EngineName } from "../engines/registry.js";
import { chooseSandbox, type SandboxInfo, type SandboxMode } from "../sandbox/index.js";
import { faultWritable } from "../worker/fault.js";
import type { WorkerSpawnOptions } from "./worker-handle.js";

const WORKER_ENTRY = fileURLToPath(new URL("../worker/entry.js", import.meta.url));
/**
 * V8 heap cap of each worker; pixels live outside it (canvas, sharp), so this bounds pdf.js itself.
 * Every corpus file and a 600 DPI A0 page render within 128 MB; with the pdf.js adapter's cache
 * cleanup a worker's heap stays flat over long documents (docs/reliability.md, "Limits and defaults").
 */
const WORKER_HEAP_MB = 2048;
/**
 * Workers are as many as the cores, so V8's parallel GC threads only compete with the other
 * workers: collecting on the worker's own thread made pdf.js runs 8-10% faster for 1 s less CPU
 * (tracemonkey x5 at 300 DPI, 2 workers: 7.0-7.2 s -> 6.4-6.6 s; MuPDF, whose heap is small, unchanged).
 */
const WORKER_V8_FLAGS = [`--max-old-space-size=${WORKER_HEAP_MB}`, "--single-threaded-gc"];

/** What a pool's workers may read besides the install (the input documents, files or folders), and where their own folders are made. */
export interface WorkerScope {
  readable: readonly string[];
  workParent: string;
}

/**
 * The sandbox `mode` gets here (decided once per process). Throws a SandboxError for `strict`
 * without the OS layer: call it before anything is started.
 */
export function workerSandbox(mode: SandboxMode): SandboxInfo {
  return chooseSandbox(mode, WORKER_ENTRY).info;
}

/** How worker processes are started: by a local run's pool, and by a cluster worker's. */
export function workerSpawnOptions(
  engine: EngineName,
  scope: WorkerScope,
  limits: { sandbox: SandboxMode; maxWorkerMemoryBytes: number },
): WorkerSpawnOptions {
  return {
    entry: WORKER_ENTRY,
    execArgv: WORKER_V8_FLAGS,
    env: workerEnv(engine),
    inheritStderr: process.env.DEBUG !== undefined,
    launcher: chooseSandbox(limits.sandbox, WORKER_ENTRY).launcher,
    readable: scope.readable,
    writable: faultWritable(),
    workParent: scope.workParent,
    maxMemoryBytes: limits.maxWorkerMemoryBytes,
  };
}

/** Workers get only what they need: no secrets or loader hooks from the parent's environment. */
function workerEnv(engine: EngineName): NodeJS.ProcessEnv {
  // PDFRASTER_ENGINE: the engine a worker loads before it reports ready.
  // MALLOC_ARENA_MAX: libvips threads each get a glibc malloc arena and freed page buffers fragment them:
  // at A3 300 dpi a worker grew to ~790 MB over 14 pages; with 2 arenas it stays under ~530 MB at no measured CPU cost.
  const env: NodeJS.ProcessEnv = { PDFRASTER_WORKER: "1", PDFRASTER_ENGINE: engine, MALLOC_ARENA_MAX: "2" };
  for (const name of ["PDFRASTER_FAULT", "TZ", "LANG", "MALLOC_ARENA_MAX"]) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return env;
}
