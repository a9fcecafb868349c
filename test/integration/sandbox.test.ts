/**
 * The render processes' sandbox (src/sandbox/, docs/security.md), tried for real: a worker made to act
 * as one taken over by a hostile document (PDFRASTER_FAULT escape attempts, src/worker/escape.ts) tries
 * to read secrets, write outside its folder, start a process, reach a loopback service, eval, lie about
 * its result and eat memory. Under the default (`auto`, here bubblewrap + Node's permission model)
 * each attempt is refused, the page fails saying what was refused, and the run goes on; with
 * `--sandbox off` the same attempts succeed, which shows that the tests can fail.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { writeHugeImagePdf } from "../helpers/hostile.js";
import { ready, startServe, stopAll } from "../helpers/serve.js";
import { hasTools } from "../helpers/tools.js";

const HAS_BWRAP = hasTools("bwrap");
const IN_CI = process.env.CI === "true";
/** Node's own folder only: a PATH without bwrap. */
const PATH_WITHOUT_BWRAP = join(process.execPath, "..");

interface Report {
  rendered: number;
  failed: { page: number; reason: string }[];
  sandbox?: { mode: string; layer: string; missing?: string };
}

/** The CLI on pages 1-2 of the sample, `fault` striking page 1, with a secret in its environment (PDFRASTER_TOKEN, a service's). */
async function attempt(fault: string, extra: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = scratch();
  const out = join(dir, "out.pdf");
  const args = [SAMPLE, out, "--pages", "1-2", "--dpi", "36", "--workers", "1", "--on-error", "skip", "--json", "--quiet", ...extra];
  const result = await runCli(args, { env: { PDFRASTER_FAULT: fault.replaceAll("DIR", dir).replace(/^[a-z-]+/, "$&@1"), PDFRASTER_TOKEN: "s3cret-token-of-the-master", TMPDIR: dir, ...env } });
  const report = result.stdout ? (JSON.parse(result.stdout) as Report) : undefined;
  return { dir, out, result, report, reason: report?.failed[0]?.reason ?? "" };
}

/** Both modes: page 1 fails with a reason, page 2 renders, the output has the one page (exit 3). */
function expectRunGoesOn(run: Awaited<ReturnType<typeof attempt>>): void {
  expect(run.result.code, run.result.stderr).toBe(3);
  expect(run.report!.rendered).toBe(1);
  expect(run.report!.failed.map((f) => f.page)).toEqual([1]);
  expect(existsSync(run.out)).toBe(true);
}

describe.skipIf(!HAS_BWRAP && !IN_CI)("a render process taken over by its document", () => {
  it("CI has bubblewrap (a missing bwrap there is a failure, not a skip)", () => {
    expect(HAS_BWRAP).toBe(true);
  });

  const files: [string, string, RegExp][] = [
    ["read /etc/passwd", "read-passwd", /^refused: read \/etc\/passwd: ERR_ACCESS_DENIED/],
    ["read the master's environment", "read-environ,arg=PDFRASTER_TOKEN", /^refused: read \/proc\/\d+\/environ: ERR_ACCESS_DENIED/],
    ["eval", "eval", /^refused: eval: Code generation from strings disallowed/],
  ];
  it.each(files)("cannot %s", async (_what, fault, refused) => {
    const auto = await attempt(fault, []);
    expectRunGoesOn(auto);
    expect(auto.reason).toMatch(refused);
    expect(auto.report!.sandbox).toEqual({ mode: "auto", layer: "bwrap", seccomp: process.arch === "x64" });

    const off = await attempt(fault, ["--sandbox", "off"]);
    expectRunGoesOn(off);
    expect(off.reason).toMatch(/^escaped: /);
    if (fault.startsWith("read-environ")) expect(off.reason).toContain("holds PDFRASTER_TOKEN");
  });

  const writes: [string, string, RegExp][] = [
    ["write outside its folder through fs", "write-fs,arg=DIR/escaped.txt", /^refused: write \S+ through fs: ERR_ACCESS_DENIED/],
    // sharp is native code, outside Node's permission model: bubblewrap's read-only view stops it.
    ["write outside its folder through sharp (native code)", "write-sharp,arg=DIR/escaped.png", /^refused: write \S+ through sharp: .*unable to open for write/],
    ["start a process", "spawn,arg=DIR/escaped.txt", /^refused: spawn \/bin\/sh: ERR_ACCESS_DENIED/],
  ];
  it.each(writes)("cannot %s", async (_what, fault, refused) => {
    const auto = await attempt(fault, []);
    expectRunGoesOn(auto);
    expect(auto.reason).toMatch(refused);
    const target = fault.includes(".png") ? "escaped.png" : "escaped.txt";
    expect(existsSync(join(auto.dir, target))).toBe(false);

    const off = await attempt(fault, ["--sandbox", "off"]);
    expectRunGoesOn(off);
    expect(off.reason).toMatch(/^escaped: /);
    expect(existsSync(join(off.dir, target))).toBe(true);
  });

  describe("a listening loopback port", () => {
    let server: Server;
    let connections = 0;
    beforeAll(async () => {
      server = createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("sees no connection from it (an empty network namespace)", async () => {
      const port = (server.address() as { port: number }).port;
      const auto = await attempt(`connect,arg=${port}`, []);
      expectRunGoesOn(auto);
      // The seccomp filter refuses the socket itself (EAFNOSUPPORT); without it, the empty network namespace would (ENETUNREACH, ECONNREFUSED).
      expect(auto.reason).toMatch(process.arch === "x64" ? /^refused: connect to 127\.0\.0\.1:\d+: EAFNOSUPPORT/ : /^refused: connect to 127\.0\.0\.1:\d+: (ENETUNREACH|ECONNREFUSED)/);
      expect(connections).toBe(0);

      const off = await attempt(`connect,arg=${port}`, ["--sandbox", "off"]);
      expectRunGoesOn(off);
      expect(off.reason).toMatch(/^escaped: connect/);
      expect(connections).toBeGreaterThan(0);
    });
  });

  it("cannot have the master take a file outside its folder as its result (sandbox on or off)", async () => {
    for (const mode of ["auto", "off"]) {
      const dir = scratch();
      const victim = join(dir, "victim.txt");
      writeFileSync(victim, "not a page image\n");
      const run = await attempt(`result-path,arg=${victim}`, ["--sandbox", mode], { TMPDIR: dir });
      expectRunGoesOn(run);
      expect(run.reason).toBe("refused the worker's result: it reported a result path outside its folder");
      expect(readFileSync(victim, "utf8")).toBe("not a page image\n"); // neither moved, read nor deleted
    }
  });

  it("is killed at --max-worker-memory, and the page fails saying so", async () => {
    const capped = await attempt("allocate,arg=1536", ["--max-worker-memory", "256"]);
    expectRunGoesOn(capped);
    expect(capped.reason).toBe("exceeded the worker memory cap of 256 MB");

    const uncapped = await attempt("allocate,arg=1536", ["--max-worker-memory", "0"]);
    expectRunGoesOn(uncapped);
    expect(uncapped.reason).toBe("escaped: allocate 1536 MB (held 1536 MB)");
  });

  it("a 30,000 x 30,000 image (pdf.js: 5.5 GB) is killed at the cap, and the fallback engine renders the page", async () => {
    const dir = scratch();
    const input = join(dir, "huge-image.pdf");
    writeHugeImagePdf(input, 30_000);
    const out = join(dir, "out.pdf");
    const args = [input, out, "--dpi", "72", "--workers", "1", "--max-worker-memory", "768", "--fallback-engine", "pdfium", "--json"];
    const result = await runCli(args, { env: { TMPDIR: dir } });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report & { retried: number[]; fallbackPages: number[] };
    expect(report).toMatchObject({ rendered: 1, failed: [], retried: [1], fallbackPages: [1] });
    expect(result.stderr).toContain("page 1 failed (retrying): exceeded the worker memory cap of 768 MB");
  });

  it("`serve` says what its workers run in on /readyz", async () => {
    const service = await startServe(["--workers", "1"]);
    await ready(service);
    const body = (await (await fetch(`${service.url}/readyz`)).json()) as { sandbox?: string };
    const described = process.arch === "x64" ? "bwrap + seccomp + node-permission" : "bwrap + node-permission";
    expect(body.sandbox).toBe(described);
    expect(service.stderr()).toContain(`sandbox ${described}`);
    await stopAll();
  });
});

describe("without bubblewrap", () => {
  it("`auto` runs with Node's permission model alone and says so once; `strict` refuses with exit 4", async () => {
    const env = { PATH: PATH_WITHOUT_BWRAP };
    const auto = await attempt("read-passwd", [], env);
    expectRunGoesOn(auto);
    expect(auto.reason).toMatch(/^refused: read \/etc\/passwd: ERR_ACCESS_DENIED/);
    expect(auto.report!.sandbox).toEqual({ mode: "auto", layer: "node-permission", missing: "bwrap (bubblewrap) is not installed" });
    const warnings = auto.result.stderr.split("\n").filter((line) => line.includes("render processes run with"));
    expect(warnings).toEqual(["pdfraster: warning: render processes run with Node's permission model only: bwrap (bubblewrap) is not installed (see docs/security.md; --sandbox strict refuses to run so)"]);

    const dir = scratch();
    const strict = await runCli([SAMPLE, join(dir, "out.pdf"), "--sandbox", "strict"], { env: { ...env, TMPDIR: dir } });
    expect(strict.code).toBe(4);
    expect(strict.stderr).toBe("pdfraster: --sandbox strict: no OS sandbox for the render processes: bwrap (bubblewrap) is not installed\n");
    expect(existsSync(join(dir, "out.pdf"))).toBe(false);
  });
});
