#!/usr/bin/env node
// Cluster benchmark (`npm run bench -- --cluster`, or `node bench/cluster.mjs` after a build): a local
// run with --workers 2 against a cluster of 2 `pdfraster worker --concurrency 1` on a loopback Redis
// (started here, no persistence), the same document; then a long document through the cluster for
// Redis's and the submitter's memory; then pages/s for 1..64 machines on paper, from the measured
// per-page costs. See docs/cluster.md.
//
// The documents are tracemonkey.pdf repeated with qpdf (as bench/run.mjs's jobs): x8 = 112 pages, x143 = 2,002.
//
//   npm run bench -- --cluster                          112 pages at 300 dpi, 2,002 pages at 150 dpi
//   npm run bench -- --cluster --quick                  28 pages at 150 dpi, 210 pages at 72 dpi (a few minutes)
//   npm run bench -- --cluster --repeat 8 --memory-repeat 143 --dpi 300 --memory-dpi 150
//   node bench/cluster.mjs --cli /other/build/dist/cli.js ...    the same against another build
//   node bench/cluster.mjs --pairs 6 ...                 local and cluster runs 6 times each, alternating which goes first (the machine drifts), fresh workers for each cluster run
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measure, settle } from "./measure.mjs";

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--cluster"),
  options: {
    quick: { type: "boolean" },
    repeat: { type: "string" },
    dpi: { type: "string" },
    "memory-repeat": { type: "string" },
    "memory-dpi": { type: "string" },
    "no-settle": { type: "boolean" },
    out: { type: "string" },
    // Another build's dist/cli.js, e.g. to compare before and after a change on the same machine.
    cli: { type: "string" },
    // Local and cluster runs of the overhead document this many times, in alternating order: the
    // machine's speed drifts by 10% within a minute, more than the overhead being measured.
    pairs: { type: "string" },
  },
});
const CLI = args.cli ?? fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const quick = args.quick === true;
const repeat = Number(args.repeat ?? (quick ? 2 : 8));
const dpi = Number(args.dpi ?? (quick ? 150 : 300));
const memoryRepeat = Number(args["memory-repeat"] ?? (quick ? 15 : 143));
const memoryDpi = Number(args["memory-dpi"] ?? (quick ? 72 : 150));
const log = (s) => process.stderr.write(`bench cluster: ${s}\n`);

const work = mkdtempSync(join(tmpdir(), "pdfraster-bench-cluster-"));
const started = [];
const stopAll = () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
};
process.on("exit", stopAll);
process.on("SIGINT", () => process.exit(130));

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function redisInfo(port) {
  const out = spawnSync("redis-cli", ["-p", String(port), "INFO"], { encoding: "utf8" }).stdout;
  return Object.fromEntries(out.split("\r\n").filter((line) => line.includes(":")).map((line) => line.split(":")));
}

async function startRedis() {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  started.push(child);
  while (spawnSync("redis-cli", ["-p", String(port), "PING"], { encoding: "utf8" }).stdout.trim() !== "PONG") await new Promise((r) => setTimeout(r, 50));
  return { port, url: `redis://127.0.0.1:${port}`, child };
}

/** A `pdfraster worker --concurrency 1` logging every page as JSON (`page-done` has its render, wait and upload times). */
async function startWorker(url) {
  const child = spawn(process.execPath, [CLI, "worker", "--redis", url, "--concurrency", "1", "--verbose", "--json"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, TMPDIR: work } });
  started.push(child);
  child.log = "";
  child.stderr.on("data", (d) => (child.log += d));
  while (!child.log.includes('"type":"ready"')) await new Promise((r) => setTimeout(r, 50));
  // The worker forks its render processes at start: wait until they are up (they are idle then).
  await new Promise((r) => setTimeout(r, 1500));
  return child;
}

/** The `page-done` events a worker logged after `offset` (a position in its log). */
function pagesLogged(worker, offset) {
  return worker.log
    .slice(offset)
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))
    .filter((event) => event.type === "page-done")
    .map((event) => {
      // Builds before waitMs and uploadMs were logged: the render's end is taken as the log line's time.
      const end = Date.parse(event.time) - (event.uploadMs ?? 0);
      return { start: end - event.ms, end, ms: event.ms, waitMs: event.waitMs ?? NaN, uploadMs: event.uploadMs ?? NaN };
    });
}

/**
 * Where the render processes' time went in a cluster run (each worker has one): from the submitter's
 * start to each one's first page, between pages, after its last page to the submitter's exit.
 */
function renderBreakdown(perWorker, startedAt, endedAt) {
  const all = perWorker.flat();
  const firstStart = Math.min(...all.map((p) => p.start));
  const lastEnd = Math.max(...all.map((p) => p.end));
  let between = 0;
  let longest = 0;
  for (const pages of perWorker) {
    pages.sort((a, b) => a.start - b.start);
    for (let i = 1; i < pages.length; i++) {
      const gap = Math.max(0, pages[i].start - pages[i - 1].end);
      between += gap;
      longest = Math.max(longest, gap);
    }
  }
  const mean = (f) => all.reduce((sum, p) => sum + f(p), 0) / all.length;
  return {
    slots: perWorker.length,
    startMs: firstStart - startedAt,
    /** Idle between two pages, summed over the render processes. */
    betweenMs: between,
    longestGapMs: longest,
    /** One render process done while another still renders, summed (plus a later first page). */
    imbalanceMs: perWorker.reduce((sum, pages) => sum + (lastEnd - pages.at(-1).end) + (pages[0].start - firstStart), 0),
    tailMs: endedAt - lastEnd,
    busyMs: all.reduce((sum, p) => sum + p.ms, 0),
    waitMs: mean((p) => p.waitMs),
    uploadMs: mean((p) => p.uploadMs),
  };
}

const TICK_MS = 10; // USER_HZ
/**
 * CPU ms of a worker service so far: `self`, the service's own event loop (BullMQ, ioredis, the image
 * upload), and `render`, its render processes (live ones, and those reaped: recycled or replaced).
 */
function serviceCpuMs(pid) {
  const stat = (p) => {
    try {
      const text = readFileSync(`/proc/${p}/stat`, "latin1");
      return text.slice(text.lastIndexOf(")") + 2).split(" ").map(Number);
    } catch {
      return undefined;
    }
  };
  const self = stat(pid);
  if (!self) return { self: 0, render: 0 };
  let render = (self[13] + self[14]) * TICK_MS;
  const kids = spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).map(Number);
  for (const kid of kids) {
    const k = stat(kid);
    if (k) render += (k[11] + k[12]) * TICK_MS;
  }
  return { self: (self[11] + self[12]) * TICK_MS, render };
}

/** Redis's CPU ms so far (INFO used_cpu_user + used_cpu_sys). */
const redisCpuNow = (port) => {
  const info = redisInfo(port);
  return (Number(info.used_cpu_user) + Number(info.used_cpu_sys)) * 1000;
};

/** Each worker service's CPU (own and render processes) since `before` (serviceCpuMs of each, in order). */
const servicesCpuSince = (workers, before) =>
  workers.map((w, i) => {
    const now = serviceCpuMs(w.pid);
    return { self: now.self - before[i].self, render: now.render - before[i].render };
  });

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
}

async function run(label, input, runDpi, extra) {
  if (!args["no-settle"]) await settle();
  const out = join(work, `${label}.pdf`);
  const startedAt = Date.now();
  const r = await measure(process.execPath, [CLI, input, out, "--dpi", String(runDpi), "--format", "jpeg", "--json", "--quiet", ...extra], { tmpDir: work });
  const endedAt = Date.now();
  if (r.code !== 0) throw new Error(`${label} failed (${r.code}): ${r.stderr}`);
  const report = JSON.parse(r.stdout);
  rmSync(out, { force: true });
  return { ...r, report, startedAt, endedAt };
}

/** Time the render processes spent rendering (the engine, readback, encoding, writing), from a report. */
const renderMs = (report) => ["load", "draw", "readback", "encode", "write"].reduce((sum, key) => sum + report.timings[key], 0);

const ms = (value) => `${(value / 1000).toFixed(1)} s`;
const SOURCE = fileURLToPath(new URL("../../shared/corpus/pdfjs/tracemonkey.pdf", import.meta.url));

/** tracemonkey.pdf (14 pages) `times` times over, with qpdf. */
function makeInput(times) {
  const path = join(work, `tracemonkey-x${times}.pdf`);
  const r = spawnSync("qpdf", ["--empty", "--pages", ...Array(times).fill(SOURCE), "--", path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`qpdf failed: ${r.stderr}`);
  return path;
}

try {
  const pages = repeat * 14;
  const memoryPages = memoryRepeat * 14;
  const input = makeInput(repeat);
  const long = makeInput(memoryRepeat);

  // 1. Overhead: the same document, local --workers 2 and a cluster of 2 x concurrency 1.
  const redis = await startRedis();
  const workers = [await startWorker(redis.url), await startWorker(redis.url)];
  log(`local --workers 2, ${pages} pages at ${dpi} dpi`);
  const local = await run("local", input, dpi, ["--workers", "2"]);
  const redisBefore = redisCpuNow(redis.port);
  const servicesBefore = workers.map((w) => serviceCpuMs(w.pid));
  log(`cluster of 2 workers, the same`);
  const offsets = workers.map((w) => w.log.length);
  const cluster = await run("cluster", input, dpi, ["--redis", redis.url]);
  const breakdown = renderBreakdown(workers.map((w, i) => pagesLogged(w, offsets[i])), cluster.startedAt, cluster.endedAt);
  const services = servicesCpuSince(workers, servicesBefore);
  const workersCpuMs = services.reduce((sum, cpu) => sum + cpu.self + cpu.render, 0);
  const redisCpuMs = redisCpuNow(redis.port) - redisBefore;
  const overheadPct = ((cluster.wallMs - local.wallMs) / local.wallMs) * 100;
  // CPU is what a shared machine cannot distort much: everything the cluster spent (submitter,
  // workers and their render processes, Redis) against everything the local run spent.
  const localCpuMs = local.cpuMs ?? local.masterCpuMs + local.workersCpuMs;
  const clusterCpuMs = (cluster.cpuMs ?? cluster.masterCpuMs) + workersCpuMs + redisCpuMs;
  const cpuOverheadPct = ((clusterCpuMs - localCpuMs) / localCpuMs) * 100;
  const rendered = cluster.report.rendered;
  const t = cluster.report.timings;
  // Per page: time from queueing a page to having its image locally, beyond the worker's own render
  // time (the queue wait of a window of 3x concurrency is in it), and the submitter's CPU.
  const perPage = {
    wallOverheadMs: (cluster.wallMs - local.wallMs) / rendered,
    queueAndTransferMs: t.ipc / rendered,
    assembleMs: t.assemble / rendered,
    renderSlotMs: (local.wallMs * 2) / rendered,
    imageBytes: cluster.report.outputBytes / rendered,
  };
  // More pairs, alternating which goes first, so that a drift of the machine's speed hits both. Each
  // cluster run gets workers started afresh, as the first: a local run forks new render processes,
  // and render processes warm from an earlier run (JIT, fonts) would flatter the cluster.
  // Per pair, besides wall time: the CPU of the cluster's own processes (submitter, worker services,
  // Redis) beyond the local master's, and of every process of each run.
  const ownCpuMs = (submitterMs, servicesSelfMs, redisMs, masterMs) => submitterMs + servicesSelfMs + redisMs - masterMs;
  const pairs = [
    {
      local: local.wallMs,
      cluster: cluster.wallMs,
      localCpu: localCpuMs,
      clusterCpu: clusterCpuMs,
      ownCpu: ownCpuMs(cluster.masterCpuMs, services.reduce((sum, cpu) => sum + cpu.self, 0), redisCpuMs, local.masterCpuMs),
    },
  ];
  for (let i = 1; i < Number(args.pairs ?? 1); i++) {
    log(`pair ${i + 1} of ${args.pairs}`);
    const order = i % 2 === 1 ? ["cluster", "local"] : ["local", "cluster"];
    const pair = {};
    for (const mode of order) {
      if (mode === "cluster") {
        for (const w of workers.splice(0)) await stop(w);
        workers.push(await startWorker(redis.url), await startWorker(redis.url));
      }
      const redisAtStart = redisCpuNow(redis.port);
      const servicesAtStart = workers.map((w) => serviceCpuMs(w.pid));
      const r = await run(mode, input, dpi, mode === "local" ? ["--workers", "2"] : ["--redis", redis.url]);
      const redisMs = redisCpuNow(redis.port) - redisAtStart;
      const servicesNow = servicesCpuSince(workers, servicesAtStart);
      pair[mode] = r.wallMs;
      if (mode === "local") {
        pair.localCpu = r.cpuMs ?? r.masterCpuMs + r.workersCpuMs;
        pair.localMaster = r.masterCpuMs;
      } else {
        pair.clusterCpu = (r.cpuMs ?? r.masterCpuMs) + servicesNow.reduce((sum, cpu) => sum + cpu.self + cpu.render, 0) + redisMs;
        pair.submitter = r.masterCpuMs;
        pair.servicesSelf = servicesNow.reduce((sum, cpu) => sum + cpu.self, 0);
        pair.redis = redisMs;
      }
    }
    pair.ownCpu = ownCpuMs(pair.submitter, pair.servicesSelf, pair.redis, pair.localMaster);
    pairs.push(pair);
  }
  const pairPcts = pairs.map((p) => ((p.cluster - p.local) / p.local) * 100);
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length % 2 ? sorted[sorted.length >> 1] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  };
  const sum = (key) => pairs.reduce((total, p) => total + p[key], 0);
  const mean = pairPcts.reduce((total, v) => total + v, 0) / pairPcts.length;
  // The standard error of the pairs' mean: how far the machine's noise leaves it from the true overhead.
  const stderr = Math.sqrt(pairPcts.reduce((total, v) => total + (v - mean) ** 2, 0) / Math.max(1, pairPcts.length - 1) / pairPcts.length);
  const pairsLine =
    pairs.length > 1
      ? [
          `wall overhead over ${pairs.length} pairs (alternating which runs first): ${pairPcts.map((v) => `${v.toFixed(1)}%`).join(", ")}; median ${median(pairPcts).toFixed(1)}%, mean ${mean.toFixed(1)}% ± ${stderr.toFixed(1)} (standard error); all cluster runs against all local runs ${(((sum("cluster") - sum("local")) / sum("local")) * 100).toFixed(1)}% (${ms(sum("cluster"))} against ${ms(sum("local"))})`,
          `CPU over the ${pairs.length} pairs: all processes, cluster against local ${(((sum("clusterCpu") - sum("localCpu")) / sum("localCpu")) * 100).toFixed(1)}%; the cluster's own processes (submitter, worker services, Redis) beyond the local master ${(sum("ownCpu") / pairs.length / pages).toFixed(2)} ms a page (${((100 * sum("ownCpu")) / sum("localCpu")).toFixed(1)}% of the local runs' CPU; per pair ${pairs.map((p) => (p.ownCpu / pages).toFixed(1)).join(", ")})`,
        ].join("\n")
      : undefined;
  for (const w of workers) await stop(w);
  const slotMs = (r) => 2 * r.wallMs;
  const b = breakdown;
  // CPU per page of each process, cluster against local: where the extra CPU on the shared cores goes.
  const perPageCpu = {
    local: { master: local.masterCpuMs / local.report.rendered, render: local.workersCpuMs / local.report.rendered },
    cluster: {
      submitter: cluster.masterCpuMs / rendered,
      services: services.map((cpu) => cpu.self / rendered),
      render: services.reduce((sum, cpu) => sum + cpu.render, 0) / rendered,
      redis: redisCpuMs / rendered,
    },
  };
  const c = perPageCpu.cluster;
  const extra = c.submitter + c.services.reduce((sum, v) => sum + v, 0) + c.redis - perPageCpu.local.master;
  const breakdownLines = [
    `CPU ms per page: local master ${perPageCpu.local.master.toFixed(2)}, render processes ${perPageCpu.local.render.toFixed(1)}; cluster submitter ${c.submitter.toFixed(2)}, worker services ${c.services.map((v) => v.toFixed(2)).join(" + ")}, Redis ${c.redis.toFixed(2)}, render processes ${c.render.toFixed(1)}; the cluster's own processes beyond the local master: ${extra.toFixed(2)} ms a page (${((100 * extra) / (perPageCpu.local.master + perPageCpu.local.render)).toFixed(1)}% of the local run's CPU), render processes ${(c.render - perPageCpu.local.render).toFixed(1)} ms a page`,
    `render processes busy: local ${((100 * renderMs(local.report)) / slotMs(local)).toFixed(1)}% of 2 x wall (${(renderMs(local.report) / local.report.rendered).toFixed(0)} ms a page), cluster ${((100 * renderMs(cluster.report)) / slotMs(cluster)).toFixed(1)}% (${(renderMs(cluster.report) / rendered).toFixed(0)} ms a page)`,
    `cluster render processes, summed over the ${b.slots}: start ${ms(b.slots * b.startMs)} (submitter start to the first page rendering: ${b.startMs.toFixed(0)} ms), idle between pages ${(b.betweenMs / 1000).toFixed(2)} s (${((100 * b.betweenMs) / (b.slots * cluster.wallMs)).toFixed(1)}% of their time, longest gap ${b.longestGapMs.toFixed(0)} ms), one done while another renders ${(b.imbalanceMs / 1000).toFixed(2)} s, tail ${ms(b.slots * b.tailMs)} (last page rendered to the submitter's exit: ${b.tailMs.toFixed(0)} ms)`,
    `cluster per page: ${b.waitMs.toFixed(0)} ms from a worker taking the job to its render starting (a prefetched page waits for the one before), ${b.uploadMs.toFixed(1)} ms from rendered to the submitter told (image into Redis, notify)`,
  ];

  // 2. Memory: a long document through the cluster, on a fresh Redis (used_memory_peak is since start).
  const redis2 = await startRedis();
  const workers2 = [await startWorker(redis2.url), await startWorker(redis2.url)];
  log(`memory: ${memoryPages} pages at ${memoryDpi} dpi through the cluster`);
  const memory = await run("memory", long, memoryDpi, ["--redis", redis2.url]);
  const info2 = redisInfo(redis2.port);
  const longRedisCpuMs = redisCpuNow(redis2.port);
  const redisPeakMb = Number(info2.used_memory_peak) / 1024 / 1024;
  const keysLeft = spawnSync("redis-cli", ["-p", String(redis2.port), "--scan"], { encoding: "utf8" }).stdout.split("\n").filter((k) => k && !/:(meta|id|events|stalled-check|marker|workers|worker:[0-9a-f]+)$/.test(k));
  for (const w of workers2) await stop(w);

  // 3. On paper: M machines with as many render slots as this one has cores. The submitter's and
  // Redis's costs per page come from the long run (start-up and planning spread over 2,000 pages).
  perPage.submitterCpuMs = memory.masterCpuMs / memory.report.rendered;
  perPage.redisCpuMs = longRedisCpuMs / memory.report.rendered;
  perPage.shortRunRedisCpuMs = redisCpuMs / rendered;
  const slots = availableParallelism();
  const renderRate = (m) => (m * slots * 1000) / perPage.renderSlotMs;
  const submitterRate = 1000 / (perPage.submitterCpuMs || 1e-9);
  const redisRate = 1000 / (perPage.redisCpuMs || 1e-9);
  const scale = [1, 4, 16, 64].map((m) => {
    const rate = Math.min(renderRate(m), submitterRate, redisRate);
    const limit = rate === renderRate(m) ? "workers" : rate === submitterRate ? "submitter (assembly, fetch)" : "Redis";
    return { machines: m, pagesPerSecond: Number(rate.toFixed(1)), limit };
  });

  const lines = [
    `pdfraster cluster benchmark (${new Date().toISOString()}, ${slots} cores, shared machine: figures are indicative)`,
    "",
    `| ${pages} pages at ${dpi} dpi | wall | CPU, all processes | submitter CPU | submitter peak RSS |`,
    "|---|--:|--:|--:|--:|",
    `| local --workers 2 | ${ms(local.wallMs)} | ${ms(localCpuMs)} | ${ms(local.masterCpuMs)} | ${local.masterPeakMb.toFixed(0)} MB |`,
    `| cluster, 2 workers x 1 | ${ms(cluster.wallMs)} | ${ms(clusterCpuMs)} (Redis ${ms(redisCpuMs)}) | ${ms(cluster.masterCpuMs)} | ${cluster.masterPeakMb.toFixed(0)} MB |`,
    "",
    `cluster overhead: ${overheadPct.toFixed(1)}% of wall time (${perPage.wallOverheadMs.toFixed(1)} ms per page), ${cpuOverheadPct.toFixed(1)}% of CPU (${((clusterCpuMs - localCpuMs) / rendered).toFixed(1)} ms per page); other load during the runs: ${(local.otherLoad ?? 0).toFixed(1)} and ${(cluster.otherLoad ?? 0).toFixed(1)} cores`,
    ...(pairsLine ? [pairsLine] : []),
    ...breakdownLines,
    `per page (long run): submitter CPU ${perPage.submitterCpuMs.toFixed(2)} ms, Redis CPU ${perPage.redisCpuMs.toFixed(2)} ms, queued-to-local beyond rendering ${perPage.queueAndTransferMs.toFixed(0)} ms (includes the wait in the window), assembly ${perPage.assembleMs.toFixed(2)} ms, image ${(perPage.imageBytes / 1024).toFixed(0)} KB; one render slot ${perPage.renderSlotMs.toFixed(0)} ms`,
    "",
    `memory: ${memoryPages} pages at ${memoryDpi} dpi through the cluster in ${ms(memory.wallMs)}: Redis used_memory_peak ${redisPeakMb.toFixed(1)} MB, submitter peak RSS ${memory.masterPeakMb.toFixed(0)} MB, keys of the run left: ${keysLeft.length}`,
    "",
    `pages/s on paper, machines of ${slots} render slots (${perPage.renderSlotMs.toFixed(0)} ms per page per slot):`,
    "",
    "| machines | pages/s | limited by |",
    "|--:|--:|---|",
    ...scale.map((row) => `| ${row.machines} | ${row.pagesPerSecond} | ${row.limit} |`),
    "",
    `ceilings: one submitter ${submitterRate.toFixed(0)} pages/s (its CPU per page), one Redis ${redisRate.toFixed(0)} pages/s (its CPU per page)`,
  ];
  console.log(lines.join("\n"));
  const result = { date: new Date().toISOString(), command: `npm run bench -- ${process.argv.slice(2).join(" ")}`, pages, dpi, memoryPages, memoryDpi, local: { ...pick(local), cpuMs: localCpuMs }, cluster: { ...pick(cluster), cpuMs: clusterCpuMs, workersCpuMs, redisCpuMs }, overheadPct, pairs: pairs.map((p, i) => ({ ...p, overheadPct: pairPcts[i] })), cpuOverheadPct, perPage, perPageCpu, breakdown, memory: { ...pick(memory), redisPeakMb, keysLeft: keysLeft.length }, scale, submitterRate, redisRate };
  if (args.out) writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  stopAll();
  rmSync(work, { recursive: true, force: true });
}

function pick(r) {
  return { wallMs: Math.round(r.wallMs), masterCpuMs: Math.round(r.masterCpuMs), masterPeakMb: Math.round(r.masterPeakMb), otherLoad: r.otherLoad };
}
