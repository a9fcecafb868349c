#!/usr/bin/env node
// What the render processes' sandbox costs (docs/security.md "Sandbox"): the start-up of one render
// process (fork to ready, the pdf.js engine and sharp loaded) with each launcher, bwrap's own cost
// (`node -e 0` in it), and the wall time of a document through the CLI with --sandbox off and auto,
// interleaved. Build first (`npm run build`).
//
//   node bench/sandbox.mjs [--starts 8] [--runs 3] [--pdf path] [--dpi 150]
import { mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const { values: args } = parseArgs({
  options: {
    starts: { type: "string", default: "8" },
    runs: { type: "string", default: "3" },
    pdf: { type: "string", default: join(ROOT, "../shared/corpus/pdfjs/tracemonkey.pdf") },
    dpi: { type: "string", default: "150" },
  },
});
const { WorkerHandle } = await import(new URL("../dist/pool/worker-handle.js", import.meta.url).href);
const { PlainLauncher } = await import(new URL("../dist/sandbox/plain.js", import.meta.url).href);
const { NodePermissionLauncher } = await import(new URL("../dist/sandbox/node-permission.js", import.meta.url).href);
const { BwrapLauncher, findBwrap } = await import(new URL("../dist/sandbox/bwrap.js", import.meta.url).href);
const { workerSpawnOptions } = await import(new URL("../dist/pool/spawn.js", import.meta.url).href);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const work = mkdtempSync(join(tmpdir(), "pdfraster-bench-sandbox-"));
const launchers = { none: new PlainLauncher(), "node-permission": new NodePermissionLauncher() };
const bwrap = findBwrap();
if (bwrap) launchers.bwrap = new BwrapLauncher(bwrap);

// Start-up: fork to `ready` (engine and encoder loaded), each launcher in turn, `starts` rounds.
const base = workerSpawnOptions("pdfjs", { readable: [args.pdf], workParent: work }, { sandbox: "off", maxWorkerMemoryBytes: 0 });
const startMs = Object.fromEntries(Object.keys(launchers).map((name) => [name, []]));
for (let round = 0; round < Number(args.starts); round++) {
  for (const [name, launcher] of Object.entries(launchers)) {
    const started = performance.now();
    const worker = new WorkerHandle({ ...base, launcher });
    await worker.ready;
    startMs[name].push(performance.now() - started);
    await worker.shutdown();
  }
}
for (const [name, values] of Object.entries(startMs)) {
  console.log(`start-up ${name.padEnd(16)} median ${median(values).toFixed(0)} ms (${values.map((v) => v.toFixed(0)).join(", ")})`);
}

// The wrapper alone: `node -e 0` plain and inside bwrap with the render processes' binds, 15 rounds.
if (bwrap) {
  const { bwrapArgs } = await import(new URL("../dist/sandbox/bwrap.js", import.meta.url).href);
  const wrap = bwrapArgs({ entry: base.entry, readable: [], writable: [], workDir: work });
  const plain = [];
  const wrapped = [];
  for (let round = 0; round < 15; round++) {
    let started = performance.now();
    spawnSync(process.execPath, ["-e", "0"]);
    plain.push(performance.now() - started);
    started = performance.now();
    spawnSync(bwrap, [...wrap, process.execPath, "-e", "0"]);
    wrapped.push(performance.now() - started);
  }
  console.log(`node -e 0: median ${median(plain).toFixed(0)} ms plain, ${median(wrapped).toFixed(0)} ms in bwrap`);
}

// A document through the CLI, one worker, off and auto interleaved: wall time per page.
const pages = Number(spawnSync("qpdf", ["--show-npages", args.pdf], { encoding: "utf8" }).stdout.trim());
const wall = { off: [], auto: [] };
for (let run = 0; run < Number(args.runs); run++) {
  for (const mode of ["off", "auto"]) {
    const out = join(work, `${mode}.pdf`);
    const started = performance.now();
    const r = spawnSync(process.execPath, [join(ROOT, "dist/cli.js"), args.pdf, out, "--dpi", args.dpi, "--workers", "1", "--sandbox", mode, "--format", "jpeg", "--quiet"], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`the CLI failed with --sandbox ${mode}`);
    wall[mode].push(performance.now() - started);
  }
}
for (const [mode, values] of Object.entries(wall)) {
  const ms = median(values);
  console.log(`cli --sandbox ${mode.padEnd(4)} ${pages} pages at ${args.dpi} dpi, 1 worker: median ${(ms / 1000).toFixed(2)} s, ${(ms / pages).toFixed(0)} ms/page (${values.map((v) => (v / 1000).toFixed(2)).join(", ")})`);
}
rmSync(work, { recursive: true, force: true });
