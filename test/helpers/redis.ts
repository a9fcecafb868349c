/**
 * A real redis-server for the cluster tests, on a free loopback port, with no persistence
 * (`--save '' --appendonly no`). Always stopped, also when a test fails (call stop() in afterAll;
 * a process exit handler kills it as a last resort). In CI (CI=true) a missing redis-server is a
 * failure, not a skip.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll } from "vitest";
import { hasTools } from "./tools.js";
import { dyingWithParent } from "./processes.js";

export const HAS_REDIS = hasTools("redis-server", "redis-cli");
if (!HAS_REDIS) {
  if (process.env.CI === "true") throw new Error("redis-server is not installed: the cluster tests need it in CI (apt-get install redis-server)");
  console.warn("redis-server not installed: the cluster tests are skipped (apt-get install redis-server)");
}

/** Keys a queue keeps between runs (BullMQ's own, and registered workers); anything else belongs to a run. */
export const QUEUE_LEVEL = /^pdfraster:[^:]+:(meta|id|events|stalled-check|marker|workers|worker:[0-9a-f]{16})$/;

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | undefined;
  /** Chosen at the first launch(), kept for the next (a restart after kill() is on the same port). */
  private chosenPort = 0;

  static async start(): Promise<RedisServer> {
    const server = new RedisServer();
    await server.launch();
    return server;
  }

  get port(): number {
    return this.chosenPort;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (again, on the same port after kill()) and waits until it answers. */
  async launch(): Promise<void> {
    if (this.chosenPort === 0) this.chosenPort = await freePort();
    // Through setpriv --pdeathsig (as the service and worker helpers): a test process killed before its cleanup takes the server with it.
    const child = spawn(...dyingWithParent("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]), { stdio: "ignore" });
    this.child = child;
    live.add(child);
    child.once("exit", () => live.delete(child));
    const end = Date.now() + 10_000;
    while (this.cli("PING") !== "PONG") {
      if (Date.now() > end) throw new Error(`redis-server did not start on port ${this.port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Runs redis-cli against it; its trimmed output ("" when it cannot connect). */
  cli(...args: string[]): string {
    const result = spawnSync("redis-cli", ["-p", String(this.port), ...args], { encoding: "utf8" });
    return result.status === 0 ? result.stdout.trim() : "";
  }

  /** Every key (`redis-cli --scan`). */
  keys(): string[] {
    const out = execFileSync("redis-cli", ["-p", String(this.port), "--scan"], { encoding: "utf8" });
    return out.split("\n").filter((line) => line !== "").sort();
  }

  /** The keys of the runs on `queue` (everything but the QUEUE_LEVEL keys). */
  runKeys(queue: string): string[] {
    return this.keys().filter((key) => key.includes(`:${queue}:`) && !QUEUE_LEVEL.test(key));
  }

  /** SIGKILL, like a lost Redis; resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await gone;
  }

  async stop(): Promise<void> {
    await this.kill();
  }
}

/**
 * A redis-server for the tests of one describe block: started before them and stopped after them;
 * `cleanup` (stopping the workers and services a test started) runs after each test, and once more
 * before the server stops.
 */
export function useRedis(cleanup: () => Promise<void> = async () => {}): RedisServer {
  const server = new RedisServer();
  beforeAll(() => server.launch());
  afterEach(cleanup);
  afterAll(async () => {
    await cleanup();
    await server.stop();
  });
  return server;
}
