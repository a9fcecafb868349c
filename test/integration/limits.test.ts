import { chmodSync, copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SAMPLE, scratch } from "../helpers/cli.js";
import { startCli } from "../helpers/processes.js";
import { DEFAULTS } from "../../src/options.js";

describe("limits", () => {
  it("a page over --max-pixels fails at once, before any band is rendered; the default lets an A0 page at 600 DPI through", async () => {
    // Page 5 (A4) fills A0 at 600 DPI: 19859x28087 = 558 M pixels, over the old canvas limit
    // (test/corpus/limits.test.ts renders it). Under a lower --max-pixels it fails without a worker trying.
    const dir = scratch();
    const args = [SAMPLE, join(dir, "out.pdf"), "--pages", "5", "--size", "A0", "--dpi", "600", "--max-pixels", "500000000", "--json", "--quiet"];
    const result = await startCli(args, { env: { TMPDIR: dir } }).done;
    expect(result.code).toBe(3);
    const report = JSON.parse(result.stdout);
    expect(report.failed).toEqual([{ page: 5, reason: "raster of 19859x28087 = 557779733 pixels exceeds --max-pixels 500000000" }]);
    expect(report.retried).toEqual([]); // no worker was tried
    expect(19859 * 28087).toBeLessThan(DEFAULTS.maxPixels);
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
