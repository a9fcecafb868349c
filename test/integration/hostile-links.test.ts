/**
 * --keep-links on a crafted page (issue 19, item 2): 20,000 link annotations and one whose /Dest is
 * nested 100,000 deep. The links are read by pdf.js in the render process (a crash there costs one
 * page), at most MAX_LINKS_PER_PAGE of them, and the master reads the page's sidecar only under its
 * size limit (unit-tested in keep-limits.test.ts). Real CLI runs and a real service.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { leftoverTempDirs, runCli, scratch } from "../helpers/cli.js";
import { makeManyLinksPdf } from "../helpers/hostile-pdfs.js";
import { form, ready, startServe, stopAll, whilePolled } from "../helpers/serve.js";

afterAll(stopAll);

const count = (pdf: Buffer | string): number => (String(pdf).match(/\/S \/URI/g) ?? []).length;

describe("a page with 20,000 links and a destination nested 100,000 deep", () => {
  const dir = scratch();
  const input = join(dir, "links.pdf");
  makeManyLinksPdf(input, 20_000, 100_000);

  it("the CLI keeps the first 10,000 links and renders the page (exit 0, nothing on stderr)", async () => {
    const out = join(dir, "out.pdf");
    const run = await runCli([input, out, "--keep-links", "--dpi", "10", "--quiet"], { env: { TMPDIR: dir } });
    expect([run.code, run.stderr]).toEqual([0, ""]);
    // Before the fix all 20,000 (100,000 made a 20 MB output).
    expect(count(readFileSync(out, "latin1"))).toBe(10_000);
    expect(leftoverTempDirs(dir)).toEqual([]);
  });

  it("the service answers it (200) with /healthz answering within a second all along", async () => {
    const service = await startServe(["--workers", "1"]);
    await ready(service);
    const request = fetch(`${service.url}/v1/rasterize`, { method: "POST", body: form(input, { dpi: "10", "keep-links": "1" }) });
    const { answer, unhealthy } = await whilePolled(service, request);
    expect([answer.status, unhealthy]).toEqual([200, []]);
    expect(count(Buffer.from(await answer.arrayBuffer()).toString("latin1"))).toBe(10_000);
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });
});
