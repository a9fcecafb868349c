/**
 * The cluster on hosts of their own (docs/cluster.md "A real network"): Linux network namespaces
 * joined by a bridge (test/helpers/netns.ts), Redis on one host, the submitter on another, two
 * `pdfraster worker` hosts. Latency comes from a delaying TCP proxy on the Redis host
 * (test/helpers/delay-proxy.ts: this kernel has no `tc netem`), which every client goes through;
 * partitions from taking a host's port on the bridge down (`ip link set ... down`).
 * Runs as root (CI does); skipped with the reason where the kernel refuses, but never in CI.
 */
import { type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI, type CliResult, corpus, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { stopAllWorkers, WorkerProcess } from "../helpers/cluster.js";
import { Network, netnsUnavailable } from "../helpers/netns.js";
import { waitFor } from "../helpers/processes.js";
import { HAS_REDIS } from "../helpers/redis.js";

const IN_CI = process.env.CI === "true";
const PROXY = fileURLToPath(new URL("../helpers/delay-proxy.ts", import.meta.url));
const UNAVAILABLE = HAS_REDIS ? netnsUnavailable() : "redis-server is not installed";
if (UNAVAILABLE && !IN_CI) console.warn(`cluster over network namespaces skipped: ${UNAVAILABLE}`);

const DOC = corpus("tracemonkey.pdf"); // 14 pages

interface Event {
  type: string;
  page?: number;
  worker?: number;
}

function events(stderr: string): Event[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Event);
}

describe.skipIf(UNAVAILABLE !== undefined && !IN_CI)("the cluster on hosts of their own (network namespaces)", () => {
  it("CI can make network namespaces (a refusal there is a failure, not a skip)", () => {
    expect(UNAVAILABLE).toBeUndefined();
  });

  let net: Network;
  let proxy: ChildProcess;
  let proxyOut = "";
  let redisUrl = "";
  let queues = 0;

  beforeAll(async () => {
    net = new Network(["redis", "submit", "w1", "w2"]);
    const redisHost = net.address("redis");
    net.spawn("redis", "redis-server", ["--bind", redisHost, "--port", "6379", "--save", "", "--appendonly", "no", "--protected-mode", "no"], { stdio: "ignore" });
    await waitFor(() => net.run("redis", "redis-cli", ["-h", redisHost, "PING"]).stdout.trim() === "PONG", 10_000, "redis-server in its host");
    proxy = net.spawn("redis", process.execPath, ["--disable-warning=ExperimentalWarning", PROXY, redisHost, "6380", redisHost, "6379"], { stdio: ["pipe", "pipe", "inherit"] });
    proxy.stdout!.on("data", (chunk) => (proxyOut += chunk));
    await waitFor(() => proxyOut.includes("listening"), 10_000, "the delaying proxy");
    redisUrl = `redis://${redisHost}:6380`;
  }, 60_000);

  afterEach(stopAllWorkers);
  afterAll(async () => {
    await stopAllWorkers();
    net?.destroy();
  });

  /** Sets the proxy's added round trip (half each way). */
  async function setRoundTrip(ms: number): Promise<void> {
    proxyOut = "";
    proxy.stdin!.write(`delay ${ms / 2}\n`);
    await waitFor(() => proxyOut.includes(`delay ${ms / 2}`), 5000, "the proxy's new delay");
  }

  /** `pdfraster worker` processes on hosts `hosts`, each with a temp folder of its own. */
  async function startWorkers(hosts: string[], queue: string, env: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<WorkerProcess[]> {
    const workers = hosts.map(
      (host) =>
        new WorkerProcess(["--redis", redisUrl, "--queue", queue, "--concurrency", "1", ...args], { TMPDIR: scratch(`pdfraster-host-${host}-`), ...env }, (command, argv, options) =>
          net.spawn(host, command, argv, options),
        ),
    );
    return Promise.all(workers.map((worker) => worker.ready()));
  }

  /** The CLI as a submitter on the submit host; `onStderr` sees its output as it comes. */
  function submit(args: string[], queue: string, onStderr?: (stderr: string) => void): Promise<CliResult> {
    const child = net.spawn("submit", process.execPath, [CLI, ...args, "--redis", redisUrl, "--queue", queue, "--json", "--progress", "json"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => {
      stderr += chunk;
      onStderr?.(stderr);
    });
    return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  }

  /** The same job run locally (no cluster): the reference output. */
  async function local(args: string[]): Promise<{ bytes: Buffer }> {
    const out = join(scratch(), "local.pdf");
    const result = await runCli([args[0]!, out, ...args.slice(1), "--workers", "2", "--quiet"], { env: { PDFRASTER_REDIS: "" } });
    expect(result.code, result.stderr).toBe(0);
    return { bytes: readFileSync(out) };
  }

  it("gives the local run's file byte for byte at 0, 2 and 20 ms round trips to Redis", async () => {
    const queue = `q${++queues}`;
    await startWorkers(["w1", "w2"], queue);
    const job = [DOC, "--dpi", "72"];
    const reference = await local(job);
    // What the latency costs is measured by bench/cluster-netns.mjs, not here.
    for (const rtt of [0, 2, 20]) {
      await setRoundTrip(rtt);
      const out = join(scratch(), `cluster-${rtt}.pdf`);
      const result = await submit([job[0]!, out, ...job.slice(1)], queue);
      expect(result.code, result.stderr).toBe(0);
      expect(readFileSync(out).equals(reference.bytes)).toBe(true);
    }
    await setRoundTrip(0);
  }, 240_000);

  it("a worker host cut off mid-page for longer than the lock: its pages are rendered elsewhere, its late results change nothing, it rejoins", async () => {
    const queue = `q${++queues}`;
    const [cut, other] = await startWorkers(["w1", "w2"], queue);
    await setRoundTrip(2);
    const job = [DOC, "--dpi", "150"];
    const reference = await local(job);
    const out = join(scratch(), "out.pdf");
    let cutAt = 0;
    const run = submit([job[0]!, out, ...job.slice(1)], queue, (stderr) => {
      // Cut once it has rendered a page: it holds its next one (rendering) and a prefetched one.
      if (cutAt === 0 && events(stderr).some((event) => event.type === "page-done" && event.worker === cut!.pid)) {
        cutAt = Date.now();
        net.setLink("w1", false);
        setTimeout(() => net.setLink("w1", true), 16_000); // lock 8 s + stalled check 4 s, and some
      }
    });
    const result = await run;
    expect(cutAt).toBeGreaterThan(0);
    expect(result.code, result.stderr).toBe(0);
    const done = events(result.stderr).filter((event) => event.type === "page-done");
    // Every page once: the cut-off host's late result for a page rendered again elsewhere is dropped.
    expect(done.map((event) => event.page).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(done.filter((event) => event.worker === other!.pid).length).toBeGreaterThan(done.filter((event) => event.worker === cut!.pid).length);
    expect(readFileSync(out).equals(reference.bytes)).toBe(true);

    // Back on the network, it takes pages again: the other worker stops, the cut-off one renders a new run alone.
    await waitFor(() => Date.now() > cutAt + 17_000, 30_000, "the link to come back");
    expect(await other!.kill("SIGTERM")).toBe(0);
    const next = await submit([SAMPLE, join(scratch(), "next.pdf"), "--dpi", "36", "--pages", "1-3"], queue);
    expect(next.code, next.stderr).toBe(0);
    const nextDone = events(next.stderr).filter((event) => event.type === "page-done");
    expect(nextDone.map((event) => event.worker)).toEqual([cut!.pid, cut!.pid, cut!.pid]);
  }, 240_000);

  it("the submitter cut off from Redis for 3 s mid-run recovers: TCP carries its connections over, same output", async () => {
    const queue = `q${++queues}`;
    await startWorkers(["w1", "w2"], queue);
    await setRoundTrip(2);
    const job = [DOC, "--dpi", "72"];
    const reference = await local(job);
    const out = join(scratch(), "out.pdf");
    let cutAt = 0;
    const result = await submit([job[0]!, out, ...job.slice(1)], queue, (stderr) => {
      if (cutAt === 0 && stderr.includes('"page-done"')) {
        cutAt = Date.now();
        net.setLink("submit", false);
        setTimeout(() => net.setLink("submit", true), 3000);
      }
    });
    expect(cutAt).toBeGreaterThan(0);
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(out).equals(reference.bytes)).toBe(true);
  }, 240_000);

  it("a render process on a worker host reaches nothing: not Redis, which its worker service talks to", async () => {
    const queue = `q${++queues}`;
    const target = `${net.address("redis")}:6379`;
    const fault = { PDFRASTER_FAULT: `connect@1,arg=${target}` };
    const [sandboxed] = await startWorkers(["w1"], queue, fault);
    const job = [SAMPLE, join(scratch(), "out.pdf"), "--dpi", "36", "--pages", "1-2", "--on-error", "skip"];
    const result = await submit(job, queue);
    expect(result.code, result.stderr).toBe(3);
    const report = JSON.parse(result.stdout) as { rendered: number; failed: { page: number; reason: string }[] };
    expect(report.rendered).toBe(1); // page 2: its worker service fetched the input and delivered the image through Redis
    expect(report.failed.map((failure) => failure.page)).toEqual([1]);
    expect(report.failed[0]!.reason).toMatch(new RegExp(`^refused: connect to ${target.replaceAll(".", "\\.")}: `));
    await sandboxed!.kill("SIGTERM");

    // Without the sandbox the same attempt gets through: the test can fail.
    await startWorkers(["w1"], queue, fault, ["--sandbox", "off"]);
    const off = await submit(job, queue);
    expect(off.code, off.stderr).toBe(3);
    expect((JSON.parse(off.stdout) as { failed: { reason: string }[] }).failed[0]!.reason).toMatch(/^escaped: /);
  }, 240_000);
});
