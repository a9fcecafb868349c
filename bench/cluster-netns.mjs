#!/usr/bin/env node
// What a real network costs the cluster (docs/cluster.md "A real network"): Redis, a submitter and two
// `pdfraster worker` hosts (concurrency 1) in network namespaces of their own, every client going
// through a delaying TCP proxy on the Redis host (test/helpers/delay-proxy.ts; the kernel here has no
// tc netem). The same document is submitted at each added round trip, in alternating order, and the
// median wall time is compared with 0 ms added. Needs root (ip netns); run after `npm run build`:
//
//   node bench/cluster-netns.mjs [--repeat 3] [--rtt 0,2,20] [--dpi 150] [--pages 1-14,1-14]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist/cli.js");
const PROXY = join(ROOT, "test/helpers/delay-proxy.ts");
const DOC = join(ROOT, "../shared/corpus/pdfjs/tracemonkey.pdf");
const { values } = parseArgs({ options: { repeat: { type: "string", default: "3" }, rtt: { type: "string", default: "0,2,20" }, dpi: { type: "string", default: "150" }, pages: { type: "string", default: "1-14,1-14" } } });
const rtts = values.rtt.split(",").map(Number);
const pageCount = values.pages.split(",").reduce((sum, range) => sum + (range.includes("-") ? Number(range.split("-")[1]) - Number(range.split("-")[0]) + 1 : 1), 0);

const id = `b${process.pid % 100_000}`;
const sw = `pdfr-${id}-switch`;
const hosts = ["redis", "submit", "w1", "w2"].map((name, i) => ({ name, ns: `pdfr-${id}-${name}`, address: `10.250.${process.pid % 250}.${i + 1}`, peer: `p${id}s${i}` }));
const children = [];
const scratch = mkdtempSync(join(tmpdir(), "pdfraster-bench-netns-"));
const ip = (...args) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "inherit"] });

function cleanUp() {
  for (const child of children) child.kill("SIGKILL");
  for (const host of hosts) spawnSync("ip", ["netns", "del", host.ns]);
  spawnSync("ip", ["netns", "del", sw]);
  rmSync(scratch, { recursive: true, force: true });
}
process.on("exit", cleanUp);
process.on("SIGINT", () => process.exit(130));

function inHost(host, command, args, options = {}) {
  const child = spawn("ip", ["netns", "exec", host.ns, command, ...args], options);
  children.push(child);
  return child;
}

const waitForOutput = (child, text, stream = "stdout") =>
  new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no "${text}" in: ${seen}`)), 30_000);
    const onData = (chunk) => {
      seen += chunk;
      if (!seen.includes(text)) return;
      clearTimeout(timer);
      child[stream].off("data", onData);
      resolve();
    };
    child[stream].on("data", onData);
  });

ip("netns", "add", sw);
ip("-n", sw, "link", "add", "br0", "type", "bridge");
ip("-n", sw, "link", "set", "br0", "up");
for (const host of hosts) {
  ip("netns", "add", host.ns);
  ip("-n", host.ns, "link", "set", "lo", "up");
  ip("-n", host.ns, "link", "add", "eth0", "type", "veth", "peer", "name", host.peer, "netns", sw);
  ip("-n", sw, "link", "set", host.peer, "master", "br0", "up");
  ip("-n", host.ns, "addr", "add", `${host.address}/24`, "dev", "eth0");
  ip("-n", host.ns, "link", "set", "eth0", "up");
}
const [redisHost, submitHost, ...workerHosts] = hosts;
const redis = inHost(redisHost, "redis-server", ["--bind", redisHost.address, "--port", "6379", "--save", "", "--appendonly", "no", "--protected-mode", "no"], { stdio: ["ignore", "pipe", "inherit"] });
await waitForOutput(redis, "Ready to accept connections");
redis.stdout.resume(); // its log is not needed further
const proxy = inHost(redisHost, process.execPath, ["--disable-warning=ExperimentalWarning", PROXY, redisHost.address, "6380", redisHost.address, "6379"], { stdio: ["pipe", "pipe", "inherit"] });
await waitForOutput(proxy, "listening");
const url = `redis://${redisHost.address}:6380`;
for (const host of workerHosts) {
  const worker = inHost(host, process.execPath, [CLI, "worker", "--redis", url, "--queue", "bench", "--concurrency", "1"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, TMPDIR: scratch } });
  await waitForOutput(worker, "ready:", "stderr");
  worker.stderr.pipe(process.stderr); // failures and notable events show
}

async function setRoundTrip(ms) {
  const echoed = waitForOutput(proxy, `delay ${ms / 2}`);
  proxy.stdin.write(`delay ${ms / 2}\n`);
  await echoed;
}

async function submit() {
  const start = performance.now();
  const child = inHost(submitHost, process.execPath, [CLI, DOC, join(scratch, "out.pdf"), "--dpi", values.dpi, "--pages", values.pages, "--redis", url, "--queue", "bench", "--format", "jpeg", "--quiet"], { stdio: ["ignore", "ignore", "inherit"] });
  const code = await new Promise((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`submitter exited with ${code}`);
  return performance.now() - start;
}

const times = new Map(rtts.map((rtt) => [rtt, []]));
await setRoundTrip(0);
await submit(); // warm: each worker host fetches the input once
for (let round = 0; round < Number(values.repeat); round++) {
  for (const rtt of round % 2 === 0 ? rtts : [...rtts].reverse()) {
    await setRoundTrip(rtt);
    times.get(rtt).push(await submit());
  }
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const base = median(times.get(rtts[0]));
console.log(`${pageCount} pages (tracemonkey, --pages ${values.pages}) at ${values.dpi} DPI, 2 worker hosts x --concurrency 1, median of ${values.repeat} (load average at the end: ${loadavg()[0].toFixed(1)})`);
console.log("| added round trip to Redis | wall (median) | every run | vs 0 ms | per page |");
console.log("|--:|--:|--|--:|--:|");
for (const rtt of rtts) {
  const wall = median(times.get(rtt));
  const all = times.get(rtt).map((ms) => (ms / 1000).toFixed(2)).join(", ");
  console.log(`| ${rtt} ms | ${(wall / 1000).toFixed(2)} s | ${all} | ${(((wall - base) / base) * 100).toFixed(1)}% | ${((wall - base) / pageCount).toFixed(1)} ms |`);
}
process.exit(0);
