/**
 * `pdfraster serve --redis` for real: the built CLI as the service, a real redis-server on a free
 * loopback port (test/helpers/redis.ts), real `pdfraster worker` processes; Redis killed mid-request,
 * clients that go away.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { corpus, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { startWorkers, stopAllWorkers } from "../helpers/cluster.js";
import { inspectPdf } from "../helpers/pdf.js";
import { openFilesUnder, waitFor } from "../helpers/processes.js";
import { HAS_REDIS, useRedis } from "../helpers/redis.js";
import { metric, pdfBody, ready, startServe, stopAll, type RunningService } from "../helpers/serve.js";

/** Local runs and services of these tests never pick up a cluster from the environment. */
const NO_CLUSTER = { PDFRASTER_REDIS: "" };

let queues = 0;
const nextQueue = (): string => `serve${++queues}`;

async function pageImages(pdf: Buffer): Promise<Buffer[]> {
  const path = join(scratch(), "served.pdf");
  writeFileSync(path, pdf);
  return (await inspectPdf(path)).pages.map((page) => Buffer.from(page.images[0]!.data));
}

/** The CLI's local output for the same options. */
async function localOutput(args: string[]): Promise<Buffer> {
  const out = join(scratch(), "local.pdf");
  const result = await runCli([args[0]!, out, ...args.slice(1), "--quiet", "--workers", "2"], { env: NO_CLUSTER });
  expect(result.code, result.stderr).toBe(0);
  return readFileSync(out);
}

function post(service: RunningService, query: string, path = SAMPLE): Promise<Response> {
  return fetch(`${service.url}/v1/rasterize?${query}`, { method: "POST", ...pdfBody(path) });
}

async function expectJsonError(response: Response, status: number, code: string): Promise<{ code: string; message: string }> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { code: string; message: string };
  expect(body.code).toBe(code);
  expect(text).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/);
  return body;
}

/** The services and workers a test started. */
async function stopEverything(): Promise<void> {
  await stopAll();
  await stopAllWorkers();
}

async function metricsOf(service: RunningService): Promise<string> {
  return (await fetch(`${service.url}/metrics`)).text();
}

describe.skipIf(!HAS_REDIS)("pdfraster serve --redis", () => {
  const redis = useRedis(stopEverything);

  it("is ready once a worker registers, renders the CLI's local output through the cluster, and leaves nothing in Redis", async () => {
    const queue = nextQueue();
    const service = await startServe(["--redis", redis.url, "--queue", queue], NO_CLUSTER);
    expect(service.stderr()).toContain(`(cluster ${redis.url} queue ${queue}, pdfjs)`);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    const notReady = await expectJsonError(await fetch(`${service.url}/readyz`), 503, "ERR_NOT_READY");
    expect(notReady.message).toBe(`No pdfraster worker is registered on queue ${queue} at ${redis.url}`);
    expect(metric(await metricsOf(service), "pdfraster_redis_up")).toBe(1);
    expect(metric(await metricsOf(service), "pdfraster_workers")).toBe(0);

    const workers = await startWorkers(2, redis.url, queue);
    await ready(service);
    expect(await (await fetch(`${service.url}/readyz`)).json()).toEqual({ status: "ready", redis: redis.url, queue, workers: 2, concurrency: 2 });

    const response = await post(service, "dpi=72&pages=1-5,1-3");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-pdfraster-pages")).toBe("8");
    expect(response.headers.get("server-timing")).toMatch(/^upload;dur=[\d.]+, wait;dur=[\d.]+, plan;dur=[\d.]+, first-page;dur=/);
    const served = Buffer.from(await response.arrayBuffer());
    const local = await localOutput([SAMPLE, "--dpi", "72", "--pages", "1-5,1-3"]);
    expect(await pageImages(served)).toEqual(await pageImages(local));
    expect(served.equals(local)).toBe(true); // the same file, not only the same images
    // Both workers rendered: the pages really went through the cluster.
    const text = await metricsOf(service);
    expect(metric(text, "pdfraster_pages_total")).toBe(8);
    expect(metric(text, "pdfraster_workers")).toBe(2);
    expect(metric(text, "pdfraster_cluster_concurrency")).toBe(2);
    expect(metric(text, "pdfraster_pages_queued")).toBe(0);
    expect(workers.every((worker) => worker.log.includes("ready:"))).toBe(true);
    await waitFor(() => redis.runKeys(queue).length === 0, 10_000, `no key of the document (left: ${redis.runKeys(queue).join(", ")})`);
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });

  it("a client that disconnects cancels its pages on the cluster: nothing of the document stays in Redis", async () => {
    const queue = nextQueue();
    const dir = scratch();
    const marker = join(dir, "marker");
    // Page 3 hangs on its worker: only the cancel reaches it before the page timeout.
    await startWorkers(2, redis.url, queue, { env: { PDFRASTER_FAULT: `hang@3,once=${marker}` } });
    const service = await startServe(["--redis", redis.url, "--queue", queue], NO_CLUSTER);
    await ready(service);
    const req = httpRequest(new URL("/v1/rasterize?dpi=100", service.url), { method: "POST", headers: { "content-type": "application/pdf" } });
    req.on("error", () => {});
    req.end(readFileSync(corpus("tracemonkey.pdf")));
    await waitFor(() => existsSync(marker), 60_000, "a worker to hang on page 3");
    expect(redis.runKeys(queue).length).toBeGreaterThan(0); // mid-request: the document's run has keys
    expect(service.jobDirs()).toHaveLength(1);
    req.destroy(); // the client goes away
    let text = "";
    await waitFor(() => metric(text, 'pdfraster_documents_total{status="cancelled"}') === 1, 15_000, "the job cancelled", async () => {
      text = await metricsOf(service);
    });
    await waitFor(() => redis.runKeys(queue).length === 0, 20_000, `no key of the document (left: ${redis.runKeys(queue).join(", ")})`);
    expect(redis.cli("LLEN", `pdfraster:${queue}:wait`)).toBe("0");
    expect(service.jobDirs()).toEqual([]);
    // The hung page was cancelled on its worker: the cluster renders the next document.
    const next = await post(service, "dpi=36");
    expect(next.status).toBe(200);
    expect(next.headers.get("x-pdfraster-rendered")).toBe("5");
    expect(await service.stop()).toBe(0);
  });

  it("credentials are masked; an unreachable Redis is 503 ERR_CLUSTER; `--workers` is not for the cluster", async () => {
    const url = "redis://pdf:s3cret@127.0.0.1:1";
    const service = await startServe(["--redis", url], NO_CLUSTER);
    const notReady = await expectJsonError(await fetch(`${service.url}/readyz`), 503, "ERR_NOT_READY");
    expect(notReady.message).toBe("Redis at redis://pdf:***@127.0.0.1:1 is not reachable");
    expect(metric(await metricsOf(service), "pdfraster_redis_up")).toBe(0);
    const response = await post(service, "dpi=36");
    expect(response.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = await expectJsonError(response, 503, "ERR_CLUSTER");
    expect(body.message).toMatch(/^Cannot connect to Redis at redis:\/\/pdf:\*\*\*@127\.0\.0\.1:1: /);
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
    expect(service.stderr()).toContain("redis://pdf:***@127.0.0.1:1");
    expect(service.stderr()).not.toContain("s3cret");

    const both = await runCli(["serve", "--port", "0", "--redis", redis.url, "--workers", "2"], { env: NO_CLUSTER });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^pdfraster: `--workers` is the local pool's: with `--redis` the cluster renders/);
  });
});

describe.skipIf(!HAS_REDIS)("pdfraster serve --redis, Redis lost", () => {
  const own = useRedis(stopEverything);

  it("mid-request: the request fails with 503 ERR_CLUSTER as JSON; the service stays up and serves again once Redis is back", async () => {
    const [worker] = await startWorkers(1, own.url, "lost");
    const service = await startServe(["--redis", own.url, "--queue", "lost"], NO_CLUSTER);
    await ready(service);
    const pending = post(service, "dpi=150", corpus("tracemonkey.pdf"));
    let text = "";
    await waitFor(() => metric(text, "pdfraster_pages_total") >= 1, 60_000, "the document's first page", async () => {
      text = await metricsOf(service);
    });
    await own.kill();
    const body = await expectJsonError(await pending, 503, "ERR_CLUSTER");
    expect(body.message).toMatch(/^Lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+\/? for 5 s: no output written$/);
    expect(service.jobDirs()).toEqual([]);
    const down = await expectJsonError(await fetch(`${service.url}/readyz`), 503, "ERR_NOT_READY");
    expect(down.message).toMatch(/is not reachable$/);
    await expectJsonError(await post(service, "dpi=36"), 503, "ERR_CLUSTER"); // still down: refused at once, as JSON
    // No file of a failed document stays open (before the fix the output PDF's handle of the second one
    // did, until "Closing file descriptor N on garbage collection").
    expect(openFilesUnder(service.child.pid!, service.tmp)).toEqual([]);

    await own.launch();
    await waitFor(() => worker!.log.includes("reconnected to Redis"), 30_000, `the worker to reconnect (log: ${worker!.log})`);
    await ready(service); // the worker registered again on the new Redis
    const again = await post(service, "dpi=36");
    expect(again.status).toBe(200);
    expect((await pageImages(Buffer.from(await again.arrayBuffer())))).toHaveLength(5);
    expect(service.stderr()).toMatch(/lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+\/?; reconnecting/);
    expect(service.stderr()).toMatch(/reconnected to Redis/);
    expect(await service.stop()).toBe(0);
  });
});
