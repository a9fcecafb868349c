import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { scratch } from "./cli.js";
import { hasTools } from "./tools.js";

/** The system Chromium (Debian's `chromium`), or $CHROMIUM; undefined when there is none. */
export function findChromium(): string | undefined {
  for (const candidate of [process.env.CHROMIUM, "chromium", "chromium-browser"]) {
    if (candidate && hasTools(candidate)) return candidate;
  }
  return undefined;
}

type Params = Record<string, unknown>;
interface Message {
  id?: number;
  method?: string;
  params?: Params;
  result?: Params;
  error?: { message: string };
  sessionId?: string;
}

/**
 * A tiny Chrome DevTools Protocol client over --remote-debugging-pipe (fd 3 to the browser, fd 4
 * from it, messages NUL-delimited JSON): no WebSocket library, no browser download.
 */
export class Browser {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Params) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(message: Message) => void>();
  private buffer = "";
  readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    const input = child.stdio[4] as Readable;
    input.setEncoding("utf8");
    input.on("data", (chunk: string) => {
      this.buffer += chunk;
      let end;
      while ((end = this.buffer.indexOf("\0")) !== -1) {
        const message = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        if (message.id !== undefined) {
          const waiter = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.error) waiter?.reject(new Error(message.error.message));
          else waiter?.resolve(message.result ?? {});
        } else {
          for (const listener of this.listeners) listener(message);
        }
      }
    });
    this.exited = new Promise((resolve) => child.on("exit", () => resolve()));
  }

  static async launch(executable: string): Promise<Browser> {
    const profile = scratch("pdfraster-chromium-");
    const child = spawn(
      executable,
      ["--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check", `--user-data-dir=${profile}`, "--window-size=900,760", "about:blank"],
      { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] },
    );
    child.stderr!.resume();
    const browser = new Browser(child);
    await browser.send("Browser.getVersion");
    return browser;
  }

  send(method: string, params: Params = {}, sessionId?: string): Promise<Params> {
    const id = this.nextId++;
    const message = JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.child.stdio[3] as Writable).write(`${message}\0`);
    });
  }

  /** Resolves with the params of the first event `method` (of `sessionId`) that `matches`. */
  waitFor(method: string, matches: (params: Params) => boolean = () => true, sessionId?: string, ms = 60_000): Promise<Params> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out waiting for ${method}`));
      }, ms);
      const listener = (message: Message): void => {
        if (message.method !== method || (sessionId && message.sessionId !== sessionId) || !matches(message.params ?? {})) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(message.params ?? {});
      };
      this.listeners.add(listener);
    });
  }

  /** A new tab, attached (flat session); returns a function that sends commands to it. */
  async newPage(): Promise<{ sessionId: string; send: (method: string, params?: Params) => Promise<Params> }> {
    const { targetId } = await this.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = (await this.send("Target.attachToTarget", { targetId, flatten: true })) as { sessionId: string };
    return { sessionId, send: (method, params = {}) => this.send(method, params, sessionId) };
  }

  async close(): Promise<void> {
    await this.send("Browser.close").catch(() => {});
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
