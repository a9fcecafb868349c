import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli } from "../helpers/cli.js";

describe("every option is documented", () => {
  it("each --help flag shows a default (or none) and is in README's CLI reference; each API option has @default", async () => {
    const help = (await runCli(["--help"])).stdout;
    const flags = [...new Set([...help.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!))].filter((f) => !["--help", "--version"].includes(f));
    expect(flags.length).toBeGreaterThan(20);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## CLI"), readme.indexOf("### Formats"));
    for (const flag of flags) expect(table, flag).toContain(`| \`${flag}`);
    // Commander prints one block per option; each names its default unless it is a switch.
    const blocks = help.split(/\n(?= {2}--)/).filter((block) => /^ {2}--[a-z-]+ </.test(block));
    for (const block of blocks) expect(block.replace(/\s+/g, " "), block).toMatch(/\(default: [^)]+\)|default: "[^"]+"/);

    const source = readFileSync(join(ROOT, "src/options.ts"), "utf8");
    const body = source.slice(source.indexOf("export interface RasterizeOptions"), source.indexOf("/** Options after validation"));
    const options = [...body.matchAll(/\*\/\n {2}(\w+)\?:/g)].map((m) => m[1]!);
    expect(options).toContain("format");
    for (const option of options.filter((o) => !["password", "onProgress", "signal"].includes(o))) {
      const doc = body.slice(0, body.indexOf(`  ${option}?:`));
      expect(doc.slice(doc.lastIndexOf("/**")), option).toMatch(/@default/);
    }
  });

  it("each `pdfraster serve --help` flag shows a default and is in README's Service settings; each request field is in its Options", async () => {
    const help = (await runCli(["serve", "--help"])).stdout;
    const flags = [...new Set([...help.matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1]!))].filter((f) => f !== "--help");
    expect(flags.length).toBeGreaterThan(15);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const service = readme.slice(readme.indexOf("## Service"), readme.indexOf("### Errors"));
    const rows = service.split("\n").filter((line) => line.startsWith("| `--"));
    for (const flag of flags) expect(rows.some((row) => row.split(" | ")[0]!.includes(`\`${flag}\``)), flag).toBe(true);
    const blocks = help.split(/\n(?= {2}--)/).filter((block) => /^ {2}--[a-z-]+ </.test(block));
    for (const block of blocks) expect(block.replace(/\s+/g, " "), block).toMatch(/\(default: [^)]+\)|default: "[^"]+"/);
    const { REQUEST_FIELDS } = await import("../../src/serve/request-options.js");
    const options = service.slice(service.indexOf("### Options"));
    for (const field of REQUEST_FIELDS) expect(options, field).toContain(`\`${field}\``);
  });
});
