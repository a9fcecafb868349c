/**
 * Names, keys and timings of a pdfraster cluster on one Redis. Every key of a queue starts with
 * `pdfraster:<queue>:`; BullMQ's own keys share that prefix (its job keys are named by job id,
 * which never contains `:`). Everything a run creates has a TTL or is removed when the run ends.
 */

/** BullMQ's key prefix. */
export const PREFIX = "pdfraster";

/**
 * BullMQ's lock and stalled check. A worker renews the lock of each page it holds every
 * LOCK_MS / 2; once it is gone (SIGKILL, machine lost), the lock expires at most LOCK_MS after the
 * last renewal, and the next stalled check of any live worker (every STALLED_INTERVAL_MS) puts the
 * page back in the queue: a lost page is back within LOCK_MS + STALLED_INTERVAL_MS = 12 s (measured
 * 12-14 s from SIGKILL to the page rendering again on another worker; the issue asks for about 15 s).
 * The lock is renewed by the worker's own event loop, which never renders (its forked pool does),
 * so a slow page cannot lose its lock.
 */
export const LOCK_MS = 8_000;
export const STALLED_INTERVAL_MS = 4_000;
/** A page whose worker is lost twice fails its attempt; the submitter then retries it as a failed attempt. */
export const MAX_STALLED_COUNT = 1;

/** The submitter refreshes its heartbeat (and the TTLs of its keys) this often... */
export const HEARTBEAT_MS = 5_000;
/** ...and they expire this long after its last refresh (a submitter killed with SIGKILL). */
export const RUN_TTL_MS = 20_000;
/** Workers register themselves as often as the submitter beats, with the same TTL. */
export const WORKER_TTL_MS = RUN_TTL_MS;
/**
 * A page image waits this long in the store for its submitter, which fetches it as soon as it is
 * told (milliseconds); it outlives a submitter killed with SIGKILL by at most this long.
 */
export const PAGE_TTL_MS = 30_000;
/** Inputs travel in chunks of this size. */
export const INPUT_CHUNK_BYTES = 4 * 1024 * 1024;
/** BullMQ's event stream (which pdfraster does not read) is trimmed to about this many entries. */
export const EVENTS_MAX_LEN = 100;

/** The keys of one queue. */
export class Keys {
  readonly base: string;

  constructor(readonly queue: string) {
    this.base = `${PREFIX}:${queue}`;
  }

  /**
   * An input PDF, by the SHA-256 of its bytes (shared by the runs that render it), in chunks of
   * INPUT_CHUNK_BYTES: neither side holds more than a chunk in memory at once, Redis's query buffer
   * peaks at a chunk rather than the whole input, and Redis's 512 MB string limit does not apply.
   */
  inputChunks(hash: string, bytes: number): string[] {
    return Array.from({ length: Math.max(1, Math.ceil(bytes / INPUT_CHUNK_BYTES)) }, (_, i) => `${this.base}:input:${hash}:${i}`);
  }

  /** The runs using an input: the last one to end deletes it. */
  inputRuns(hash: string): string {
    return `${this.base}:input:${hash}:runs`;
  }

  /** A run's heartbeat, holding its RunInfo; workers start none of its pages without it. */
  alive(run: string): string {
    return `${this.base}:run:${run}:alive`;
  }

  /** A run's result stream: workers XADD, the submitter XREADs. */
  results(run: string): string {
    return `${this.base}:run:${run}:results`;
  }

  /** The image of one page attempt, and its keep-options sidecar. */
  page(run: string, jobId: string, part: "image" | "extract"): string {
    return `${this.base}:run:${run}:${part}:${jobId}`;
  }

  /** BullMQ's list of jobs waiting for a worker. */
  get waiting(): string {
    return `${this.base}:wait`;
  }

  /** BullMQ's list of jobs being rendered (held by a worker, under a lock). */
  get active(): string {
    return `${this.base}:active`;
  }

  /** BullMQ's sorted sets of jobs held back for a while (retries bounced to another worker), and of failed jobs. */
  get delayed(): string {
    return `${this.base}:delayed`;
  }

  get failed(): string {
    return `${this.base}:failed`;
  }

  /** Runs in flight: member run id, score the expiry time of its heartbeat (for `cluster status`). */
  get runs(): string {
    return `${this.base}:runs`;
  }

  /** Registered workers: member worker id, score the expiry time of its registration. */
  get workers(): string {
    return `${this.base}:workers`;
  }

  /** A worker's registration, holding its WorkerInfo. */
  worker(id: string): string {
    return `${this.base}:worker:${id}`;
  }

  /**
   * Pub/sub channel of idle workers: one whose render processes have nothing left, with nothing
   * waiting in the queue, says so; workers holding a prefetched page not started yet hand it back.
   */
  get idle(): string {
    return `${this.base}:idle`;
  }

  /** Pub/sub channel of cancels: a run that ends, or pages a run gave up on. */
  get cancel(): string {
    return `${this.base}:cancel`;
  }
}

/** A page attempt's BullMQ job id: `<run>-<task id>-<attempt>`. */
export function jobIdOf(run: string, taskId: number, attempt: number): string {
  return `${run}-${taskId}-${attempt}`;
}

/** What a registered worker says about itself (`cluster status`, and the submitter's window). */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  pagesDone: number;
  pagesFailed: number;
  busy: number;
  started: number;
  /** What its render processes run in: `bwrap + node-permission`, `node-permission`, `none`, `off` (absent from older workers). */
  sandbox?: string;
}

/** What a submitter says about its run. */
export interface RunInfo {
  run: string;
  host: string;
  pid: number;
  documents: number;
  pagesSubmitted: number;
  pagesDone: number;
  inFlight: number;
  started: number;
}

/** Lua: a worker's "page done" reaches the run only while the run is alive; keeps the stream's TTL. */
export const NOTIFY_SCRIPT = `
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
redis.call("XADD", KEYS[2], "*", "m", ARGV[1])
redis.call("PEXPIRE", KEYS[2], ARGV[2])
return 1`;

/** Lua: a run lets go of an input (KEYS[1] its users, then its chunks in Redis if any); the last one deletes it. */
export const RELEASE_INPUT_SCRIPT = `
redis.call("SREM", KEYS[1], ARGV[1])
if redis.call("SCARD", KEYS[1]) == 0 then redis.call("DEL", unpack(KEYS)) return 1 end
return 0`;
