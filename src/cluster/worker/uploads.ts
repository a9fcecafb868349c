/** Page images into the store, and the files behind them removed. */
import { open, unlink } from "node:fs/promises";
import { PAGE_TTL_MS } from "../queue.js";
import type { BlobStore } from "../store.js";

const MAX_FREE_UPLOADS = 4;

/**
 * Page images on their way into the store, read into buffers kept for the next pages (at most
 * MAX_FREE_UPLOADS): a new Buffer of 1-2 MB a page (readFile) is external memory, and every ~20 MB
 * of it sets off a full garbage collection of the worker service. A buffer goes back to the free
 * list only once its put has resolved; after a failed put it is dropped (a command still queued
 * somewhere may hold it).
 */
export class Uploads {
  private readonly free: Buffer[] = [];

  async put(store: BlobStore, key: string, path: string): Promise<void> {
    const file = await open(path, "r");
    let buffer: Buffer | undefined;
    let bytes = 0;
    try {
      const { size } = await file.stat();
      buffer = this.free.pop();
      if (!buffer || buffer.byteLength < size) buffer = Buffer.allocUnsafeSlow(Math.ceil((size + 1) * 1.25));
      // Read to the end: the render process wrote the file before it reported the page.
      for (;;) {
        if (bytes === buffer.byteLength) buffer = grow(buffer, bytes);
        const { bytesRead } = await file.read(buffer, bytes, buffer.byteLength - bytes, bytes);
        if (bytesRead === 0) break;
        bytes += bytesRead;
      }
    } finally {
      await file.close();
    }
    await store.put(key, buffer.subarray(0, bytes), PAGE_TTL_MS);
    if (this.free.length < MAX_FREE_UPLOADS) this.free.push(buffer);
  }
}

/** unlink(), quiet when there is no such file (rm({ force }) stats it first: a syscall more a file). */
export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

function grow(buffer: Buffer, used: number): Buffer {
  const bigger = Buffer.allocUnsafeSlow(buffer.byteLength * 2);
  buffer.copy(bigger, 0, 0, used);
  return bigger;
}
