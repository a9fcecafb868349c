/**
 * Redis URLs (checked, with their credentials masked wherever they are shown) and connections.
 * ioredis is loaded here only when a connection is made, so that a local run never loads it.
 */
import { createRequire } from "node:module";
import type { Redis, RedisOptions } from "ioredis";
import { ClusterError, ExitCode, UsageError, describeError } from "../errors.js";

/** Where the cluster lives: the Redis URL, the queue (tenant) name, and where page images go. */
export interface ClusterSettings {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://` (TLS). */
  redis: string;
  /** Queue name: separate names keep tenants or environments apart on one Redis. */
  queue: string;
  /** `file:///shared/dir` for a shared-filesystem store, or undefined for Redis itself. */
  store: string | undefined;
}

export const DEFAULT_QUEUE = "default";

const require = createRequire(import.meta.url);

/**
 * bullmq, loaded on first use. Both it and ioredis are CommonJS: require() loads them without the
 * ESM loader's export scan (cjs-module-lexer over bullmq's whole tree of `__exportStar`s), which cost
 * a submitter 230-310 ms of CPU and 160-210 ms before its first job, against 120-140 and 95-115.
 */
export function loadBullmq(): typeof import("bullmq") {
  return require("bullmq") as typeof import("bullmq");
}

/** Checks a Redis URL; the error shows it masked. */
export function checkRedisUrl(value: unknown, name = "redis"): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new UsageError(`Expected \`${name}\` to be a redis:// or rediss:// URL, got ${typeof value === "string" ? "an empty string" : typeof value}`, { option: name });
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`Expected \`${name}\` to be a redis:// or rediss:// URL, got \`${maskUrl(value)}\``, { option: name });
  }
  if ((url.protocol !== "redis:" && url.protocol !== "rediss:") || url.hostname === "") {
    throw new UsageError(`Expected \`${name}\` to be a redis:// or rediss:// URL with a host, got \`${maskUrl(value)}\``, { option: name });
  }
  return value;
}

/** Checks a queue name: letters, digits, `.`, `_` and `-` (it becomes part of Redis keys). */
export function checkQueueName(value: unknown, name = "queue"): string {
  if (value === undefined) return DEFAULT_QUEUE;
  if (typeof value !== "string" || !/^[A-Za-z0-9._-]{1,100}$/.test(value)) {
    throw new UsageError(`Expected \`${name}\` to be 1-100 letters, digits, '.', '_' or '-', got \`${String(value)}\``, { option: name });
  }
  return value;
}

/** Checks a store URL: `redis` (the default: Redis itself) or `file:///absolute/dir`. */
export function checkStoreUrl(value: unknown, name = "store"): string | undefined {
  if (value === undefined || value === "redis") return undefined;
  if (typeof value === "string" && value.startsWith("file:///")) {
    try {
      const url = new URL(value);
      if (url.protocol === "file:" && url.pathname.length > 1 && !url.search && !url.hash) return value;
    } catch {
      // reported below
    }
  }
  throw new UsageError(`Expected \`${name}\` to be \`redis\` or a file:///absolute/path URL, got \`${String(value)}\``, { option: name });
}

/** The URL with its password (and a user name's secret part) replaced by `***`, for logs, errors and reports. */
export function maskUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    // Not parseable: hide anything between `//` and `@`.
    return value.replace(/\/\/[^@/]*@/, "//***@");
  }
}

/**
 * What to print when `--redis` on the command line carries a password: every user of the machine can
 * read a process's arguments (`ps`, /proc/<pid>/cmdline), as redis-cli warns for `-a`. The environment
 * (PDFRASTER_REDIS) is readable only by the same user. Undefined when there is nothing to warn about.
 */
export function passwordWarning(flag: string | undefined): string | undefined {
  if (flag === undefined || !URL.canParse(flag) || new URL(flag).password === "") return undefined;
  return "warning: a password given with --redis is visible to every user of this machine (ps); set PDFRASTER_REDIS instead";
}

/** Removes the URL's password from any text (error messages of the Redis client may quote it). */
export function redact(text: string, redisUrl: string): string {
  let password = "";
  try {
    password = decodeURIComponent(new URL(redisUrl).password);
  } catch {
    // nothing to hide
  }
  let out = text.split(redisUrl).join(maskUrl(redisUrl));
  if (password.length > 0) out = out.split(password).join("***");
  return out;
}

export interface ConnectOptions {
  /** Shown in CLIENT LIST (`pdfraster-submit`, `pdfraster-worker`). */
  name: string;
  /**
   * `fail`: the first connection must succeed (a submitter: exit 2 if Redis is unreachable); later
   * losses are retried and the caller decides how long to wait. `forever`: keep trying (a worker).
   */
  initial: "fail" | "forever";
  /** BullMQ's blocking connections need null (commands wait for a reconnect instead of failing). */
  maxRetriesPerRequest?: number | null;
  /** Called with a one-line reason when the first connection attempt fails and `initial` is `forever`. */
  onRetry?: (reason: string) => void;
}

/** How long a connection attempt may take before it counts as failed. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * Connects to Redis; rejects with a ClusterError (exit 2) when `initial` is `fail` and Redis cannot
 * be reached. With `forever`, returns at once and keeps trying in the background.
 */
export async function connect(redisUrl: string, options: ConnectOptions): Promise<Redis> {
  const { Redis } = require("ioredis") as typeof import("ioredis");
  let connected = false;
  let reported = false;
  let lastError: Error | undefined;
  const redisOptions: RedisOptions = {
    lazyConnect: true,
    connectionName: options.name,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 20 : options.maxRetriesPerRequest,
    // Reconnect with a short backoff once connected; before that, a submitter gives up at once.
    retryStrategy: (times) => (connected || options.initial === "forever" ? Math.min(100 * times, 1000) : null),
  };
  const redis = new Redis(redisUrl, redisOptions);
  redis.on("error", (error: Error) => {
    lastError = error;
    // Logged by the owners through their own 'close'/'ready' handling; never an unhandled 'error' event.
    if (!connected && options.initial === "forever" && !reported) {
      reported = true;
      options.onRetry?.(redact(describeError(error), redisUrl));
    }
  });
  redis.on("ready", () => {
    connected = true;
  });
  if (options.initial === "forever") {
    redis.connect().catch(() => {}); // retried by retryStrategy; the owner follows 'ready' and 'close'
    return redis;
  }
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    const why = lastError ?? error; // connect() only says "Connection is closed"; the 'error' event says why
    throw new ClusterError(`Cannot connect to Redis at ${maskUrl(redisUrl)}: ${redact(describeError(why), redisUrl)}`, ExitCode.usage, { cause: why });
  }
  return redis;
}
