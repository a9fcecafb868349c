/**
 * The documentation against the real program: every option that `--help` of each command shows
 * (read from the built CLI, not a list kept here) has a row in its docs/ page with the same default,
 * every route the service registers and every exit code is documented, and README.md stays a front
 * page (at most ~15 KB) whose links all resolve.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/errors.js";
import { ROOT, runCli } from "../helpers/cli.js";

const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");

interface HelpOption {
  flag: string;
  /** The default `--help` shows, without quotes; undefined for a switch or none shown. */
  shown: string | undefined;
}

/** The options of one command as commander prints them: `  --flag <arg>  text (default: X)`, wrapped over lines. */
async function helpOptions(args: string[]): Promise<HelpOption[]> {
  const help = await runCli([...args, "--help"]);
  expect(help.code).toBe(0);
  const blocks = help.stdout.slice(help.stdout.indexOf("Options:")).split(/\n(?= {2}(?:-\w, )?--)/).slice(1);
  return blocks
    .map((block) => block.replace(/\s+/g, " ").trim())
    .filter((block) => !/^(-h, )?--help\b|^-V, --version\b/.test(block))
    .map((block) => {
      const flag = /--[a-z-]+/.exec(block)![0];
      const shown = /\(default: ([^)]*(?:\([^)]*\)[^)]*)*)\)\s*$/.exec(block)?.[1];
      return { flag, shown: shown?.replace(/"/g, "") };
    });
}

/** The rows of the Markdown tables of `page` whose first cell names `flag`. */
function rowsFor(page: string, flag: string): string[][] {
  return page
    .split("\n")
    .filter((line) => line.startsWith("| "))
    .map((line) => line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()))
    .filter((cells) => new RegExp(`\`${flag}(?![a-z-])`).test(cells[0] ?? ""));
}

/** What of the default must appear in the docs' default cell: its first clause (`none, retry on --engine` -> `none`). */
function essential(shown: string): string {
  const first = shown.split(/, | \(|; /)[0]!.trim();
  return first.replace(/^number of /, "");
}

describe("docs/ pages document the real program", () => {
  it.each([
    [[], "docs/cli.md"],
    [["serve"], "docs/service.md"],
    [["worker"], "docs/cluster.md"],
    [["cluster", "status"], "docs/cluster.md"],
  ])("every option of `pdfraster %s --help` has a row in %s with its default", async (args, path) => {
    const page = read(path);
    const options = await helpOptions(args);
    expect(options.length).toBeGreaterThan(2);
    const missing: string[] = [];
    for (const { flag, shown } of options) {
      const rows = rowsFor(page, flag);
      if (rows.length === 0) missing.push(`${flag}: no row`);
      if (rows.length === 0 || shown === undefined) continue;
      const cell = rows.map((cells) => (cells[1] ?? "").replace(/`/g, "")).join(" / ");
      if (!cell.toLowerCase().includes(essential(shown).toLowerCase())) missing.push(`${flag}: default \`${shown}\`, documented \`${cell}\``);
    }
    expect(missing).toEqual([]);
  });

  it("every route the service registers is in docs/service.md's endpoints, and every exit code in docs/cli.md and README", () => {
    // The routes are fastify plugins in src/serve/routes/ (app.get<{ Params: ... }>("/path", ...)).
    const sources = readdirSync(join(ROOT, "src/serve/routes")).map((name) => read(`src/serve/routes/${name}`)).join("\n");
    const routes = [...sources.matchAll(/\bapp\.(get|post|put|patch|delete)(?:<[^>]*>)?\("([^"]+)"/g)].map((m) => `${m[1]!.toUpperCase()} ${m[2]}`);
    expect(routes).toContain("GET /v1/jobs/:id/result");
    expect(routes).toContain("POST /v1/rasterize");
    const service = read("docs/service.md");
    const endpoints = service.slice(service.indexOf("### Endpoints"), service.indexOf("### Options"));
    for (const route of routes.filter((r) => r !== "GET /")) expect(endpoints, route).toContain(`\`${route}\``);
    expect(service).toMatch(/`http:\/\/127\.0\.0\.1:8080\/`/); // GET /: the upload page

    const codes = Object.values(ExitCode);
    const cli = read("docs/cli.md");
    const table = cli.slice(cli.indexOf("## Exit codes"));
    const readme = read("README.md");
    const front = readme.slice(readme.indexOf("## Exit codes"), readme.indexOf("## Limitations"));
    for (const code of codes) {
      const row = new RegExp(`^\\| (?:\\d+ / )?${code}(?: / \\d+)? \\|`, "m");
      expect(table, `exit code ${code} in docs/cli.md`).toMatch(row);
      expect(front, `exit code ${code} in README`).toMatch(row);
    }
  });

  it("every API option is documented with @default in src/options.ts and named in docs/api.md or docs/cli.md", () => {
    const source = read("src/options.ts");
    const body = source.slice(source.indexOf("export interface RasterizeOptions"), source.indexOf("/** Options after validation"));
    const options = [...body.matchAll(/\*\/\n {2}(\w+)\?:/g)].map((m) => m[1]!);
    expect(options).toContain("waitTimeout");
    const docs = read("docs/api.md") + read("docs/cli.md");
    for (const option of options) {
      const doc = body.slice(0, body.indexOf(`  ${option}?:`));
      if (!["password", "onProgress", "signal"].includes(option)) expect(doc.slice(doc.lastIndexOf("/**")), option).toMatch(/@default/);
      const flag = `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      expect(docs.includes(`\`${option}\``) || docs.includes(`\`${flag}`), option).toBe(true);
    }
  });
});

describe("README.md is a front page", () => {
  const readme = read("README.md");

  it("is at most 15 KB and links to every docs/ page", () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(15 * 1024);
    for (const page of readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md"))) expect(readme, page).toContain(`](docs/${page})`);
  });

  it("every relative link of README and docs/ resolves: the file exists, and so does the heading it points at", () => {
    const pages = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((n) => n.endsWith(".md")).map((n) => `docs/${n}`)];
    pages.push(...readdirSync(join(ROOT, "bench/results")).filter((n) => n.endsWith(".md")).map((n) => `bench/results/${n}`));
    const broken: string[] = [];
    for (const page of pages) {
      const text = read(page).replace(/```[\s\S]*?```/g, "");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
        const [file, anchor] = target!.split("#") as [string, string | undefined];
        const path = file === "" ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), file);
        if (!existsSync(path)) {
          broken.push(`${page}: ${target}`);
          continue;
        }
        if (anchor !== undefined && !headingSlugs(readFileSync(path, "utf8")).has(anchor)) broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});

/** GitHub's anchors of a Markdown file's headings. */
function headingSlugs(markdown: string): Set<string> {
  const text = markdown.replace(/```[\s\S]*?```/g, "");
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[`*]/g, "")
        .replace(/[^\w\- ]/g, "")
        .replace(/ /g, "-"),
    ),
  );
}
