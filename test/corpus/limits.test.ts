/**
 * The largest legitimate pages: a 600 DPI A0 page must finish within the default --page-timeout
 * (this is what the default was chosen for; README, "Reliability"). Needs ~5 GB of memory.
 */
import { join } from "node:path";
import { expect, it } from "vitest";
import { corpus, scratch } from "../helpers/cli.js";
import { inspectPdf } from "../helpers/pdf.js";
import { startCli } from "../helpers/processes.js";

it("renders a 600 DPI A0 page (511 M pixels, over sharp's own 2^28 pixel limit) with the default page timeout", async () => {
  const dir = scratch();
  const out = join(dir, "a0.pdf");
  const args = [corpus("tracemonkey.pdf"), out, "--pages", "1", "--size", "A0", "--dpi", "600", "--max-pixels", "536870911", "--workers", "1", "--json", "--quiet"];
  const result = await startCli(args, { env: { TMPDIR: dir } }).done;
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ rendered: 1, failed: [], retried: [] });
  const [page] = (await inspectPdf(out)).pages;
  expect([page!.images[0]!.width, page!.images[0]!.height]).toEqual([19866, 25709]);
}, 600_000);
