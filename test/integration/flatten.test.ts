/**
 * "Flattened means flattened": for corpus files that carry JavaScript, forms (AcroForm/XFA),
 * attachments, annotations, links, actions or XMP metadata, the output holds page images and nothing else.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, PDFStream, type PDFObject } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { corpus, scratch } from "../helpers/cli.js";
import { startCli, waitFor, workerPidsOf } from "../helpers/processes.js";
import { hasTools } from "../helpers/tools.js";

/** Every name used anywhere in the file (dictionary keys and name values), and the /Type values of its objects. */
async function namesIn(path: string): Promise<{ names: Set<string>; types: Set<string> }> {
  const doc = await PDFDocument.load(readFileSync(path), { ignoreEncryption: true, updateMetadata: false });
  const names = new Set<string>();
  const types = new Set<string>();
  const seen = new Set<PDFObject>();
  const walk = (value: PDFObject | undefined): void => {
    if (value === undefined || seen.has(value)) return;
    seen.add(value);
    if (value instanceof PDFName) names.add(value.decodeText());
    else if (value instanceof PDFArray) value.asArray().forEach(walk);
    else if (value instanceof PDFDict || value instanceof PDFStream || value instanceof PDFRawStream) {
      const dict = value instanceof PDFDict ? value : value.dict;
      for (const [key, entry] of dict.entries()) {
        names.add(key.decodeText());
        walk(entry);
      }
      const type = dict.get(PDFName.of("Type"));
      const subtype = dict.get(PDFName.of("Subtype"));
      if (type instanceof PDFName) types.add(type.decodeText() + (subtype instanceof PDFName ? `/${subtype.decodeText()}` : ""));
    }
  };
  for (const [, object] of doc.context.enumerateIndirectObjects()) walk(object);
  walk(doc.context.trailerInfo.Info);
  return { names, types };
}

/** Names that must never reach the output: scripts, actions, forms, annotations, links, attachments, fonts, metadata, structure. */
const FORBIDDEN = [
  "JavaScript", "JS", "OpenAction", "AA", "URI", "Launch", "SubmitForm", "GoToR", "A",
  "AcroForm", "XFA", "Fields", "Widget",
  "Annots", "Annot", "Link", "Popup",
  "EmbeddedFiles", "EmbeddedFile", "Filespec", "Names",
  "Font", "FontDescriptor", "FontFile", "FontFile2", "FontFile3", "ToUnicode",
  "Metadata", "Outlines", "Dests", "StructTreeRoot", "OCProperties",
  "Title", "Author", "Subject", "Keywords",
];
const ALLOWED_TYPES = new Set(["Catalog", "Pages", "Page", "XObject/Image"]);

const HAS_PDFTOTEXT = hasTools("pdftotext");
if (!HAS_PDFTOTEXT) console.warn("pdftotext not installed: the no-extractable-text checks are skipped (apt-get install poppler-utils)");
const text = (path: string): string => spawnSync("pdftotext", [path, "-"], { encoding: "utf8" }).stdout;

describe("the output of a file with active or hidden content holds page images only", () => {
  it.each([
    ["annotation-button-widget.pdf", ["JavaScript", "AcroForm", "XFA", "EmbeddedFile", "Annots", "Widget", "Metadata", "Font"]],
    ["issue15815.pdf", ["JavaScript", "AcroForm", "Annots", "Widget", "Metadata"]],
    ["doc_actions.pdf", ["JavaScript", "AA", "AcroForm", "Annots", "Widget", "Metadata"]],
    ["xfa_issue14315.pdf", ["XFA", "AcroForm", "JavaScript", "Metadata"]],
    ["annotation-link-text-popup.pdf", ["Link", "URI", "Popup", "Annots", "Font"]],
    ["alphatrans.pdf", ["OpenAction", "URI", "Link", "Metadata"]],
  ])("%s", async (file, carries) => {
    const input = corpus(file);
    const before = await namesIn(input);
    for (const name of carries) expect(before.names, `the input carries ${name}`).toContain(name);

    const dir = scratch();
    const out = join(dir, "out.pdf");
    const result = await startCli([input, out, "--dpi", "36", "--workers", "1", "--quiet"], { env: { TMPDIR: dir } }).done;
    expect(result.code, result.stderr).toBe(0);
    const after = await namesIn(out);
    expect(FORBIDDEN.filter((name) => after.names.has(name))).toEqual([]);
    expect([...after.types].filter((type) => !ALLOWED_TYPES.has(type))).toEqual([]);
    expect(after.types).toContain("XObject/Image");
    if (HAS_PDFTOTEXT) expect(text(out).trim()).toBe("");
  });

  it.skipIf(!HAS_PDFTOTEXT)("text that pdftotext finds in the input is gone from the output", async () => {
    const input = corpus("annotation-link-text-popup.pdf");
    expect(text(input)).toMatch(/mozilla/);
    const out = join(scratch(), "out.pdf");
    expect((await startCli([input, out, "--dpi", "36", "--quiet"]).done).code).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(text(out).trim()).toBe("");
  });
});

describe("worker processes", () => {
  it("get no more environment than they need", async () => {
    const dir = scratch();
    const marker = join(dir, "marker");
    const run = startCli([corpus("tracemonkey.pdf"), join(dir, "out.pdf"), "--dpi", "36", "--workers", "1", "--page-timeout", "60"], {
      env: { PDFRASTER_FAULT: `hang@1,once=${marker}`, SECRET_TOKEN: "hunter2", NODE_OPTIONS: "--no-warnings", TMPDIR: dir },
    });
    await waitFor(() => existsSync(marker), 60_000, "the worker to start its page");
    const [worker] = workerPidsOf(run.child.pid!);
    const environ = readFileSync(`/proc/${worker}/environ`, "utf8").split("\0").filter(Boolean);
    process.kill(run.child.pid!, "SIGTERM");
    await run.done;
    const names = environ.map((entry) => entry.slice(0, entry.indexOf("="))).sort();
    expect(names).toContain("PDFRASTER_WORKER");
    expect(names).not.toContain("SECRET_TOKEN");
    expect(names).not.toContain("NODE_OPTIONS"); // no loader hooks or preloads from the parent
    const allowed = new Set(["PDFRASTER_WORKER", "PDFRASTER_ENGINE", "PDFRASTER_FAULT", "TZ", "LANG", "MALLOC_ARENA_MAX", "HOME", "TMPDIR"]);
    expect(names.filter((name) => !allowed.has(name) && !name.startsWith("NODE_CHANNEL_"))).toEqual([]);
    // HOME and TMPDIR are the worker's own folder (the sandbox's one writable place), never the parent's.
    const value = (name: string) => environ.find((entry) => entry.startsWith(`${name}=`))?.slice(name.length + 1);
    expect(value("HOME")).toBe(value("TMPDIR"));
    expect(value("TMPDIR")).not.toBe(dir);
    expect(value("TMPDIR")!.startsWith(dir)).toBe(true);
  });
});
