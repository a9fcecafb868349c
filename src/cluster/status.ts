/**
 * What a cluster holds now: registered workers, queue depth, runs in flight. Read by
 * `pdfraster cluster status` and by submitters (to size their window of pages in flight).
 */
import type { Redis } from "ioredis";
import { Keys, type RunInfo, type WorkerInfo } from "./queue.js";

export interface ClusterStatus {
  /** The Redis URL, masked. */
  redis: string;
  queue: string;
  workers: WorkerInfo[];
  /** Sum of the workers' concurrency: pages the cluster renders at once. */
  concurrency: number;
  /** BullMQ job counts of the queue: waiting, active (being rendered), delayed (retries held back briefly), failed. */
  jobs: { waiting: number; active: number; delayed: number; failed: number };
  runs: RunInfo[];
}

function parse<T>(values: (string | null)[]): T[] {
  return values.flatMap((value) => {
    if (value === null) return [];
    try {
      return [JSON.parse(value) as T];
    } catch {
      return [];
    }
  });
}

/** The workers whose registration has not expired. */
export async function liveWorkers(redis: Redis, keys: Keys): Promise<WorkerInfo[]> {
  const ids = await redis.zrangebyscore(keys.workers, Date.now(), "+inf");
  if (ids.length === 0) return [];
  return parse<WorkerInfo>(await redis.mget(ids.map((id) => keys.worker(id))));
}

/** Pages the registered workers render at once, and how many workers they are. */
export async function clusterCapacity(redis: Redis, keys: Keys): Promise<{ concurrency: number; workers: number }> {
  const workers = await liveWorkers(redis, keys);
  return { concurrency: workers.reduce((sum, worker) => sum + worker.concurrency, 0), workers: workers.length };
}

export async function readStatus(redis: Redis, queue: string, maskedUrl: string): Promise<ClusterStatus> {
  const keys = new Keys(queue);
  const workers = (await liveWorkers(redis, keys)).sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid);
  const runIds = await redis.zrangebyscore(keys.runs, Date.now(), "+inf");
  const runs = runIds.length === 0 ? [] : parse<RunInfo>(await redis.mget(runIds.map((id) => keys.alive(id))));
  const [waiting, active, delayed, failed] = await Promise.all([
    redis.llen(keys.waiting),
    redis.llen(keys.active),
    redis.zcard(keys.delayed),
    redis.zcard(keys.failed),
  ]);
  return {
    redis: maskedUrl,
    queue,
    workers,
    concurrency: workers.reduce((sum, worker) => sum + worker.concurrency, 0),
    jobs: { waiting, active, delayed, failed },
    runs,
  };
}

/** The status as a few lines of text. */
export function formatStatus(status: ClusterStatus): string {
  const lines = [`redis ${status.redis}, queue ${status.queue}`];
  lines.push(`workers: ${status.workers.length} (concurrency ${status.concurrency})`);
  for (const w of status.workers) {
    lines.push(`  ${w.host} pid ${w.pid}: concurrency ${w.concurrency}, busy ${w.busy}, sandbox ${w.sandbox ?? "unknown"}, ${w.pagesDone} pages done, ${w.pagesFailed} failed, up ${formatAge(w.started)}`);
  }
  const j = status.jobs;
  lines.push(`queue: ${j.waiting} waiting, ${j.active} rendering, ${j.delayed} delayed, ${j.failed} failed`);
  lines.push(`runs in flight: ${status.runs.length}`);
  for (const r of status.runs) {
    lines.push(`  ${r.host} pid ${r.pid}: ${r.documents} document(s), ${r.pagesDone}/${r.pagesSubmitted} pages, ${r.inFlight} in flight, for ${formatAge(r.started)}`);
  }
  return lines.join("\n");
}

function formatAge(since: number): string {
  const s = Math.max(0, Math.round((Date.now() - since) / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}
