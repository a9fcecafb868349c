/**
 * Part of `npm run test:corpus`: every PDF of the corpus through `--pdfa 1b` with every keep option
 * (pdf.js, 20 DPI, `--on-error blank`). Each run must be clean as in the main sweep, and each output
 * valid PDF/A-1b for Apache PDFBox Preflight (one JVM for all of them): a file pdfraster cannot make
 * conforming must be refused with a reason (exit 2), never written invalid.
 * PDFRASTER_CORPUS_PDFA_FILES=a.pdf,b.pdf runs only those files.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORPUS, scratch } from "../helpers/cli.js";
import { HAS_PREFLIGHT, preflight } from "../helpers/preflight.js";
import { manifest, problems, sweepOne } from "./sweep.js";

const FILE_BOUND_MS = 180_000;
const only = process.env.PDFRASTER_CORPUS_PDFA_FILES?.split(",");
const files = manifest().filter(({ file }) => !only || only.includes(file));
const KEEP = ["--keep-text", "--keep-links", "--keep-outline", "--keep-metadata"];

describe.skipIf(!HAS_PREFLIGHT)("corpus sweep, --pdfa 1b with every keep option", () => {
  let dir: string;
  const outputs = new Map<string, string>();
  beforeAll(() => {
    dir = scratch("pdfraster-corpus-pdfa-");
  });
  afterAll(() => outputs.clear());

  describe.concurrent("files", () => {
    it.each(files)("$file", async ({ file, password }) => {
      const output = join(dir, file.replace(/[^\w.-]/g, "_"));
      const record = await sweepOne(join(CORPUS, file), { password, boundMs: FILE_BOUND_MS, extraArgs: ["--pdfa", "1b", ...KEEP, "--dpi", "20"], keepOutput: output });
      expect(problems(record), JSON.stringify(record)).toEqual([]);
      if (record.outputPages !== null) outputs.set(file, output);
      else expect(record.exitCode, `${file}: no output and no reason`).toBe(2);
    });
  });

  it("every output is valid PDF/A-1b for PDFBox Preflight", () => {
    expect(outputs.size).toBeGreaterThan(0);
    const results = preflight([...outputs.values()]);
    const invalid = [...outputs].flatMap(([file, output]) => {
      const result = results.get(output)!;
      return result.valid ? [] : [`${file}: ${result.errors.slice(0, 3).join("; ")}`];
    });
    expect(invalid).toEqual([]);
  });
});
