/**
 * A second Redis connection for large values only (page images, input chunks): SET, GET and GETDEL
 * of binary values, without the copies ioredis makes for them.
 *
 * Why: ioredis copies a Buffer argument into a new command buffer before writing it, and assembles a
 * large reply from 64 KB socket chunks (each a new allocation) into its parser's growing pool (one
 * more copy). At 300 dpi a page image is about 1.3 MB: those copies, the socket machinery behind them
 * and the full garbage collections the external memory sets off (V8 runs one every ~20 MB) made up
 * most of what the submitter and the worker services spend per page beyond a local run.
 * This link writes a SET as one writev of the caller's Buffer, and reads replies through one reused
 * 64 KB read buffer straight into a Buffer of the value's size (one allocation, one copy).
 *
 * It is plain RESP over TCP to the host, port, user, password and database of the ioredis client it
 * is made from (`rediss://` TLS, Unix sockets and Sentinel are not handled: the store then uses
 * ioredis alone). Any failure (connection, protocol, a Redis error) rejects the call and closes the
 * link; the store then makes the same call through ioredis, so faults behave as they always did, and
 * the next call opens a new link.
 */
import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";
import { connect, type Socket } from "node:net";
import type { Redis } from "ioredis";

/** How long opening the link may take before the call falls back to ioredis. */
const CONNECT_TIMEOUT_MS = 5000;
/** The reused read buffer: a TCP read brings at most 64 KB. */
const READ_BUFFER_BYTES = 64 * 1024;

/** Where the link connects: what ioredis parsed from the URL. */
export interface LinkTarget {
  host: string;
  port: number;
  family?: number;
  username?: string;
  password?: string;
  db: number;
  /** CLIENT SETNAME, for CLIENT LIST. */
  name: string;
}

type Reply = string | number | Buffer | null;

interface Waiting {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  /** A value to be written into this file as it arrives (the reply is then its length), not returned. */
  file?: string;
}

/** A value being written into its file: no Buffer of its size is made. */
interface FileValue {
  fd: number | undefined;
  path: string;
  length: number;
  written: number;
  /** A write that failed: the rest of the value is read and dropped, then the call fails with it. */
  error?: Error;
}

/** The target of `redis`'s connection, or undefined when the link cannot serve it (TLS, Unix socket, Sentinel). */
export function linkTarget(redis: Redis, name: string): LinkTarget | undefined {
  const options = redis.options;
  if (options.tls || options.path || options.sentinels?.length || !options.host) return undefined;
  return {
    host: options.host,
    port: Number(options.port ?? 6379),
    ...(options.family ? { family: Number(options.family) } : {}),
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
    db: Number(options.db ?? 0),
    name,
  };
}

/** An error reply of Redis (`-ERR ...`), as opposed to a lost connection. */
class ReplyError extends Error {}

/** Writing a value into its local file failed (`code`: ENOSPC, ...): not the link's fault, not retried through ioredis. */
export class LocalWriteError extends Error {
  readonly code: string | undefined;

  constructor(cause: Error) {
    super(cause.message, { cause });
    this.code = (cause as NodeJS.ErrnoException).code;
  }
}

/** Closes a value's file: its length, or the error (the file removed) when a write failed or the value was cut off. */
function finishFile(file: FileValue, cutOff: boolean): number | Error {
  try {
    if (file.fd !== undefined) closeSync(file.fd);
  } catch (error) {
    file.error ??= error as Error;
  }
  if (!file.error && !cutOff) return file.length;
  try {
    unlinkSync(file.path);
  } catch {
    // never made, or gone
  }
  return file.error ? new LocalWriteError(file.error) : new Error("the link's connection closed");
}

/** Whether `key` is safe to put in a RESP command as it is (pdfraster's keys: ASCII, no spaces). */
const SAFE_KEY = /^[\x21-\x7e]+$/;

export class BlobLink {
  private socket: Socket | undefined;
  /** The current connection's handshake. */
  private ready: Promise<void> = Promise.resolve();
  private readonly waiting: Waiting[] = [];
  private closed = false;
  // Reply parser state: a header line read so far, or the value being filled, then its CRLF.
  private line = "";
  private value: Buffer | undefined;
  private filled = 0;
  private fileValue: FileValue | undefined;
  private skip = 0;

  constructor(private readonly target: LinkTarget) {}

  /** SET key value PX ttlMs. */
  async set(key: string, data: Uint8Array, ttlMs: number): Promise<void> {
    const ttl = String(Math.round(ttlMs));
    const value = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const reply = await this.command((socket) => {
      socket.cork();
      socket.write(`*5\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.byteLength}\r\n`);
      socket.write(value);
      socket.write(`\r\n$2\r\nPX\r\n$${ttl.length}\r\n${ttl}\r\n`);
      socket.uncork();
    }, key);
    if (reply !== "OK") throw new Error(`unexpected reply to SET: ${String(reply)}`);
  }

  /** GET key, or GETDEL key with `remove`: the value, or null when there is none. */
  async get(key: string, remove = false): Promise<Buffer | null> {
    const name = remove ? "GETDEL" : "GET";
    const reply = await this.command((socket) => socket.write(`*2\r\n$${name.length}\r\n${name}\r\n$${key.length}\r\n${key}\r\n`), key);
    if (reply !== null && !Buffer.isBuffer(reply)) throw new Error(`unexpected reply to ${name}: ${String(reply)}`);
    return reply;
  }

  /**
   * GET key (GETDEL with `remove`) into the file at `path`, written as the value arrives, 64 KB at
   * a time, synchronously (no Buffer of the value's size, so no garbage): its length in bytes, or
   * null when there is none (no file is made). A failed write rejects with a {@link LocalWriteError}
   * once the value is read (the value is gone from Redis with `remove`), the file removed.
   */
  async getToFile(key: string, path: string, remove = false): Promise<number | null> {
    const name = remove ? "GETDEL" : "GET";
    const reply = await this.command((socket) => socket.write(`*2\r\n$${name.length}\r\n${name}\r\n$${key.length}\r\n${key}\r\n`), key, path);
    if (reply !== null && typeof reply !== "number") throw new Error(`unexpected reply to ${name}: ${String(reply)}`);
    return reply;
  }

  /** Closes the link for good; calls under way fail (and their stores fall back to ioredis). */
  close(): void {
    this.closed = true;
    this.drop(new Error("the link is closed"));
  }

  private async command(write: (socket: Socket) => void, key: string, file?: string): Promise<Reply> {
    if (this.closed) throw new Error("the link is closed");
    if (!SAFE_KEY.test(key)) throw new Error("a key the link does not send");
    const socket = this.socket ?? this.open();
    // No command goes out before the handshake is through: one refused must not leave a GETDEL run with its reply unread.
    await this.ready;
    if (this.socket !== socket) throw new Error("the link's connection closed");
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.push({ resolve, reject, ...(file !== undefined ? { file } : {}) });
      write(socket);
    });
  }

  /** Connects and logs in (AUTH, SELECT, CLIENT SETNAME, each expecting OK); `ready` settles when that is done. */
  private open(): Socket {
    const { host, port, family, username, password, db, name } = this.target;
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const socket = connect({
      host,
      port,
      ...(family ? { family } : {}),
      noDelay: true,
      onread: {
        buffer,
        callback: (bytes: number) => {
          this.parse(buffer.subarray(0, bytes));
          return true;
        },
      },
    });
    this.socket = socket;
    socket.unref(); // never what keeps a process alive: its owner's ioredis connections do
    const timer = setTimeout(() => socket.destroy(new Error("connect timed out")), CONNECT_TIMEOUT_MS);
    timer.unref();
    socket.once("connect", () => clearTimeout(timer));
    socket.on("error", () => {}); // followed by 'close'
    socket.on("close", () => {
      clearTimeout(timer);
      if (this.socket === socket) this.reset(new Error("the link's connection closed"));
    });
    // Refused (a wrong password, an ACL without the command): the link is given up for good, and ioredis carries everything.
    let handshake!: { resolve: () => void; reject: (error: Error) => void };
    this.ready = new Promise<void>((resolve, reject) => (handshake = { resolve, reject }));
    this.ready.catch(() => {}); // a refused handshake is met by every call waiting on `ready`; none waiting: nothing to report
    const ok = (what: string, last = false): Waiting => ({
      resolve: (reply) => {
        if (reply === "OK") {
          if (last) handshake.resolve();
          return;
        }
        const error = new Error(`unexpected reply to ${what}`);
        handshake.reject(error);
        this.giveUp(error);
      },
      reject: (error) => {
        handshake.reject(error);
        if (error instanceof ReplyError) this.giveUp(error);
      },
    });
    const send = (...args: string[]) => {
      socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("")}`);
    };
    if (password !== undefined) {
      this.waiting.push(ok("AUTH"));
      send("AUTH", ...(username ? [username] : []), password);
    }
    if (db !== 0) {
      this.waiting.push(ok("SELECT"));
      send("SELECT", String(db));
    }
    this.waiting.push(ok("CLIENT SETNAME", true));
    send("CLIENT", "SETNAME", name);
    return socket;
  }

  /** The connection is gone: every call waiting fails, the parser starts afresh on the next link. */
  private reset(error: Error): void {
    this.socket = undefined;
    this.line = "";
    this.value = undefined;
    this.filled = 0;
    this.skip = 0;
    if (this.fileValue) finishFile(this.fileValue, true);
    this.fileValue = undefined;
    for (const waiting of this.waiting.splice(0)) waiting.reject(error);
  }

  private giveUp(error: Error): void {
    this.closed = true;
    this.drop(error);
  }

  private drop(error: Error): void {
    const socket = this.socket;
    this.reset(error);
    socket?.destroy();
  }

  private deliver(reply: Reply | Error): void {
    const waiting = this.waiting.shift();
    if (!waiting) {
      this.drop(new Error("a reply nobody asked for"));
      return;
    }
    if (reply instanceof Error) waiting.reject(reply);
    else waiting.resolve(reply);
  }

  /** Parses what arrived (in the reused read buffer: values are copied out of it). */
  private parse(data: Buffer): void {
    let at = 0;
    while (at < data.length && this.socket) {
      if (this.fileValue) {
        const file = this.fileValue;
        const take = Math.min(data.length - at, file.length - file.written);
        if (!file.error) {
          try {
            for (let done = 0; done < take; ) done += writeSync(file.fd!, data, at + done, take - done);
          } catch (error) {
            file.error = error as Error;
          }
        }
        file.written += take;
        at += take;
        if (file.written < file.length) return;
        this.fileValue = undefined;
        this.skip = 2;
        this.deliver(finishFile(file, false));
        continue;
      }
      if (this.value) {
        const take = Math.min(data.length - at, this.value.length - this.filled);
        data.copy(this.value, this.filled, at, at + take);
        this.filled += take;
        at += take;
        if (this.filled < this.value.length) return;
        const value = this.value;
        this.value = undefined;
        this.skip = 2;
        this.deliver(value);
        continue;
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, data.length - at);
        this.skip -= take;
        at += take;
        continue;
      }
      const end = data.indexOf(10, at);
      if (end === -1) {
        this.line += data.toString("latin1", at);
        if (this.line.length > 1024) this.drop(new Error("a reply line too long"));
        return;
      }
      const line = (this.line + data.toString("latin1", at, end)).replace(/\r$/, "");
      this.line = "";
      at = end + 1;
      this.header(line);
    }
  }

  private header(line: string): void {
    const rest = line.slice(1);
    switch (line[0]) {
      case "+":
        return this.deliver(rest);
      case "-":
        return this.deliver(new ReplyError(rest));
      case ":":
        return this.deliver(Number(rest));
      case "$": {
        const length = Number(rest);
        if (!Number.isSafeInteger(length) || length < -1) return this.drop(new Error("a bad reply length"));
        if (length === -1) return this.deliver(null);
        const path = this.waiting[0]?.file;
        if (path !== undefined) {
          const file: FileValue = { fd: undefined, path, length, written: 0 };
          try {
            file.fd = openSync(path, "w");
          } catch (error) {
            file.error = error as Error;
          }
          if (length > 0) {
            this.fileValue = file;
            return;
          }
          this.skip = 2;
          return this.deliver(finishFile(file, false));
        }
        if (length === 0) {
          this.skip = 2;
          return this.deliver(Buffer.alloc(0));
        }
        this.value = Buffer.allocUnsafe(length);
        this.filled = 0;
        return;
      }
      default:
        return this.drop(new Error("a reply the link does not read"));
    }
  }
}
