import { tmpdir } from "node:os";
import { UsageError } from "../errors.js";
import { checkKeys } from "../option-keys.js";
import { DEFAULTS, normalizeOptions, type NormalizedOptions } from "../options.js";
import { API_NAMES, type Naming, type OptionSpec } from "../option-table.js";
import type { EngineName } from "../engines/registry.js";
import type { SandboxMode } from "../sandbox/index.js";

/** Settings of `pdfraster serve`: where it listens, its workers, and its limits. Every one is optional. */
export interface ServiceOptions {
  /** Interface to listen on; anything but loopback exposes the service to the network. @default "127.0.0.1" */
  host?: string;
  /** TCP port; 0 picks a free one. @default 8080 */
  port?: number;
  /** Warm worker processes shared by every request. @default the number of CPU cores */
  workers?: number;
  /** Renderer of every request. @default "pdfjs" */
  engine?: EngineName;
  /** Engine that retries a page failed on `engine`. @default none */
  fallbackEngine?: EngineName;
  /** Seconds one page may take before its worker is killed and the page retried. @default 120 */
  pageTimeout?: number;
  /** Workers are replaced after this many pages. @default 1000 */
  maxPagesPerWorker?: number;
  /** Megabytes of resident memory a worker may use before it is killed and its page fails; 0: no cap. @default 2048 */
  maxWorkerMemory?: number;
  /** How the workers are confined: `auto`, `strict` (refuse to start without the OS sandbox) or `off` (docs/security.md). @default "auto" */
  sandbox?: SandboxMode;
  /** Most pixels of one page raster; a request may ask for less, not more. @default 1073741824 (2^30) */
  maxPixels?: number;
  /** Largest request body in bytes (the upload); a larger one is refused with 413 without being read. @default 104857600 (100 MiB) */
  maxBodyBytes?: number;
  /** Most pages one document may select. @default 2000 */
  maxPages?: number;
  /**
   * Seconds an upload may take, from its first byte to its last; a slower one is cut with 408.
   * @default 120
   */
  uploadTimeout?: number;
  /**
   * Bytes per second an upload must average after its first UPLOAD_GRACE_S seconds (5); a slower one
   * (a client sending a byte now and then) is cut with 408. 0: no minimum. @default 32768
   */
  minUploadRate?: number;
  /** Uploads received at once (they hold no place among the jobs); beyond them 429. @default 4 x (maxJobs + maxQueue) */
  maxUploads?: number;
  /** Documents rendered at once; further ones wait in the queue. @default 4 */
  maxJobs?: number;
  /** Documents waiting for a turn; beyond them a request gets 429 with Retry-After. @default 32 */
  maxQueue?: number;
  /** Seconds a document may take from its upload to its output (queue wait included), then it fails with 504. @default 300 */
  timeLimit?: number;
  /** Seconds a finished job's result (and report) is kept for `GET /v1/jobs/:id/result`. @default 600 */
  resultTtl?: number;
  /** Seconds SIGTERM waits for running documents before cancelling them. @default 30 */
  grace?: number;
  /** Bearer token every /v1 request and /metrics must carry; none: no authentication. @default none */
  token?: string;
  /**
   * Origins browsers reach the service at through a proxy (`https://pdf.example.com`): their pages may
   * post to it, and their host names are answered. Without it a browser request from any origin but
   * `http://<Host>` is refused, and a service on loopback answers only `localhost`, `127.x.y.z` and `[::1]`. @default none
   */
  origins?: string[];
  /** Where the service keeps uploads, page images and results (in a folder of its own). @default the OS temp dir */
  tempDir?: string;
  /**
   * Cluster mode: render on the `pdfraster worker`s of this Redis (`redis://[user:password@]host[:port][/db]`,
   * `rediss://` for TLS) instead of local worker processes. @default none: the local warm pool
   */
  redis?: string;
  /** Cluster mode: the queue (tenant) name. @default "default" */
  queue?: string;
  /** Cluster mode: where inputs and page images travel, `redis` or `file:///shared/dir`. @default "redis" */
  store?: string;
}

export interface ServiceConfig {
  host: string;
  port: number;
  token: string | undefined;
  /** `--origin`s as URL origins (`https://pdf.example.com`, lowercase, no default port). */
  origins: string[];
  maxBodyBytes: number;
  maxPages: number;
  maxJobs: number;
  maxQueue: number;
  maxUploads: number;
  uploadTimeoutMs: number;
  minUploadRate: number;
  timeLimitMs: number;
  resultTtlMs: number;
  graceMs: number;
  tempDir: string;
  /** Pool-level settings (workers, engines, page timeout, recycling, max pixels) in the form every job's options start from. */
  base: NormalizedOptions;
}

export const SERVICE_DEFAULTS = {
  host: "127.0.0.1",
  port: 8080,
  maxBodyBytes: 100 * 2 ** 20,
  maxPages: 2000,
  maxJobs: 4,
  maxQueue: 32,
  uploadTimeout: 120,
  minUploadRate: 32 * 1024,
  timeLimit: 300,
  resultTtl: 600,
  grace: 30,
} as const;

/** The service's own settings (the pool's and a request's options are the run's: RUN_OPTIONS). */
type ServiceKey = Exclude<keyof ServiceOptions, "workers" | "engine" | "fallbackEngine" | "pageTimeout" | "maxPagesPerWorker" | "maxWorkerMemory" | "sandbox" | "maxPixels" | "redis" | "queue" | "store">;

/** `pdfraster serve`'s own flags, once (see option-table.ts); in --help order, after the pool's. */
const SERVICE_SPECS: { [K in ServiceKey]: Omit<OptionSpec<K>, "key" | "scopes"> } = {
  host: { flag: "host", type: "string", arg: "address", default: SERVICE_DEFAULTS.host, help: "interface to listen on (anything but loopback exposes the service)" },
  port: { flag: "port", type: "number", arg: "n", default: SERVICE_DEFAULTS.port, help: "TCP port (0: any free port)" },
  maxBodyBytes: { flag: "max-body", type: "bytes", arg: "bytes", default: "100M", help: "largest upload; a larger one gets 413 without being read (suffixes k, M, G)" },
  maxPages: { flag: "max-pages", type: "number", arg: "n", default: SERVICE_DEFAULTS.maxPages, help: "most pages one document may select" },
  maxJobs: { flag: "max-jobs", type: "number", arg: "n", default: SERVICE_DEFAULTS.maxJobs, help: "documents rendered at once" },
  maxQueue: { flag: "max-queue", type: "number", arg: "n", default: SERVICE_DEFAULTS.maxQueue, help: "documents waiting for a turn; beyond them 429 with Retry-After" },
  maxUploads: { flag: "max-uploads", type: "number", arg: "n", help: "uploads received at once, apart from the jobs; beyond them 429 (default: 4 x (max-jobs + max-queue))" },
  uploadTimeout: { flag: "upload-timeout", type: "number", arg: "seconds", default: SERVICE_DEFAULTS.uploadTimeout, help: "most an upload may take; a slower one gets 408" },
  minUploadRate: {
    flag: "min-upload-rate", type: "bytes", arg: "bytes", default: "32k",
    help: "bytes per second an upload must average after its first 5 s, else 408 (suffixes k, M; 0: none)",
  },
  timeLimit: { flag: "time-limit", type: "number", arg: "seconds", default: SERVICE_DEFAULTS.timeLimit, help: "per-document limit from upload to output (504 beyond)" },
  resultTtl: { flag: "result-ttl", type: "number", arg: "seconds", default: SERVICE_DEFAULTS.resultTtl, help: "how long an async job's result is kept" },
  grace: { flag: "grace", type: "number", arg: "seconds", default: SERVICE_DEFAULTS.grace, help: "on SIGTERM, how long documents in flight may take before they are cancelled" },
  token: { flag: "token", type: "string", arg: "token", help: "require Authorization: Bearer <token> on /v1 and /metrics, or set PDFRASTER_TOKEN (default: none)" },
  origins: {
    flag: "origin", type: "string", arg: "url...",
    help: "origin browsers reach the service at through a proxy, e.g. https://pdf.example.com (default: none; see docs/security.md)",
  },
  tempDir: { flag: "temp-dir", type: "string", arg: "dir", help: "where uploads, page images and results live (default: the OS temp dir)" },
};

/** `pdfraster serve`'s own settings in table form. */
export const SERVICE_OPTIONS: readonly OptionSpec<ServiceKey>[] = Object.entries(SERVICE_SPECS).map(([key, spec]) => ({
  key: key as ServiceKey,
  ...spec,
  scopes: ["service"],
}));

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got \`${String(value)}\``, { option: name });
  }
  return n;
}

function seconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0.1 || n > 86_400 * 7) {
    throw new UsageError(`Expected \`${name}\` to be a number of seconds from 0.1 to 604800, got \`${String(value)}\``, { option: name });
  }
  return n * 1000;
}

/** `https://pdf.example.com` as an origin; a path, credentials or another scheme are mistakes. */
function origin(value: unknown, name: string): string {
  const url = typeof value === "string" && URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password || url.pathname !== "/" || url.search || url.hash) {
    throw new UsageError(`Expected \`${name}\` to be an origin such as https://pdf.example.com, got \`${String(value)}\``, { option: name });
  }
  return url.origin.toLowerCase();
}

/** Every key of {@link ServiceOptions} (the compiler checks that none is missing). */
const SERVICE_KEYS = Object.keys({
  host: 0, port: 0, workers: 0, engine: 0, fallbackEngine: 0, pageTimeout: 0, maxPagesPerWorker: 0, maxPixels: 0, maxBodyBytes: 0, maxPages: 0,
  maxJobs: 0, maxQueue: 0, timeLimit: 0, resultTtl: 0, grace: 0, token: 0, origins: 0, sandbox: 0, maxWorkerMemory: 0, maxUploads: 0, minUploadRate: 0, uploadTimeout: 0, tempDir: 0, redis: 0, queue: 0, store: 0,
} satisfies Record<keyof ServiceOptions, 0>);

/**
 * Validates the service settings; `env` supplies the token when `token` is not given (PDFRASTER_TOKEN).
 * `naming`: how the caller names the settings in messages (`pdfraster serve` says `--max-jobs`).
 */
export function normalizeServiceOptions(options: ServiceOptions = {}, env: NodeJS.ProcessEnv = process.env, naming: Naming = API_NAMES): ServiceConfig {
  checkKeys(options, SERVICE_KEYS, "setting");
  const o = options;
  const n: (key: keyof ServiceOptions) => string = naming;
  const token = o.token ?? (env.PDFRASTER_TOKEN || undefined);
  if (token !== undefined && (typeof token !== "string" || token.length < 16 || /\s/.test(token))) {
    throw new UsageError("Expected the token to be at least 16 characters without spaces (e.g. `openssl rand -hex 32`)", { option: n("token") });
  }
  const host = o.host ?? SERVICE_DEFAULTS.host;
  if (typeof host !== "string" || host === "") throw new UsageError(`Expected \`${n("host")}\` to be an address, got \`${String(host)}\``, { option: n("host") });
  if (o.redis !== undefined && o.workers !== undefined) {
    throw new UsageError(`\`${n("workers")}\` is the local pool's: with \`${n("redis")}\` the cluster renders, sized by its \`pdfraster worker --concurrency\``, {
      option: n("workers"),
    });
  }
  const base = normalizeOptions(
    {
      redis: o.redis,
      queue: o.queue,
      store: o.store,
      workers: o.workers,
      engine: o.engine,
      fallbackEngine: o.fallbackEngine,
      pageTimeout: o.pageTimeout,
      maxPagesPerWorker: o.maxPagesPerWorker,
      maxWorkerMemory: o.maxWorkerMemory,
      sandbox: o.sandbox,
      maxPixels: o.maxPixels ?? DEFAULTS.maxPixels,
    },
    naming,
  );
  const maxJobs = integer(n("maxJobs"), o.maxJobs, SERVICE_DEFAULTS.maxJobs, 1, 10_000);
  const maxQueue = integer(n("maxQueue"), o.maxQueue, SERVICE_DEFAULTS.maxQueue, 0, 1e6);
  return {
    host,
    port: integer(n("port"), o.port, SERVICE_DEFAULTS.port, 0, 65535),
    token,
    origins: (o.origins ?? []).map((value) => origin(value, n("origins"))),
    maxBodyBytes: integer(n("maxBodyBytes"), o.maxBodyBytes, SERVICE_DEFAULTS.maxBodyBytes, 1024, Number.MAX_SAFE_INTEGER),
    maxPages: integer(n("maxPages"), o.maxPages, SERVICE_DEFAULTS.maxPages, 1, 1e7),
    maxJobs,
    maxQueue,
    maxUploads: integer(n("maxUploads"), o.maxUploads, 4 * (maxJobs + maxQueue), 1, 1e6),
    uploadTimeoutMs: seconds(n("uploadTimeout"), o.uploadTimeout, SERVICE_DEFAULTS.uploadTimeout),
    minUploadRate: integer(n("minUploadRate"), o.minUploadRate, SERVICE_DEFAULTS.minUploadRate, 0, Number.MAX_SAFE_INTEGER),
    timeLimitMs: seconds(n("timeLimit"), o.timeLimit, SERVICE_DEFAULTS.timeLimit),
    resultTtlMs: seconds(n("resultTtl"), o.resultTtl, SERVICE_DEFAULTS.resultTtl),
    graceMs: seconds(n("grace"), o.grace, SERVICE_DEFAULTS.grace),
    tempDir: o.tempDir ?? tmpdir(),
    base,
  };
}
