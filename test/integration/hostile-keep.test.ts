/**
 * --keep-links and --keep-outline on a crafted document whose links and bookmarks carry every kind of
 * action (test/helpers/hostile-pdfs.ts): only URI actions with an http, https or mailto URL, as
 * written, come out as web links; a Launch, a GoToR or a script never does (issue 19, item 7).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PDFDict, PDFDocument, PDFHexString, PDFName, PDFString } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { afterAll } from "vitest";
import { runCli, scratch } from "../helpers/cli.js";
import { ACTIONS, makeActionsPdf, makeDeepOutlinePdf } from "../helpers/hostile-pdfs.js";
import { pdfBody, ready, startServe, stopAll } from "../helpers/serve.js";

afterAll(stopAll);

/** Every action dictionary of the output, as `S` and `URI`. */
async function actionsOf(path: string): Promise<Array<{ s: string; uri?: string }>> {
  const doc = await PDFDocument.load(readFileSync(path));
  const found: Array<{ s: string; uri?: string }> = [];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    const dicts = object instanceof PDFDict ? [object, object.lookupMaybe(PDFName.of("A"), PDFDict)] : [];
    for (const dict of dicts) {
      const s = dict?.get(PDFName.of("S"));
      if (!(s instanceof PDFName)) continue;
      const uri = dict!.get(PDFName.of("URI"));
      found.push({ s: s.decodeText(), ...(uri instanceof PDFHexString || uri instanceof PDFString ? { uri: uri.decodeText() } : {}) });
    }
  }
  return found;
}

describe("links and bookmarks that are not web links", () => {
  it("keep only URI actions with http, https or mailto as written; never a Launch, GoToR or script URL", async () => {
    const dir = scratch();
    const input = join(dir, "actions.pdf");
    await makeActionsPdf(input);
    const out = join(dir, "out.pdf");
    const run = await runCli([input, out, "--keep-links", "--keep-outline", "--dpi", "36", "--quiet"], { env: { TMPDIR: dir } });
    expect([run.code, run.stderr]).toEqual([0, ""]);
    const actions = await actionsOf(out);
    const kept = ACTIONS.flatMap((a) => (a.keep ? [a.keep] : []));
    // Each web link twice: the page's link and the bookmark. Before the fix also http://www.launch.example/calc.exe,
    // http://www.launch2.example/calc.exe, http://www.remote.example/doc.pdf#..., https://script.example/x,
    // http://script2.example/y and http://www.noscheme.example/x.
    expect(actions.map((a) => a.uri).sort()).toEqual([...kept, ...kept].sort());
    expect(actions.every((a) => a.s === "URI")).toBe(true);
    const raw = readFileSync(out, "latin1");
    expect(raw).not.toMatch(/\/Launch|\/GoToR|\/JavaScript|\/JS\b|calc\.exe|script\.example|remote\.example|launch[34]\.example|remote[23]\.example/);
  });
});

/** The depth of the output's outline (levels of /First below /Outlines). */
async function outlineDepth(path: string): Promise<number> {
  const doc = await PDFDocument.load(readFileSync(path));
  let depth = 0;
  for (let node = doc.catalog.lookupMaybe(PDFName.of("Outlines"), PDFDict)?.lookupMaybe(PDFName.of("First"), PDFDict); node; node = node.lookupMaybe(PDFName.of("First"), PDFDict)) depth++;
  return depth;
}

describe("bookmarks nested thousands deep (issue 19, item 2)", () => {
  it("the CLI keeps 64 levels of a 1,500-level outline, and renders a 20,000-level one without it, leaving nothing behind", async () => {
    const dir = scratch();
    const [deep, deeper] = [join(dir, "deep.pdf"), join(dir, "deeper.pdf")];
    makeDeepOutlinePdf(deep, 1500); // before the fix: RangeError in pdf.js's structuredClone, exit 1, the temp folder left
    makeDeepOutlinePdf(deeper, 20_000);
    const tmp = scratch();
    const kept = await runCli([deep, join(dir, "deep-out.pdf"), "--keep-outline", "--dpi", "20", "--quiet"], { env: { TMPDIR: tmp } });
    expect([kept.code, kept.stderr]).toEqual([0, ""]);
    expect(await outlineDepth(join(dir, "deep-out.pdf"))).toBe(64);
    // pdf.js 6 gives no outline at all for 20,000 levels (5.6 overflowed its stack, which ended as exit 2,
    // "they nest too deep"): the document renders, without bookmarks. (To do: say so in a warning.)
    const deeperKept = await runCli([deeper, join(dir, "deeper-out.pdf"), "--keep-outline", "--dpi", "20", "--quiet"], { env: { TMPDIR: tmp } });
    expect([deeperKept.code, deeperKept.stderr]).toEqual([0, ""]);
    expect(await outlineDepth(join(dir, "deeper-out.pdf"))).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(["deep-out.pdf", "deep.pdf", "deeper-out.pdf", "deeper.pdf"]);
  });

  it("the service renders the document with the 20,000-level outline and stays up (before: the service process died)", async () => {
    const dir = scratch();
    const deeper = join(dir, "deeper.pdf");
    makeDeepOutlinePdf(deeper, 20_000);
    const service = await startServe(["--workers", "1"]);
    await ready(service);
    const answer = await fetch(`${service.url}/v1/rasterize?dpi=20&keep-outline=1`, { method: "POST", ...pdfBody(deeper) });
    expect(answer.status).toBe(200);
    const out = join(dir, "deeper-out.pdf");
    writeFileSync(out, Buffer.from(await answer.arrayBuffer()));
    expect(await outlineDepth(out)).toBe(0); // as on the CLI: pdf.js 6 gives no outline at this depth
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });
});
