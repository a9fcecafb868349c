/**
 * Where inputs and page images travel: Redis itself (binary keys with a TTL, the default) or a
 * shared filesystem (`--store file:///mnt/shared/pdfraster`). Job data never carries them.
 * Keys are built by pdfraster from checked parts (hex ids, numbers), never taken from a job.
 */
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { BlobLink, LocalWriteError, linkTarget } from "./blob-link.js";

export interface BlobStore {
  /** Stores `data` under `key`; it disappears after `ttlMs` unless touched. */
  put(key: string, data: Uint8Array, ttlMs: number): Promise<void>;
  /** The bytes under `key`, or null when there are none (never stored, expired or deleted). */
  get(key: string): Promise<Buffer | null>;
  /** As get(), and deletes the key (one command in Redis: GETDEL). */
  take(key: string): Promise<Buffer | null>;
  /**
   * As take(), into the file at `path` (made or replaced): false when there is no such key (no
   * file made). A failed local write rejects with the file system's error (its `code`: ENOSPC, ...).
   */
  takeToFile(key: string, path: string): Promise<boolean>;
  has(key: string): Promise<boolean>;
  /** Extends the life of `key` to `ttlMs` from now. */
  touch(key: string, ttlMs: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
  /** Removes what has expired (Redis does this itself). */
  sweep(): Promise<void>;
  /** Releases what the store holds open (its own connection); the Redis client given to it stays open. */
  close(): void;
}

/**
 * Values travel on a BlobLink of their own when it can reach the Redis (see blob-link.ts: it spares
 * the copies ioredis makes of large values); a call that fails there is made again through ioredis.
 */
export class RedisStore implements BlobStore {
  private readonly link: BlobLink | undefined;

  constructor(
    private readonly redis: Redis,
    name = "pdfraster-images",
  ) {
    const target = linkTarget(redis, name);
    this.link = target && new BlobLink(target);
  }

  async put(key: string, data: Uint8Array, ttlMs: number): Promise<void> {
    if (this.link && (await this.link.set(key, data, ttlMs).then(() => true, () => false))) return;
    await this.redis.set(key, Buffer.from(data.buffer, data.byteOffset, data.byteLength), "PX", ttlMs);
  }

  async get(key: string): Promise<Buffer | null> {
    const value = await this.link?.get(key).catch(() => undefined); // the link failed: ioredis asks again, and its error is the one met
    return value !== undefined ? value : this.redis.getBuffer(key);
  }

  async take(key: string): Promise<Buffer | null> {
    // A link lost after Redis ran the GETDEL: the retry finds nothing, and the page counts as lost (it is rendered again).
    const value = await this.link?.get(key, true).catch(() => undefined);
    return value !== undefined ? value : this.redis.getdelBuffer(key);
  }

  async takeToFile(key: string, path: string): Promise<boolean> {
    const bytes = await this.link?.getToFile(key, path, true).catch((error: unknown) => {
      if (error instanceof LocalWriteError) throw error;
      return undefined;
    });
    if (bytes !== undefined) return bytes !== null;
    return writeTaken(await this.redis.getdelBuffer(key), path);
  }

  close(): void {
    this.link?.close();
  }

  async has(key: string): Promise<boolean> {
    return (await this.redis.exists(key)) === 1;
  }

  async touch(key: string, ttlMs: number): Promise<void> {
    await this.redis.pexpire(key, ttlMs);
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys);
  }

  async sweep(): Promise<void> {}
}

/**
 * One file per key under the store's folder (`:` separates folders). A file's modification time is
 * its expiry time: touch() moves it, get() ignores expired files, sweep() deletes them.
 */
export class FileStore implements BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    if (!/^[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)*$/.test(key) || key.split(":").some((part) => part === "." || part === "..")) {
      throw new Error(`bad store key ${key}`);
    }
    return join(this.root, ...key.split(":"));
  }

  async put(key: string, data: Uint8Array, ttlMs: number): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temp, data);
    const expires = new Date(Date.now() + ttlMs);
    await utimes(temp, expires, expires);
    await rename(temp, path); // readers never see half a file
  }

  async get(key: string): Promise<Buffer | null> {
    const path = this.pathOf(key);
    try {
      if ((await stat(path)).mtimeMs < Date.now()) return null;
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async take(key: string): Promise<Buffer | null> {
    const data = await this.get(key);
    if (data) await this.delete([key]);
    return data;
  }

  async takeToFile(key: string, path: string): Promise<boolean> {
    return writeTaken(await this.take(key), path);
  }

  async has(key: string): Promise<boolean> {
    const info = await stat(this.pathOf(key)).catch(() => undefined); // no such file: not there
    return info !== undefined && info.mtimeMs >= Date.now();
  }

  async touch(key: string, ttlMs: number): Promise<void> {
    const expires = new Date(Date.now() + ttlMs);
    await utimes(this.pathOf(key), expires, expires).catch(() => {}); // no such file: nothing to keep alive (has() then says so)
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.map((key) => rm(this.pathOf(key), { force: true })));
  }

  close(): void {}

  async sweep(): Promise<void> {
    const now = Date.now();
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []); // removed meanwhile by another sweeper
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          await walk(path);
          await rmdir(path).catch(() => {}); // only succeeds when empty
        } else {
          const info = await stat(path).catch(() => undefined); // removed meanwhile (taken, or another sweeper)
          // Expired, or a temp file of a writer that died an hour ago.
          if (info && (info.mtimeMs < now || (entry.name.endsWith(".tmp") && info.ctimeMs < now - 3_600_000))) {
            await rm(path, { force: true });
          }
        }
      }
    };
    await walk(this.root);
  }
}

/** Writes a value taken from a store into `path`; false when there was none. */
async function writeTaken(data: Buffer | null, path: string): Promise<boolean> {
  if (!data) return false;
  await writeFile(path, data);
  return true;
}

/** The store a `--store` URL names (undefined: Redis); `name` names its own Redis connection, if any. */
export async function openStore(store: string | undefined, redis: Redis, name?: string): Promise<BlobStore> {
  if (store === undefined) return new RedisStore(redis, name);
  const root = fileURLToPath(store);
  await mkdir(root, { recursive: true });
  return new FileStore(root);
}
