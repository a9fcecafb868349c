import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { commanderOptions, inScope, namesOf, switchArguments, valuesOf, type OptionSpec } from "../../src/option-table.js";
import { DEFAULTS, normalizeOptions, RUN_OPTIONS, type RasterizeOptions } from "../../src/options.js";
import { normalizeServiceOptions, SERVICE_OPTIONS } from "../../src/serve/config.js";
import { REQUEST_FIELDS, requestOptions } from "../../src/serve/request-options.js";

function thrown(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("did not throw");
}

describe("the option table", () => {
  it("declares every option once: keys and flags unique, defaults those of DEFAULTS", () => {
    for (const table of [RUN_OPTIONS, SERVICE_OPTIONS] as readonly (readonly OptionSpec[])[]) {
      expect(new Set(table.map((spec) => spec.key)).size).toBe(table.length);
      expect(new Set(table.map((spec) => spec.flag)).size).toBe(table.length);
    }
    for (const spec of RUN_OPTIONS) {
      // `format` has none on purpose: whether it was given matters (an output's extension may set it).
      if (spec.key in DEFAULTS && spec.key !== "format") expect(spec.default, spec.key).toBe(DEFAULTS[spec.key as keyof typeof DEFAULTS]);
      // A switch names a value in --help only when it may take one (`--keep-text [which]`); everything else always does.
      expect(spec.arg !== undefined, spec.key).toBe(spec.type !== "boolean" || spec.choices !== undefined);
    }
  });

  it("makes each command's options from the table: what a flag parses to reaches its option", () => {
    const command = new Command().exitOverride();
    for (const option of commanderOptions(RUN_OPTIONS, "run")) command.addOption(option);
    command.parse(["--max-pixels", "5000", "--on-error", "skip", "--keep-text", "--fallback-engine", "pdfium"], { from: "user" });
    const values = valuesOf(RUN_OPTIONS, "run", command.opts());
    expect(values).toMatchObject({ maxPixels: "5000", onError: "skip", keepText: true, fallbackEngine: "pdfium", dpi: String(DEFAULTS.dpi) });
    const options = normalizeOptions(values as RasterizeOptions);
    expect([options.maxPixels, options.onError, options.keepText, options.fallbackEngine]).toEqual([5000, "skip", "visible", "pdfium"]);
  });

  it("gives each scope its slice: request fields are not service flags, worker flags are the render processes' settings", () => {
    const request = inScope(RUN_OPTIONS, "request").map((spec) => spec.flag);
    expect(REQUEST_FIELDS).toEqual([...request, "output"]);
    expect(request).not.toContain("workers");
    expect(request).not.toContain("engine");
    expect(inScope(RUN_OPTIONS, "worker").map((spec) => spec.key)).toEqual(["maxPixels", "pageTimeout", "maxPagesPerWorker", "maxWorkerMemory", "sandbox"]);
    expect(() => requestOptions({ engine: "mupdf" }, normalizeOptions())).toThrow("`engine` is a setting of the whole service");
  });

  it("lets each front end name a bad option its own way, without rewording messages", () => {
    const api = thrown(() => normalizeOptions({ onError: "maybe" as never }));
    const cli = thrown(() => normalizeOptions({ onError: "maybe" as never }, namesOf(RUN_OPTIONS, "flag")));
    const field = thrown(() => requestOptions({ "on-error": "maybe" }, normalizeOptions()));
    expect([api.message, api.option]).toEqual(["Expected `onError` to be one of abort, blank, skip, got `maybe` (string)", "onError"]);
    expect([cli.message, cli.option]).toEqual(["Expected `--on-error` to be one of abort, blank, skip, got `maybe` (string)", "--on-error"]);
    expect([field.message, field.option]).toEqual(["Expected `on-error` to be one of abort, blank, skip, got `maybe` (string)", "on-error"]);
    // Messages that name two options, and the parsers of sizes and margins, too.
    expect(thrown(() => normalizeOptions({ color: "mono", format: "jpeg" }, namesOf(RUN_OPTIONS, "flag"))).message).toBe(
      "`--color` mono is stored 1-bit and lossless (JBIG2 or G4 in a PDF, PNG files), never JPEG: leave `--format` out (or give png or auto) with it",
    );
    expect(thrown(() => normalizeOptions({ margin: "1,2" }, namesOf(RUN_OPTIONS, "field"))).option).toBe("margin");
    expect(thrown(() => normalizeOptions({ size: "A99" }, namesOf(RUN_OPTIONS, "flag"))).option).toBe("--size");
    const service = thrown(() => normalizeServiceOptions({ maxBodyBytes: 1 }, {}, namesOf(SERVICE_OPTIONS, "flag")));
    expect([service.message, service.option]).toEqual(["Expected `--max-body` to be an integer from 1024 to 9007199254740991, got `1`", "--max-body"]);
  });

  it("reads a request's switches and sizes from text, and names a bad one as the request did", () => {
    const fields = requestOptions({ "keep-text": "", "keep-links": "off", dpi: "" }, normalizeOptions()).options;
    expect([fields.keepText, fields.keepLinks, fields.dpi]).toEqual(["visible", false, DEFAULTS.dpi]);
    expect(thrown(() => requestOptions({ "keep-outline": "maybe" }, normalizeOptions())).option).toBe("keep-outline");
    expect(valuesOf(SERVICE_OPTIONS, "service", { maxBodyBytes: "2M", minUploadRate: "32k" })).toEqual({ maxBodyBytes: 2 * 2 ** 20, minUploadRate: 32 * 2 ** 10 });
  });

  it("adds an option in one place: a new entry is a flag, a request field and a name", () => {
    const table: OptionSpec[] = [...RUN_OPTIONS, { key: "jpegChroma", flag: "jpeg-chroma", type: "choice", arg: "s", choices: ["420", "444"], default: "420", help: "JPEG chroma subsampling", scopes: ["run", "request"] }];
    const command = new Command().exitOverride();
    for (const option of commanderOptions(table, "run")) command.addOption(option);
    command.parse(["--jpeg-chroma", "444"], { from: "user" });
    expect(valuesOf(table, "run", command.opts())).toMatchObject({ jpegChroma: "444" });
    expect(valuesOf(table, "request", { "jpeg-chroma": "444" }, { by: "flag" })).toEqual({ jpegChroma: "444" });
    expect(namesOf(table, "flag")("jpegChroma")).toBe("--jpeg-chroma");
    expect(() => command.parse(["--jpeg-chroma", "411"], { from: "user" })).toThrow(/Allowed choices are 420, 444/);
  });

  it("takes a switch that may carry a value (`--keep-text`, `--keep-text all`) without ever eating a file name", () => {
    const table: OptionSpec[] = [{ key: "keepWords", flag: "keep-words", type: "boolean", arg: "which", choices: ["visible", "all"], help: "words", scopes: ["run", "request"] }];
    expect(switchArguments(table, "run", ["--keep-words", "in.pdf", "out.pdf"])).toEqual(["--keep-words=visible", "in.pdf", "out.pdf"]);
    expect(switchArguments(table, "run", ["--keep-words", "all", "in.pdf"])).toEqual(["--keep-words=all", "in.pdf"]);
    expect(switchArguments(table, "run", ["--", "--keep-words", "all"])).toEqual(["--", "--keep-words", "all"]);
    const command = new Command().exitOverride().argument("[files...]");
    for (const option of commanderOptions(table, "run")) command.addOption(option);
    command.parse(switchArguments(table, "run", ["--keep-words", "in.pdf"]), { from: "user" });
    expect([valuesOf(table, "run", command.opts()), command.args]).toEqual([{ keepWords: "visible" }, ["in.pdf"]]);
    expect(valuesOf(table, "request", { "keep-words": "ALL" }, { by: "flag" })).toEqual({ keepWords: "all" });
    expect(valuesOf(table, "request", { "keep-words": "on" }, { by: "flag" })).toEqual({ keepWords: true });
    expect(() => valuesOf(table, "request", { "keep-words": "some" }, { by: "flag", naming: namesOf(table, "field") })).toThrow(
      "Expected `keep-words` to be visible, all, or a boolean (true or false), got `some` (string)",
    );
  });
});
