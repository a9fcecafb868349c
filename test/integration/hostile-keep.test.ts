/**
 * --keep-links and --keep-outline on a crafted document whose links and bookmarks carry every kind of
 * action (test/helpers/hostile-pdfs.ts): only URI actions with an http, https or mailto URL, as
 * written, come out as web links; a Launch, a GoToR or a script never does (issue 19, item 7).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PDFDict, PDFDocument, PDFHexString, PDFName, PDFString } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { runCli, scratch } from "../helpers/cli.js";
import { ACTIONS, makeActionsPdf } from "../helpers/hostile-pdfs.js";

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
    expect(raw).not.toMatch(/\/Launch|\/GoToR|\/JavaScript|\/JS\b|calc\.exe|script\.example|remote\.example/);
  });
});
