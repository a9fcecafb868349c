#!/usr/bin/env node
// Cluster benchmark (`npm run bench -- --cluster`, or `node bench/cluster.mjs` after a build): a local
// run with --workers 2 against a cluster of 2 `pdfraster worker --concurrency 1` on a loopback Redis
// (started here, no persistence), the same document; then a long document through the cluster for
// Redis's and the submitter's memory; then pages/s for 1..64 machines on paper, from the measured
// per-page costs. See README "Cluster".
//
// The documents are tracemonkey.pdf repeated with qpdf (as bench/run.mjs's jobs): x8 = 112 pages, x143 = 2,002.
//
//   npm run bench -- --cluster                          112 pages at 300 dpi, 2,002 pages at 150 dpi
//   npm run bench -- --cluster --quick                  28 pages at 150 dpi, 210 pages at 72 dpi (a few minutes)
//   npm run bench -- --cluster --repeat 8 --memory-repeat 143 --dpi 300 --memory-dpi 150
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measure, settle } from "./measure.mjs";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
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
  },
});
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

async function startWorker(url) {
  const child = spawn(process.execPath, [CLI, "worker", "--redis", url, "--concurrency", "1"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, TMPDIR: work } });
  started.push(child);
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  while (!log.includes("ready:")) await new Promise((r) => setTimeout(r, 50));
  // The worker forks its render processes at start: wait until they are up (they are idle then).
  await new Promise((r) => setTimeout(r, 1500));
  return child;
}

const TICK_MS = 10; // USER_HZ
/** CPU ms of a worker service: itself, its reaped children (recycled render processes) and its live ones. */
function treeCpuMs(pid) {
  const stat = (p) => {
    try {
      const text = spawnSync("cat", [`/proc/${p}/stat`], { encoding: "utf8" }).stdout;
      return text.slice(text.lastIndexOf(")") + 2).split(" ").map(Number);
    } catch {
      return undefined;
    }
  };
  const self = stat(pid);
  if (!self) return 0;
  let total = (self[11] + self[12] + self[13] + self[14]) * TICK_MS;
  const kids = spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).map(Number);
  for (const kid of kids) {
    const k = stat(kid);
    if (k) total += (k[11] + k[12]) * TICK_MS;
  }
  return total;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await gone;
}

async function run(label, input, runDpi, extra) {
  if (!args["no-settle"]) await settle();
  const out = join(work, `${label}.pdf`);
  const r = await measure(process.execPath, [CLI, input, out, "--dpi", String(runDpi), "--json", "--quiet", ...extra], { tmpDir: work });
  if (r.code !== 0) throw new Error(`${label} failed (${r.code}): ${r.stderr}`);
  const report = JSON.parse(r.stdout);
  rmSync(out, { force: true });
  return { ...r, report };
}

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
  const before = redisInfo(redis.port);
  const workersBefore = workers.reduce((sum, w) => sum + treeCpuMs(w.pid), 0);
  log(`cluster of 2 workers, the same`);
  const cluster = await run("cluster", input, dpi, ["--redis", redis.url]);
  const after = redisInfo(redis.port);
  const workersCpuMs = workers.reduce((sum, w) => sum + treeCpuMs(w.pid), 0) - workersBefore;
  const redisCpuMs = (Number(after.used_cpu_user) + Number(after.used_cpu_sys) - Number(before.used_cpu_user) - Number(before.used_cpu_sys)) * 1000;
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
  for (const w of workers) await stop(w);

  // 2. Memory: a long document through the cluster, on a fresh Redis (used_memory_peak is since start).
  const redis2 = await startRedis();
  const workers2 = [await startWorker(redis2.url), await startWorker(redis2.url)];
  log(`memory: ${memoryPages} pages at ${memoryDpi} dpi through the cluster`);
  const memory = await run("memory", long, memoryDpi, ["--redis", redis2.url]);
  const info2 = redisInfo(redis2.port);
  const longRedisCpuMs = (Number(info2.used_cpu_user) + Number(info2.used_cpu_sys)) * 1000;
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
  const result = { date: new Date().toISOString(), command: `npm run bench -- ${process.argv.slice(2).join(" ")}`, pages, dpi, memoryPages, memoryDpi, local: { ...pick(local), cpuMs: localCpuMs }, cluster: { ...pick(cluster), cpuMs: clusterCpuMs, workersCpuMs, redisCpuMs }, overheadPct, cpuOverheadPct, perPage, memory: { ...pick(memory), redisPeakMb, keysLeft: keysLeft.length }, scale, submitterRate, redisRate };
  if (args.out) writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  stopAll();
  rmSync(work, { recursive: true, force: true });
}

function pick(r) {
  return { wallMs: Math.round(r.wallMs), masterCpuMs: Math.round(r.masterCpuMs), masterPeakMb: Math.round(r.masterPeakMb), otherLoad: r.otherLoad };
}
