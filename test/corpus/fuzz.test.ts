/**
 * Fuzz-style robustness (fixed seed, so every run tests the same inputs): corpus files truncated or
 * with random bytes flipped must still give a clean result or a clean error, within the time
 * bound, with every page accounted for and nothing left behind (the same invariants as the sweep).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CORPUS } from "../helpers/cli.js";
import { random } from "../helpers/random.js";
import { problems, sweepOne, type RunRecord } from "./sweep.js";

const SEED = 20_260_301;
/** Varied structure: xref table vs stream, object streams, fonts, images, forms, encryption. */
const FILES: { file: string; password?: string }[] = [
  { file: "tracemonkey.pdf" },
  { file: "alphatrans.pdf" },
  { file: "issue15815.pdf" },
  { file: "cmykjpeg.pdf" },
  { file: "ThuluthFeatures.pdf" },
  { file: "bug1065245.pdf" },
  { file: "issue6010_1.pdf", password: "abc" },
  { file: "annotation-button-widget.pdf" },
];

interface Mutant {
  name: string;
  bytes: Uint8Array;
  password?: string;
}

function mutants(): Mutant[] {
  const next = random(SEED);
  const out: Mutant[] = [];
  for (const { file, password } of FILES) {
    const original = readFileSync(join(CORPUS, file));
    const base = file.replace(/\.pdf$/, "");
    for (let i = 0; i < 2; i++) {
      const at = Math.floor(original.length * (0.05 + 0.9 * next()));
      out.push({ name: `${base}-truncated-at-${at}`, bytes: original.subarray(0, at), password });
    }
    for (let i = 0; i < 2; i++) {
      const bytes = Buffer.from(original);
      const flips = 1 + Math.floor(next() * 32);
      for (let k = 0; k < flips; k++) {
        const at = Math.floor(next() * bytes.length);
        bytes[at] = bytes[at]! ^ (1 << Math.floor(next() * 8));
      }
      const digest = createHash("md5").update(bytes).digest("hex").slice(0, 8);
      out.push({ name: `${base}-${flips}-bitflips-${digest}`, bytes, password });
    }
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "pdfraster-fuzz-"));
const records: RunRecord[] = [];
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const count = (code: number | null): number => records.filter((r) => r.exitCode === code).length;
  console.log(`fuzz (seed ${SEED}): ${records.length} mutants, exit 0: ${count(0)}, exit 3: ${count(3)}, exit 2: ${count(2)}`);
  for (const r of records) console.log(`  ${r.file}: exit ${r.exitCode}, ${r.pages ?? "-"} pages, ${r.failed.length} failed, ${r.seconds} s ${r.error ?? r.failed[0]?.reason ?? ""}`);
});

describe.concurrent("fuzzed corpus files", () => {
  it.each(mutants())("$name", async ({ name, bytes, password }) => {
    const input = join(dir, `${name}.pdf`);
    writeFileSync(input, bytes);
    const record = await sweepOne(input, { password, boundMs: 180_000, name });
    records.push(record);
    expect(problems(record), JSON.stringify(record)).toEqual([]);
    expect(createHash("md5").update(readFileSync(input)).digest("hex")).toBe(createHash("md5").update(bytes).digest("hex"));
  });
});
