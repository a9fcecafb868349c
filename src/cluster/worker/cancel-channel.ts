/**
 * What a cluster worker hears on Redis pub/sub: a run (or some of its pages) cancelled by its
 * submitter, and another worker saying it is idle (messages.ts ChannelMessage).
 */
import type { Redis } from "ioredis";
import { parseChannelMessage } from "../messages.js";
import type { Keys } from "../queue.js";

/** A page held by the worker, as a cancel names it. */
export interface PageRef {
  run: string;
  jobId: string;
}

export interface ChannelHandlers {
  /** Drop the pages held that match. */
  cancel(matches: (page: PageRef) => boolean): void;
  /** Another worker is idle. */
  otherIdle(): void;
}

/** Runs cancelled whole are remembered this long (a page of one may still be in the queue). */
const REMEMBER_MS = 3_600_000;

/** The worker's subscription to its queue's cancel and idle channels, on a connection of its own. */
export class CancelChannel {
  private readonly subscriber: Redis;
  /** Runs cancelled whole, and when. */
  private readonly cancelledRuns = new Map<string, number>();

  constructor(redis: Redis, keys: Keys, self: string, handlers: ChannelHandlers) {
    this.subscriber = redis.duplicate({ connectionName: "pdfraster-worker-cancel" });
    // A lost subscriber reconnects on its own (ioredis); the worker reports Redis lost through its main connection.
    this.subscriber.on("error", () => {});
    // Sent once connected, and ioredis subscribes again after a reconnect: a failure here is retried by it.
    void this.subscriber.subscribe(keys.cancel, keys.idle).catch(() => {});
    this.subscriber.on("message", (channel: string, raw: string) => {
      const message = parseChannelMessage(channel === keys.idle ? "idle" : channel === keys.cancel ? "cancel" : undefined, raw);
      if (message?.type === "idle") {
        if (message.worker !== self) handlers.otherIdle();
      } else if (message?.type === "cancel-run") {
        this.cancelledRuns.set(message.run, Date.now());
        handlers.cancel((page) => page.run === message.run);
      } else if (message?.type === "cancel-jobs") {
        handlers.cancel((page) => page.run === message.run && message.jobs.has(page.jobId));
      }
    });
  }

  /** Whether the run was cancelled whole. */
  cancelled(run: string): boolean {
    return this.cancelledRuns.has(run);
  }

  /** Forgets runs cancelled long ago (called with the heartbeat). */
  forgetOld(now = Date.now()): void {
    for (const [run, at] of this.cancelledRuns) if (at < now - REMEMBER_MS) this.cancelledRuns.delete(run);
  }

  close(): void {
    this.subscriber.disconnect();
  }
}
