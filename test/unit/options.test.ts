import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { DEFAULTS, normalizeOptions, parseColour } from "../../src/options.js";
import { normalizeServiceOptions } from "../../src/serve/config.js";

describe("normalizeOptions", () => {
  it("fills every default", () => {
    const o = normalizeOptions();
    expect(o.dpi).toBe(DEFAULTS.dpi);
    expect(o.size).toBe("original");
    expect(o.format).toBe("jpeg");
    expect(o.quality).toBe(85);
    expect(o.onError).toBe("abort");
    expect(o.maxPixels).toBe(2 ** 30);
    expect(o.bandPixels).toBe(2 ** 26);
    expect(o.box).toBe("crop");
    expect(o.workers).toBeGreaterThanOrEqual(1);
    expect(o.background).toEqual([255, 255, 255]);
  });

  it("accepts numeric strings (from the CLI) and case-insensitive choices", () => {
    const o = normalizeOptions({ dpi: "150" as unknown as number, format: "PNG" as "png", size: "a4" });
    expect(o.dpi).toBe(150);
    expect(o.format).toBe("png");
    expect(o.size).toMatchObject({ name: "A4" });
  });

  it.each([
    [{ dpi: "abc" }, /Expected `dpi` to be a number from 1 to 4800, got `abc` \(string\)/],
    [{ dpi: 0 }, /`dpi`/],
    [{ quality: 101 }, /`quality`/],
    [{ quality: 50.5 }, /`quality` to be an integer/],
    [{ workers: 0 }, /`workers`/],
    [{ format: "gif" }, /`format` to be one of jpeg, png, auto/],
    [{ onError: "ignore" }, /`onError`/],
    [{ size: "A99" }, /Unknown paper size `A99`/],
    [{ maxPixels: -1 }, /`maxPixels`/],
    [{ password: 5 }, /`password` to be a string/],
    [{ onProgress: "x" }, /`onProgress`/],
    [{ signal: {} }, /`signal`/],
    [{ waitTimeout: 5 }, /`waitTimeout` are for cluster mode/],
    [{ color: "mono", format: "jpeg" }, /`color` mono is stored 1-bit and lossless/],
    [{ dpl: 100 }, /^Unknown option `dpl` \(did you mean `dpi`\?\)$/],
    [{ keeptext: true }, /did you mean `keepText`/],
    [{ page_timeout: 5 }, /did you mean `pageTimeout`/],
    [{ zzzzzzzz: 1 }, /^Unknown option `zzzzzzzz`; the options are dpi, size, .*signal$/],
  ])("rejects %j", (bad, message) => {
    expect(() => normalizeOptions(bad as never)).toThrow(UsageError);
    expect(() => normalizeOptions(bad as never)).toThrow(message);
  });
});

describe("parseColour", () => {
  it("reads names and hex", () => {
    expect(parseColour("white")).toEqual([255, 255, 255]);
    expect(parseColour("#f00")).toEqual([255, 0, 0]);
    expect(parseColour("#336699")).toEqual([0x33, 0x66, 0x99]);
    expect(() => parseColour("puce")).toThrow(UsageError);
  });
});

describe("normalizeServiceOptions", () => {
  it("refuses an unknown setting, naming the nearest one", () => {
    expect(() => normalizeServiceOptions({ maxjob: 2 } as never)).toThrow("Unknown setting `maxjob` (did you mean `maxJobs`?)");
    expect(normalizeServiceOptions({ maxJobs: 2 }).maxJobs).toBe(2);
  });
});
