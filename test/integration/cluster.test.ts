/**
 * Cluster mode for real: a real redis-server (test/helpers/redis.ts), real `pdfraster worker`
 * processes, the real CLI as submitter; faults injected by killing processes and Redis itself.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Queue } from "bullmq";
import { describe, expect, it } from "vitest";
import type { RasterizeReport } from "../../dist/report.js";
import { corpus, leftoverTempDirs, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { startWorkers, stopAllWorkers, type WorkerProcess } from "../helpers/cluster.js";
import { inspectPdf } from "../helpers/pdf.js";
import { isAlive, startCli, waitFor, type StartedCli } from "../helpers/processes.js";
import { HAS_REDIS, useRedis, type RedisServer } from "../helpers/redis.js";

type Report = RasterizeReport;

interface PageDone {
  type: "page-done";
  page: number;
  worker: number;
  host?: string;
}

let redis: RedisServer;
let queues = 0;
/** A queue of its own for each test: tests never see each other's workers or jobs. */
const nextQueue = (): string => `test${++queues}`;


function events(stderr: string): Array<{ type: string } & Record<string, unknown>> {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { type: string });
}

async function pageImages(path: string): Promise<Buffer[]> {
  const pdf = await inspectPdf(path);
  return pdf.pages.map((page) => Buffer.from(page.images[0]!.data));
}

/** Runs the same job locally: the reference output. */
async function localRun(args: string[]): Promise<string> {
  const dir = scratch();
  const out = join(dir, "local.pdf");
  const result = await runCli([args[0]!, out, ...args.slice(1), "--quiet", "--workers", "2"], { env: { PDFRASTER_REDIS: "" } });
  expect(result.code, result.stderr).toBe(0);
  return out;
}

describe.skipIf(!HAS_REDIS)("cluster mode", () => {
  redis = useRedis(stopAllWorkers);

  it("3 workers render the same pages and page images as a local run; page-done names the worker", async () => {
    const queue = nextQueue();
    const workers = await startWorkers(3, redis.url, queue);
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const job = [SAMPLE, "--dpi", "72", "--pages", "1-5,1-5,1-5"];
    const result = await runCli([job[0]!, out, ...job.slice(1), "--redis", redis.url, "--queue", queue, "--json", "--progress", "json"]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report).toMatchObject({ rendered: 15, failed: [], outputPages: 15, workers: 3 }); // the cluster's concurrency
    const done = events(result.stderr).filter((e) => e.type === "page-done") as unknown as PageDone[];
    expect(done).toHaveLength(15);
    const pids = new Set(workers.map((w) => w.pid));
    for (const event of done) {
      expect(pids.has(event.worker)).toBe(true);
      expect(typeof event.host).toBe("string");
    }
    expect(new Set(done.map((e) => e.worker)).size).toBeGreaterThan(1); // spread over the cluster
    expect(await pageImages(out)).toEqual(await pageImages(await localRun(job)));
    expect(readFileSync(out)).toEqual(readFileSync(await localRun(job))); // the whole file, byte for byte
    expect(redis.runKeys(queue)).toEqual([]);

    const status = await runCli(["cluster", "status", "--queue", queue, "--json"], { env: { PDFRASTER_REDIS: redis.url } });
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { workers: { pid: number; pagesDone: number }[]; concurrency: number; jobs: Record<string, number>; runs: unknown[] };
    expect(parsed.workers.map((w) => w.pid).sort()).toEqual([...pids].sort());
    expect(parsed).toMatchObject({ concurrency: 3, jobs: { waiting: 0, active: 0, delayed: 0, failed: 0 }, runs: [] });
  });

  it("a worker SIGKILLed after its first page: its page goes back to the queue, every page arrives, exit 0", async () => {
    const queue = nextQueue();
    const [victim, survivor] = await startWorkers(2, redis.url, queue);
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const job = [SAMPLE, "--dpi", "72", "--pages", "1-5,1-5,1-5"];
    const run = startCli([job[0]!, out, ...job.slice(1), "--redis", redis.url, "--queue", queue, "--json", "--progress", "json"]);
    let killedAt = 0;
    let stdout = "";
    run.child.stderr!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!killedAt && events(stdout).some((e) => e.type === "page-done" && e.worker === victim!.pid)) {
        killedAt = Date.now();
        victim!.child.kill("SIGKILL");
      }
    });
    const result = await run.done;
    expect(killedAt).toBeGreaterThan(0);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report).toMatchObject({ rendered: 15, failed: [], outputPages: 15 });
    const afterKill = events(result.stderr).filter((e) => e.type === "page-done").slice(-1);
    expect(afterKill[0]!.worker).toBe(survivor!.pid);
    // The page the victim held came back after its lock expired: within LOCK_MS + STALLED_INTERVAL_MS (12 s), plus rendering.
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expect(await pageImages(out)).toEqual(await pageImages(await localRun(job)));
  }, 240_000);

  /** One worker, hanging on page 1 of the sample in its render process, page 2 prefetched behind it in its own pool. */
  async function holdingPrefetched(queue: string, pageTimeout: number): Promise<{ worker: WorkerProcess; run: StartedCli; out: string; dir: string }> {
    const dir = scratch();
    const marker = join(dir, "marker");
    const [worker] = await startWorkers(1, redis.url, queue, { env: { PDFRASTER_FAULT: `hang@1,once=${marker}`, TMPDIR: dir } });
    const out = join(dir, "out.pdf");
    // --format jpeg, as these tests were made: with the default `auto` both timed out waiting for the prefetch in one full
    // run under load (and passed alone); the prefetch they test needs jobs waiting behind page 2. Cause not found.
    const run = startCli([SAMPLE, out, "--dpi", "36", "--format", "jpeg", "--page-timeout", String(pageTimeout), "--redis", redis.url, "--queue", queue, "--json", "--progress", "json"]);
    await waitFor(() => existsSync(marker), 60_000, "the worker to hang on page 1");
    await waitFor(() => redis.cli("LLEN", `pdfraster:${queue}:active`) === "2", 20_000, "the worker to hold a prefetched page");
    return { worker: worker!, run, out, dir };
  }

  it("a worker SIGKILLed while holding a prefetched page: both its pages come back, every page arrives, exit 0", async () => {
    const queue = nextQueue();
    const { worker: victim, run, out, dir } = await holdingPrefetched(queue, 60);
    victim.child.kill("SIGKILL");
    await victim.exited;
    const left = leftoverTempDirs(dir);
    expect(left).toHaveLength(1); // the victim's input cache and pages, left by the SIGKILL...
    const [survivor] = await startWorkers(1, redis.url, queue, { env: { TMPDIR: dir } });
    expect(leftoverTempDirs(dir)).not.toContain(left[0]); // ...and removed by the next worker to start on the machine
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 5, failed: [], retried: [] }); // a lost worker is not a failed attempt
    const done = events(result.stderr).filter((e) => e.type === "page-done") as unknown as PageDone[];
    expect(done.map((e) => e.page).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(done.filter((e) => e.page <= 2).map((e) => e.worker)).toEqual([survivor!.pid, survivor!.pid]);
    expect(await pageImages(out)).toEqual(await pageImages(await localRun([SAMPLE, "--dpi", "36", "--format", "jpeg"])));
  }, 120_000);

  it("a prefetched page waiting behind a hanging one goes to a worker that has nothing left to render", async () => {
    const queue = nextQueue();
    const { worker: slow, run } = await holdingPrefetched(queue, 20);
    // The second worker renders pages 3-5, then has nothing left: page 2 comes to it rather than waiting for page 1's timeout.
    const [other] = await startWorkers(1, redis.url, queue);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    const done = events(result.stderr).filter((e) => e.type === "page-done") as unknown as PageDone[];
    expect(done.find((e) => e.page === 2)!.worker).toBe(other!.pid);
    expect(done.find((e) => e.page === 1)!.worker).toBe(other!.pid); // timed out on the slow one, retried elsewhere
    expect(slow.log).toMatch(/page 1 failed: timed out/);
    expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 5, failed: [], retried: [1] });
  }, 120_000);

  it("with no worker registered the submitter says so after a few seconds, goes on when one comes, and --wait-timeout limits the wait", async () => {
    const queue = nextQueue();
    const dir = scratch();
    const run = startCli([SAMPLE, join(dir, "out.pdf"), "--dpi", "20", "--redis", redis.url, "--queue", queue, "--quiet"]);
    // Before the fix: silence, for ever
    await waitFor(() => /no pdfraster worker is registered on queue `test\d+`/.test(run.stderr()), 15_000, "the no-worker notice");
    expect(run.stderr()).toMatch(new RegExp(`start one with \`pdfraster worker --redis URL --queue ${queue}\`, or limit the wait with --wait-timeout`));
    await startWorkers(1, redis.url, queue);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect((await inspectPdf(join(dir, "out.pdf"))).pages).toHaveLength(5);

    const limited = await runCli([SAMPLE, join(dir, "none.pdf"), "--dpi", "20", "--redis", redis.url, "--queue", nextQueue(), "--wait-timeout", "5", "--progress", "json"]);
    expect(limited.code).toBe(2);
    const seen = events(limited.stderr);
    expect(seen.find((e) => e.type === "no-workers")).toMatchObject({ queue: `test${queues}`, waitedMs: expect.any(Number) });
    expect(seen.at(-1)).toMatchObject({ type: "error", exitCode: 2, message: expect.stringMatching(/No pdfraster worker registered .* within the wait timeout of 5 s: no output written/) });
    expect(existsSync(join(dir, "none.pdf"))).toBe(false);
  });

  it("a page that fails on every worker is reported with its reason and exit 3", async () => {
    const queue = nextQueue();
    await startWorkers(2, redis.url, queue, { env: { PDFRASTER_FAULT: "throw@2" } });
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const result = await runCli([SAMPLE, out, "--dpi", "36", "--redis", redis.url, "--queue", queue, "--json", "--quiet", "--on-error", "blank"]);
    expect(result.code, result.stderr).toBe(3);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.failed).toEqual([{ page: 2, reason: "injected fault on page 2 (PDFRASTER_FAULT)" }]);
    expect(report.retried).toEqual([2]);
    expect((await inspectPdf(out)).pages.map((p) => p.images.length)).toEqual([1, 0, 1, 1, 1]);
  });

  it("a hanging page is timed out and retried on another worker", async () => {
    const queue = nextQueue();
    const dir = scratch();
    const marker = join(dir, "marker");
    const workers = await startWorkers(2, redis.url, queue, { env: { PDFRASTER_FAULT: `hang@2,once=${marker}` } });
    const out = join(dir, "out.pdf");
    // 6 s: the pages that do not hang must finish well within it on a loaded 2-core machine.
    const result = await runCli([SAMPLE, out, "--dpi", "36", "--page-timeout", "6", "--redis", redis.url, "--queue", queue, "--json", "--progress", "json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true); // the fault did strike
    const report = JSON.parse(result.stdout) as Report;
    expect(report).toMatchObject({ rendered: 5, failed: [], retried: [2] });
    const failed = events(result.stderr).find((e) => e.type === "page-failed");
    expect(failed).toMatchObject({ page: 2, reason: "timed out after 6 s", willRetry: true });
    const hung = workers.find((w) => w.log.includes("page 2 failed: timed out"))!;
    expect(hung).toBeDefined();
    const retry = events(result.stderr).find((e) => e.type === "page-done" && e.page === 2)!;
    expect(retry.worker).not.toBe(hung.pid);
  });

  it("Ctrl-C mid-run: exit 130, no output, and nothing of the run stays in Redis", async () => {
    const queue = nextQueue();
    const dir = scratch();
    const marker = join(dir, "marker");
    // One page hangs on its worker: the cancel must reach the machine that holds it.
    await startWorkers(2, redis.url, queue, { env: { PDFRASTER_FAULT: `hang@3,once=${marker}` } });
    const out = join(dir, "out.pdf");
    const run = startCli([corpus("tracemonkey.pdf"), out, "--dpi", "100", "--page-timeout", "60", "--redis", redis.url, "--queue", queue], { env: { TMPDIR: dir }, cwd: dir });
    await waitFor(() => existsSync(marker), 60_000, "a worker to hang on page 3");
    const keysOfRun = redis.runKeys(queue);
    expect(keysOfRun.length).toBeGreaterThan(0); // mid-run: the run has keys
    const sent = Date.now();
    process.kill(-run.child.pid!, "SIGINT");
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(existsSync(out)).toBe(false);
    // Jobs being rendered are cancelled by their workers, which then drop them: nothing of the run is left.
    await waitFor(() => redis.runKeys(queue).length === 0, 20_000, `no key of the run (left: ${redis.keys().join(", ")})`);
  });

  it("a worker sent SIGTERM hands back the page it holds after its grace period and exits 0; another worker renders it", async () => {
    const queue = nextQueue();
    const dir = scratch();
    const marker = join(dir, "marker");
    const [leaving] = await startWorkers(1, redis.url, queue, { env: { PDFRASTER_FAULT: `hang@2,once=${marker}` }, args: ["--grace", "1"] });
    const out = join(dir, "out.pdf");
    const run = startCli([SAMPLE, out, "--dpi", "36", "--page-timeout", "60", "--redis", redis.url, "--queue", queue, "--json", "--quiet"]);
    await waitFor(() => existsSync(marker), 60_000, "the worker to hang on page 2");
    await startWorkers(1, redis.url, queue);
    expect(await leaving!.kill("SIGTERM")).toBe(0);
    expect(leaving!.log).toMatch(/stopping: finishing the pages held \(up to 1 s\)/);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 5, failed: [], retried: [] }); // handed back, not failed
  });

  it("a submitter killed with SIGKILL: its jobs are dropped by the workers and its keys expire by themselves", async () => {
    const queue = nextQueue();
    await startWorkers(1, redis.url, queue);
    const dir = scratch();
    const run = startCli([corpus("tracemonkey.pdf"), join(dir, "out.pdf"), "--dpi", "100", "--redis", redis.url, "--queue", queue, "--progress", "json"]);
    let seen = "";
    run.child.stderr!.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    await waitFor(() => seen.includes('"page-done"'), 60_000, "a first page");
    run.child.kill("SIGKILL");
    await run.done;
    const left = (): string[] => redis.runKeys(queue);
    expect(left().length).toBeGreaterThan(0);
    // RUN_TTL_MS (20 s) for the heartbeat, stream and input; PAGE_TTL_MS (30 s) for a page image uploaded meanwhile.
    await waitFor(() => left().length === 0, 60_000, `the run's keys to expire (left: ${left().join(", ")})`);
    expect(redis.cli("LLEN", `pdfraster:${queue}:wait`)).toBe("0");
  });

  it("a crafted job naming a path or oversized numbers is refused by the worker", async () => {
    const queue = nextQueue();
    const [worker] = await startWorkers(1, redis.url, queue, { args: ["--max-pixels", "1000000"] });
    const dir = scratch();
    const victim = join(dir, "written-by-worker.jpg");
    const q = new Queue(queue, { connection: { host: "127.0.0.1", port: redis.port }, prefix: "pdfraster" });
    try {
      const run = "0123456789abcdef0123456789abcdef";
      const task = {
        id: 0, pageNumber: 1, width: 100, height: 100, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0, background: [255, 255, 255],
        engine: "pdfjs", format: "jpeg", quality: 85, color: "rgb", threshold: 128, ppi: 72,
      };
      const job = { v: 1, run, attempt: 1, timeoutMs: 1000, input: { hash: "a".repeat(64), bytes: 100 } };
      const crafted = [
        { ...job, task: { ...task, source: "/etc/passwd", outPath: victim } },
        { ...job, task: { ...task, id: 1, extract: { text: true, links: false, path: victim } } },
        { ...job, task: { ...task, id: 2, width: 100_000, height: 100_000 } },
        { ...job, input: { hash: "../../etc/passwd", bytes: 100 }, task: { ...task, id: 3 } },
      ];
      const ids = crafted.map((data) => `${run}-${data.task.id}-1`);
      for (const [i, data] of crafted.entries()) await q.add("page", data, { jobId: ids[i] });
      await waitFor(() => (worker!.log.match(/refused job/g) ?? []).length === crafted.length, 20_000, `refusals (log: ${worker!.log})`);
      // The worker logs a refusal before BullMQ has stored the job as failed: wait until all four are stored.
      let reasons: (string | undefined)[] = [];
      const readReasons = async (): Promise<void> => {
        reasons = await Promise.all(ids.map(async (id) => (await q.getJob(id))?.failedReason));
      };
      await waitFor(() => reasons.every((reason) => typeof reason === "string") && reasons.length === ids.length, 20_000, "the refused jobs stored as failed", readReasons);
      expect(reasons[0]).toMatch(/names a path \(task\.source\)/);
      expect(reasons[1]).toMatch(/names a path \(task\.extract\.path\)/);
      expect(reasons[2]).toMatch(/exceeds this worker's --max-pixels 1000000/);
      expect(reasons[3]).toMatch(/bad input reference/);
      expect(existsSync(victim)).toBe(false);
      await q.obliterate({ force: true });
    } finally {
      await q.close();
    }
  });

  it("malformed cancel and idle messages are ignored: the workers stay up and render", async () => {
    const queue = nextQueue();
    const workers = await startWorkers(2, redis.url, queue);
    await waitFor(() => redis.cli("PUBSUB", "NUMSUB", `pdfraster:${queue}:idle`).endsWith("2"), 20_000, "both workers subscribed");
    for (const channel of ["idle", "cancel"]) {
      for (const raw of ["null", "42", "[]", "{", '{"run":7,"jobs":"x"}']) expect(redis.cli("PUBLISH", `pdfraster:${queue}:${channel}`, raw)).toBe("2");
    }
    const out = join(scratch(), "out.pdf");
    const result = await runCli([SAMPLE, out, "--dpi", "72", "--pages", "1-2", "--quiet", "--redis", redis.url, "--queue", queue, "--wait-timeout", "10"]);
    expect(result.code, result.stderr).toBe(0);
    for (const worker of workers) expect(isAlive(worker.pid), worker.log).toBe(true);
  });

  it("a batch over the cluster, and two submitters at once sharing the workers", async () => {
    const queue = nextQueue();
    await startWorkers(2, redis.url, queue);
    const dir = scratch();
    const second = join(dir, "second.pdf");
    writeFileSync(second, readFileSync(corpus("tracemonkey.pdf")));
    const cluster = ["--redis", redis.url, "--queue", queue, "--dpi", "50", "--quiet"];
    const [batch, single] = await Promise.all([
      runCli(["--out-dir", join(dir, "flat"), SAMPLE, second, ...cluster]),
      runCli([SAMPLE, join(dir, "single.pdf"), ...cluster]),
    ]);
    expect(batch.code, batch.stderr).toBe(0);
    expect(single.code, single.stderr).toBe(0);
    expect(readFileSync(join(dir, "flat/sample.pdf"))).toEqual(readFileSync(await localRun([SAMPLE, "--dpi", "50"])));
    expect(readFileSync(join(dir, "flat/second.pdf"))).toEqual(readFileSync(await localRun([second, "--dpi", "50"])));
    expect(readFileSync(join(dir, "single.pdf"))).toEqual(readFileSync(join(dir, "flat/sample.pdf")));
  });

  it("a page in bands (forced small) through the cluster gives the same file as locally, auto included", async () => {
    const queue = nextQueue();
    await startWorkers(2, redis.url, queue);
    const dir = scratch();
    const out = join(dir, "out.pdf");
    // Page 1 of the sample at 150 dpi is 1275x1650 pixels: 200,000-pixel bands make 11 bands of 144 rows (the last shorter).
    const job = [SAMPLE, "--dpi", "150", "--pages", "1,5", "--band-pixels", "200000", "--format", "auto"];
    const result = await runCli([job[0]!, out, ...job.slice(1), "--redis", redis.url, "--queue", queue, "--json", "--progress", "json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 2, failed: [], outputPages: 2 });
    expect(events(result.stderr).filter((e) => e.type === "page-done")).toHaveLength(2); // pages, not bands
    expect((await inspectPdf(out)).pages[0]!.images.length).toBeGreaterThan(1); // the bands, each its own image
    expect(readFileSync(out)).toEqual(readFileSync(await localRun(job)));
  });

  it("--color mono through the cluster: the same JBIG2 pages (symbols files through the store, one document dictionary) as locally", async () => {
    const queue = nextQueue();
    await startWorkers(1, redis.url, queue);
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const job = [SAMPLE, "--dpi", "100", "--pages", "1,2", "--color", "mono"];
    const result = await runCli([job[0]!, out, ...job.slice(1), "--redis", redis.url, "--queue", queue, "--progress", "json"]);
    expect(result.code, result.stderr).toBe(0);
    expect(events(result.stderr).filter((e) => e.type === "page-done").map((e) => e.format)).toEqual(["jbig2", "jbig2"]);
    expect((await inspectPdf(out)).pages.map((page) => page.images[0]!.filter)).toEqual(["/JBIG2Decode", "/JBIG2Decode"]);
    expect(readFileSync(out, "latin1")).toMatch(/\/JBIG2Globals \d+ 0 R/);
    expect(readFileSync(out)).toEqual(readFileSync(await localRun(job)));
  });

  it("the shared-folder store (file://) through the API gives the same output", async () => {
    const queue = nextQueue();
    const store = `file://${scratch("pdfraster-store-")}`;
    await startWorkers(1, redis.url, queue, { args: ["--store", store] });
    const { rasterize } = await import("../../dist/index.js");
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const report = await rasterize(SAMPLE, out, { dpi: 50, redis: redis.url, queue, store, keepText: true });
    expect(report).toMatchObject({ rendered: 5, failed: [] });
    expect(readFileSync(out)).toEqual(readFileSync(await localRun([SAMPLE, "--dpi", "50", "--keep-text"])));
  });

  it("Redis unreachable at submit: one line, exit 2, nothing written, the password masked", async () => {
    const dir = scratch();
    const out = join(dir, "out.pdf");
    // Given in the environment, the place for a password (on the command line it adds a warning line, see hostile-cli.test.ts).
    const result = await runCli([SAMPLE, out], { env: { PDFRASTER_REDIS: "redis://pdf:s3cret@127.0.0.1:1" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pdfraster: Cannot connect to Redis at redis:\/\/pdf:\*\*\*@127\.0\.0\.1:1: .+\n$/);
    expect(result.stderr).not.toMatch(/s3cret/);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(!HAS_REDIS)("cluster mode, Redis lost", () => {
  const own = useRedis(stopAllWorkers);

  it("mid-run: the submitter fails with one line and no output; a worker survives the restart and renders the next document", async () => {
    const [worker] = await startWorkers(1, own.url, "lost");
    const dir = scratch();
    const out = join(dir, "out.pdf");
    const run = startCli([corpus("tracemonkey.pdf"), out, "--dpi", "100", "--redis", own.url, "--queue", "lost", "--progress", "json"]);
    let seen = "";
    run.child.stderr!.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    await waitFor(() => seen.includes('"page-done"'), 60_000, "a first page");
    await own.kill();
    const result = await run.done;
    expect(result.code).toBe(1);
    const lines = result.stderr.split("\n").filter((line) => line.startsWith("{") && line.includes('"error"'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+/);
    expect(existsSync(out)).toBe(false);

    await own.launch();
    await waitFor(() => worker!.log.includes("reconnected to Redis"), 30_000, `the worker to reconnect (log: ${worker!.log})`);
    expect(worker!.log).toMatch(/lost the connection to Redis; reconnecting/);
    const next = await runCli([SAMPLE, out, "--dpi", "36", "--redis", own.url, "--queue", "lost", "--quiet"]);
    expect(next.code, next.stderr).toBe(0);
    expect((await inspectPdf(out)).pages).toHaveLength(5);
    expect(await worker!.kill("SIGTERM")).toBe(0); // and it stops cleanly
  });
});
