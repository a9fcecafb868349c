import { chmodSync, copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SAMPLE, scratch } from "../helpers/cli.js";
import { startCli } from "../helpers/processes.js";

describe("limits", () => {
  it("a page over the canvas limit (2 GiB RGBA) fails at once with a clear reason, even with --max-pixels raised", async () => {
    // Page 5 (A4) fills A0 at 600 DPI: 19859x28087 = 558 M pixels. Before, it cost two worker
    // attempts and failed with Skia's "Create skia surface failed".
    const dir = scratch();
    const args = [SAMPLE, join(dir, "out.pdf"), "--pages", "5", "--size", "A0", "--dpi", "600", "--max-pixels", "1000000000", "--json", "--quiet"];
    const result = await startCli(args, { env: { TMPDIR: dir } }).done;
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report.failed).toEqual([
      { page: 5, reason: "raster of 19859x28087 = 557779733 pixels exceeds the canvas limit of 536870911 pixels (2 GiB RGBA): lower --dpi" },
    ]);
    expect(report.retried).toEqual([]); // no worker was tried
  });
});

describe("an unreadable input", () => {
  const root = process.getuid?.() === 0;
  if (root) console.warn("running as root, which reads any file: the unreadable-input test is skipped");
  it.skipIf(root)("exits 2 with one line and leaves the input untouched", async () => {
    const dir = scratch();
    const input = join(dir, "locked.pdf");
    copyFileSync(SAMPLE, input);
    chmodSync(input, 0o000);
    const result = await startCli([input, join(dir, "out.pdf")], { env: { TMPDIR: dir } }).done;
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pdfraster: Cannot read .*locked\.pdf: permission denied\n$/);
    chmodSync(input, 0o644);
    expect(readFileSync(input).equals(readFileSync(SAMPLE))).toBe(true);
    expect(readdirSync(dir)).toEqual(["locked.pdf"]);
  });
});
