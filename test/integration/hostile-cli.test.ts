/**
 * The CLI against hostile surroundings (issue 19): file names that pose as options, and a folder in the
 * way of an image output. Real CLI runs; every input is the fixture or made here.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runCli, SAMPLE, scratch } from "../helpers/cli.js";

/** Runs a command line in a real shell, in `cwd`, with `pdfraster` the built CLI: the shell expands the globs. */
function shell(cwd: string, line: string): { code: number | null; stderr: string } {
  const run = spawnSync("sh", ["-c", `pdfraster() { "${process.execPath}" "${CLI}" "$@"; }; ${line}`], { cwd, encoding: "utf8", env: { ...process.env, TMPDIR: cwd } });
  return { code: run.status, stderr: run.stderr };
}

describe("file names that pose as options", () => {
  /** A folder `work/in` holding a.pdf and PDFs named `--out-dir=..` and `--keep-text`, beside nothing else in `work`. */
  function folder(): { work: string; inDir: string } {
    const work = scratch();
    const inDir = join(work, "in");
    mkdirSync(inDir);
    for (const name of ["a.pdf", "--out-dir=..", "--keep-text"]) copyFileSync(SAMPLE, join(inDir, name));
    return { work, inDir };
  }
  const visible = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith("pdfraster-")).sort();

  it("an unquoted * that expands to `--keep-text` and `--out-dir=..` is refused (exit 2), nothing is written", () => {
    const { work, inDir } = folder();
    const run = shell(inDir, "pdfraster --out-dir flat/ --dpi 20 --quiet *");
    expect(run.code, run.stderr).toBe(2); // before the fix: 0, with a.pdf written into work/
    expect(run.stderr).toBe("pdfraster: `--keep-text` is an option and the name of a file here (from an unquoted glob?): put files after `--`, or quote the glob\n");
    expect(visible(work)).toEqual(["in"]);
    expect(visible(inDir)).toEqual(["--keep-text", "--out-dir=..", "a.pdf"]);
  });

  it("after `--` and in a quoted glob, such names are files: all three are rendered into flat/", () => {
    for (const line of ["pdfraster --out-dir flat/ --dpi 20 --quiet -- *", "pdfraster --out-dir flat/ --dpi 20 --quiet '*'"]) {
      const { work, inDir } = folder();
      const run = shell(inDir, line);
      expect([line, run.code, run.stderr]).toEqual([line, 0, ""]);
      expect(visible(join(inDir, "flat"))).toEqual(["--keep-text.pdf", "--out-dir=..pdf", "a.pdf"]);
      expect(visible(work)).toEqual(["in"]);
    }
  });

  it("refuses an input that begins with `-` unless it follows `--`; `-` alone is standard input; an option given twice still overrides", async () => {
    const dir = scratch();
    copyFileSync(SAMPLE, join(dir, "-x.pdf"));
    const run = shell(dir, "pdfraster --dpi 20 --quiet -- -x.pdf out.pdf && pdfraster --dpi 20 --quiet - stdin.pdf < -x.pdf && pdfraster --dpi 10 --dpi 20 --quiet -- -x.pdf twice.pdf");
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(readdirSync(dir).sort()).toEqual(["-x.pdf", "out.pdf", "stdin.pdf", "twice.pdf"]);
    const option = shell(dir, "pdfraster --dpi 20 -x.pdf out2.pdf");
    expect([option.code, option.stderr]).toEqual([2, expect.stringMatching(/^pdfraster: `-x.pdf` is an option and the name of a file here/)]);
  });
});

describe("image output is all or nothing", () => {
  it("a folder in the way of p-3.png: exit 2 naming it, no page file written, nothing staged left", async () => {
    const dir = scratch();
    const out = join(dir, "out");
    mkdirSync(join(out, "p-3.png"), { recursive: true });
    const run = await runCli([SAMPLE, join(out, "p-%d.png"), "--dpi", "20", "--quiet"], { env: { TMPDIR: dir } });
    expect(run.code).toBe(2); // before the fix: 1, "unexpected error: EISDIR", p-1.png and p-2.png left
    expect(run.stderr).toBe(`pdfraster: Cannot write ${join(out, "p-3.png")}: a folder is in the way (nothing was written)\n`);
    expect(readdirSync(out)).toEqual(["p-3.png"]);
    expect(readdirSync(dir).sort()).toEqual(["out"]);
  });
});

describe("a Redis password on the command line", () => {
  it("is warned about by every command that takes --redis (it shows in ps), never printed, and not when it comes from PDFRASTER_REDIS", async () => {
    const url = "redis://:hunter2-secret@127.0.0.1:1"; // nothing listens on port 1: each command ends at once
    const warning = "pdfraster: warning: a password given with --redis is visible to every user of this machine (ps); set PDFRASTER_REDIS instead\n";
    for (const args of [["--redis", url, "only-one.pdf"], ["serve", "--redis", url, "--workers", "2"], ["worker", "--redis", url, "--concurrency", "0"], ["cluster", "status", "--redis", url]]) {
      const run = await runCli(args);
      expect([args[0], run.code, run.stderr.startsWith(warning)]).toEqual([args[0], 2, true]);
      expect(run.stderr).not.toContain("hunter2");
    }
    const quiet = await runCli(["serve", "--workers", "2"], { env: { PDFRASTER_REDIS: url } });
    expect(quiet.code).toBe(2);
    expect(quiet.stderr).not.toMatch(/warning|hunter2/);
    const noPassword = await runCli(["cluster", "status", "--redis", "redis://127.0.0.1:1"]);
    expect(noPassword.stderr).not.toMatch(/warning/);
  });
});

describe("a pool that fails before it takes the document", () => {
  it("leaves no partial output behind (the output's file was opened while planning)", async () => {
    const dir = scratch();
    const run = await runCli([SAMPLE, join(dir, "out.pdf"), "--redis", "redis://127.0.0.1:1", "--dpi", "20"], { env: { TMPDIR: dir } });
    expect([run.code, run.stderr]).toEqual([2, "pdfraster: Cannot connect to Redis at redis://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1\n"]);
    expect(readdirSync(dir)).toEqual([]); // before the fix: .out.pdf.<hex>.pdfraster-tmp
  });
});
