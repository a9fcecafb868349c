/**
 * Apache PDFBox Preflight (Debian's libpdfbox2-java), the independent PDF/A-1b validator of the
 * tests. One JVM validates a whole list of files (its `xml group` mode). In CI (CI=true) a missing
 * validator is a failure, not a skip: .ci/run installs it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { scratch } from "./cli.js";

const JARS = ["preflight", "pdfbox2", "xmpbox", "fontbox2", "commons-logging", "javax.activation", "jaxb-api"].map((name) => `/usr/share/java/${name}.jar`);

export const HAS_PREFLIGHT = JARS.every((jar) => existsSync(jar)) && hasJava();
if (!HAS_PREFLIGHT) {
  const install = "apt-get install default-jre-headless libpdfbox2-java libactivation-java libjaxb-api-java";
  if (process.env.CI === "true") throw new Error(`PDFBox Preflight is not installed: the PDF/A tests need it in CI (${install})`);
  console.warn(`PDFBox Preflight not installed: the PDF/A validation tests are skipped (${install})`);
}

function hasJava(): boolean {
  try {
    execFileSync("java", ["-version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** The command that validates one file, as docs/outputs.md gives it. */
export const PREFLIGHT_COMMAND = ["java", "-cp", JARS.join(":"), "org.apache.pdfbox.preflight.Validator_A1b"];

export interface PreflightResult {
  valid: boolean;
  /** `code: details` of each error. */
  errors: string[];
}

/** Validates each file as PDF/A-1b; the result of each by its path. The files' base names must differ. */
export function preflight(paths: readonly string[]): Map<string, PreflightResult> {
  const names = new Set(paths.map((path) => basename(path)));
  if (names.size !== paths.length) throw new Error("preflight(): the files' base names must differ (its report names files by them)");
  const dir = mkdtempSync(join(scratch("pdfraster-preflight-"), "run-"));
  try {
    const list = join(dir, "files.txt");
    writeFileSync(list, paths.join("\n") + "\n");
    const [java, ...args] = PREFLIGHT_COMMAND;
    execFileSync(java!, [...args, "xml", "group", list], { stdio: ["ignore", "ignore", "pipe"], timeout: 300_000 });
    const report = readFileSync(`${list}.preflight.xml`, "utf8");
    const results = new Map<string, PreflightResult>();
    for (const block of report.split("<preflight ").slice(1)) {
      const name = /^name="([^"]*)"/.exec(block)?.[1];
      const path = paths.find((p) => basename(p) === name);
      if (!path) throw new Error(`preflight reported on an unknown file: ${String(name)}`);
      const valid = /<isValid[^>]*>true<\/isValid>/.test(block);
      const errors = [...block.matchAll(/<code>([^<]*)<\/code>\s*<details>([^<]*)<\/details>/g)].map((m) => `${m[1]}: ${m[2]}`);
      results.set(path, { valid, errors });
    }
    for (const path of paths) if (!results.has(path)) throw new Error(`preflight did not report on ${path}`);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
