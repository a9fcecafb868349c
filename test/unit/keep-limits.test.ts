/**
 * The master's side of the keep options against a worker's sidecar it must not trust with its memory:
 * the JSON is parsed on the master's thread, so its size is checked first (issue 19, item 2).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Keeper, MAX_SIDECAR_BYTES } from "../../src/keep/keeper.js";
import { layoutPage, parseSize } from "../../src/paper.js";
import type { PageResult } from "../../src/pool/messages.js";

const dir = mkdtempSync(join(tmpdir(), "pdfraster-keep-limits-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Keeper: a sidecar's size", () => {
  const layout = layoutPage(612, 792, { size: parseSize("A4"), dpi: 72, fit: "contain", orientation: "auto", margins: [0, 0, 0, 0] });
  const keeper = Keeper.create({ pages: [{ pageNumber: 1, layout }] }, { keepText: "visible", keepOutline: false, keepLinks: true, keepMetadata: false })!;
  const result = (extractPath: string): PageResult => ({
    id: 0, engine: "pdfjs", path: "", bytes: 1, outputBytes: 1, format: "jpeg", width: 612, height: 792, components: 3, bitsPerComponent: 8, extractPath,
    timings: { load: 0, draw: 0, readback: 0, encode: 0, write: 0, total: 0 },
  });
  /** A valid sidecar of about `bytes`: text runs of 100 characters. */
  const sidecar = (name: string, bytes: number): string => {
    const run = { text: "x".repeat(100), matrix: [10, 0, 0, -10, 72, 100] };
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify({ text: Array.from({ length: Math.ceil(bytes / JSON.stringify(run).length) }, () => run), links: [] }));
    return path;
  };

  it("over the limit: the page fails with the reason before the JSON is parsed, and the file is removed", async () => {
    const path = sidecar("big.json", MAX_SIDECAR_BYTES + 1024);
    await expect(keeper.overlay(0, result(path))).rejects.toThrow(/^cannot read the page's text and links: \d+ bytes, over the limit of 16777216$/);
    expect(existsSync(path)).toBe(false);
  });

  it("under it: read as before", async () => {
    const overlay = await keeper.overlay(0, result(sidecar("ok.json", 1024 * 1024)));
    expect(overlay?.text?.length).toBeGreaterThan(5000);
  });
});
