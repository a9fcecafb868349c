/** The cluster worker's input PDFs, fetched from the store once per machine and checked against their hash. */
import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ClusterJob } from "../messages.js";
import type { Keys } from "../queue.js";
import type { BlobStore } from "../store.js";

/** Inputs kept in a worker's cache (besides those in use). */
const CACHED_INPUTS = 4;

/** Inputs by content hash in the worker's temp dir: each machine fetches each document once. */
export class InputCache {
  private readonly entries = new Map<string, { path: Promise<string>; users: number; used: number }>();

  constructor(
    private readonly dir: string,
    private readonly store: BlobStore,
    private readonly keys: Keys,
  ) {}

  async acquire(input: ClusterJob["input"]): Promise<string> {
    let entry = this.entries.get(input.hash);
    if (!entry) {
      entry = { path: this.fetch(input), users: 0, used: 0 };
      this.entries.set(input.hash, entry);
      entry.path.catch(() => this.entries.delete(input.hash)); // a failed fetch is tried again by the next page; its error reaches acquire()'s callers
    }
    entry.users++;
    entry.used = Date.now();
    try {
      return await entry.path;
    } catch (error) {
      entry.users--;
      throw error;
    }
  }

  release(hash: string): void {
    const entry = this.entries.get(hash);
    if (entry) entry.users--;
    const idle = [...this.entries].filter(([, e]) => e.users <= 0).sort((a, b) => a[1].used - b[1].used);
    for (const [key] of idle.slice(0, Math.max(0, idle.length - CACHED_INPUTS))) {
      this.entries.delete(key);
      // A file that cannot be removed now (EACCES, EBUSY) goes with the worker's temp dir when it stops.
      void rm(join(this.dir, `${key}.pdf`), { force: true }).catch(() => {});
    }
  }

  /** Fetches the input chunk by chunk into the cache, checking its size and hash. */
  private async fetch(input: ClusterJob["input"]): Promise<string> {
    const path = join(this.dir, `${input.hash}.pdf`);
    const file = await open(path, "w");
    const hash = createHash("sha256");
    let bytes = 0;
    try {
      for (const key of this.keys.inputChunks(input.hash, input.bytes)) {
        const chunk = await this.store.get(key);
        if (!chunk) throw new Error("the input is not in the store (its run ended?)");
        bytes += chunk.byteLength;
        if (bytes > input.bytes) break;
        hash.update(chunk);
        await file.write(chunk);
      }
    } catch (error) {
      await file.close();
      await rm(path, { force: true });
      throw error;
    }
    await file.close();
    if (bytes !== input.bytes || hash.digest("hex") !== input.hash) {
      await rm(path, { force: true });
      throw new Error("the input in the store does not match its hash");
    }
    return path;
  }
}
