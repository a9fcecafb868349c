/**
 * A cluster worker's presence in Redis: it registers (its WorkerInfo under a key with a TTL, and its
 * id in the queue's set of workers) once connected, again every HEARTBEAT_MS and after a reconnect,
 * and unregisters when it stops. It follows the connection's state for the rest of the worker.
 */
import type { Redis } from "ioredis";
import { withDeadline } from "../../deadline.js";
import { HEARTBEAT_MS, WORKER_TTL_MS, type Keys, type WorkerInfo } from "../queue.js";

export interface RegistrationHandlers {
  /** The worker's current WorkerInfo. */
  describe(): WorkerInfo;
  /** Work done with each heartbeat, after registering. */
  beat(): Promise<void>;
  /** Connected for the first time (registered: the worker is ready). */
  ready(): void;
  /** The connection was lost after being ready. */
  lost(): void;
  /** ...and is back. */
  back(): void;
}

/** Unregistering on the way out takes at most this long, whatever state Redis is in. */
const UNREGISTER_MS = 1_000;

export class Registration {
  private everReady = false;
  private lost = false;
  private quitting = false;
  private beating = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly id: string,
    private readonly handlers: RegistrationHandlers,
  ) {
    redis.on("close", () => {
      if (this.everReady && !this.lost && !this.quitting) {
        this.lost = true;
        handlers.lost();
      }
    });
    redis.on("ready", () => this.onReady());
    this.timer = setInterval(() => {
      if (this.connected) this.heartbeat();
    }, HEARTBEAT_MS);
    if (redis.status === "ready") this.onReady();
  }

  /** Ready once, and not lost since. */
  get connected(): boolean {
    return this.everReady && !this.lost;
  }

  /** Stops the heartbeat (the worker is stopping). */
  stop(): void {
    clearInterval(this.timer);
  }

  /** Takes the worker out of the queue's set of workers (after stop()). */
  async unregister(): Promise<void> {
    this.stop();
    // Not unregistered in time (Redis lost): the registration expires WORKER_TTL_MS after the last heartbeat.
    await withDeadline(this.redis.multi().del(this.keys.worker(this.id)).zrem(this.keys.workers, this.id).exec().catch(() => {}), UNREGISTER_MS);
    this.quitting = true; // the connection closes next: not a loss
  }

  private onReady(): void {
    if (!this.everReady) {
      this.everReady = true;
      void this.registerNow();
      this.handlers.ready();
    } else if (this.lost) {
      this.lost = false;
      void this.registerNow();
      this.handlers.back();
    }
  }

  /** The periodic one: one at a time (a slow Redis must not pile them up). */
  private heartbeat(): void {
    if (this.beating) return;
    this.beating = true;
    void this.registerNow().finally(() => (this.beating = false));
  }

  private registerNow(): Promise<void> {
    // A registration that fails (Redis lost meanwhile) is made again HEARTBEAT_MS later or on
    // reconnecting; it outlives a few missed ones (WORKER_TTL_MS).
    return this.register().catch(() => {});
  }

  private async register(): Promise<void> {
    const now = Date.now();
    await this.redis
      .multi()
      .set(this.keys.worker(this.id), JSON.stringify(this.handlers.describe()), "PX", WORKER_TTL_MS)
      .zadd(this.keys.workers, now + WORKER_TTL_MS, this.id)
      .zremrangebyscore(this.keys.workers, "-inf", now)
      .pexpire(this.keys.workers, WORKER_TTL_MS)
      .exec();
    await this.handlers.beat();
  }
}
