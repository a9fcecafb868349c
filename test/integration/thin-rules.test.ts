/**
 * Thin light rules survive the default format (`auto`): scripts/hairlines.mjs's page (black text,
 * gray box edges and rules from 50% to 75% gray, 0.24 and 0.5 pt) through the real CLI, once with a
 * blue link (a flat-colour layers page) and once all gray (a page 1-bit would take, which would turn
 * the lightest rules white). Every rule and box edge that poppler draws in the input at 300 DPI is
 * drawn in the output, at the same place, as long.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import sharp from "sharp";
import { expect, it } from "vitest";
import { ROOT, runCli, scratch } from "../helpers/cli.js";

const DPI = 300;
/** A pixel of a line: darker than this (poppler's gray, 0-255). The paper is 255. */
const INK = 250;

/** The page drawn by poppler in gray at DPI: its rows and columns of pixels darker than INK, counted. */
async function darkCounts(pdf: string, dir: string, name: string): Promise<{ rows: number[]; columns: number[] }> {
  const prefix = join(dir, name);
  execFileSync("pdftoppm", ["-r", String(DPI), "-gray", "-singlefile", "-png", pdf, prefix]);
  const { data, info } = await sharp(`${prefix}.png`).raw().toBuffer({ resolveWithObject: true });
  const rows = new Array<number>(info.height).fill(0);
  const columns = new Array<number>(info.width).fill(0);
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      if (data[(y * info.width + x) * info.channels]! < INK) {
        rows[y]!++;
        columns[x]!++;
      }
    }
  }
  return { rows, columns };
}

/** Indices whose count reaches `min` (rules across: rows; box edges down: columns), and the counts. */
function lines(counts: number[], min: number): [number, number][] {
  return counts.flatMap((n, i) => (n >= min ? [[i, n] as [number, number]] : []));
}

for (const variant of ["colour", "gray"] as const) {
  it(`keeps every thin gray rule and box edge of a ${variant === "colour" ? "page with a blue link (layers)" : "black-and-gray page (no 1-bit)"}, by default`, async () => {
    const dir = scratch();
    const input = join(dir, "hairlines.pdf");
    execFileSync(process.execPath, [join(ROOT, "scripts/hairlines.mjs"), input, ...(variant === "gray" ? ["--gray"] : [])]);
    const output = join(dir, "out.pdf");
    const run = await runCli([input, output, "--dpi", String(DPI), "--json", "--quiet"], { env: { TMPDIR: dir } });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { format: string; pageEncodings: { format: string; encoding?: string }[] };
    expect(report.format).toBe("auto");
    expect(report.pageEncodings[0]!.format).toBe("layers");
    const [before, after] = [await darkCounts(input, dir, "in"), await darkCounts(output, dir, "out")];
    const across = lines(before.rows, 600); // the box's top and bottom, four rules (1000 px long)
    const down = lines(before.columns, 200); // the box's sides (250 px)
    expect(across.length, "rules in the input").toBeGreaterThanOrEqual(6);
    expect(down.length, "box sides in the input").toBeGreaterThanOrEqual(2);
    for (const [y, n] of across) {
      const kept = Math.max(...[y - 1, y, y + 1].map((k) => after.rows[k] ?? 0));
      expect(kept, `the rule across row ${y} (${n} px)`).toBeGreaterThanOrEqual(n * 0.9);
    }
    for (const [x, n] of down) {
      const kept = Math.max(...[x - 1, x, x + 1].map((k) => after.columns[k] ?? 0));
      expect(kept, `the box edge down column ${x} (${n} px)`).toBeGreaterThanOrEqual(n * 0.9);
    }
  });
}
