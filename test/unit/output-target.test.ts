import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { imageFileName, inputStem, parseNamePattern, resolveOutput } from "../../src/output/target.js";

describe("parseNamePattern", () => {
  it("finds one %d slot, zero-padded or not, and takes the format from the extension", () => {
    expect(parseNamePattern("page-%03d.png")).toEqual({ prefix: "page-", width: 3, suffix: ".png", format: "png" });
    expect(parseNamePattern("%d.JPG")).toEqual({ prefix: "", width: 0, suffix: ".JPG", format: "jpeg" });
    expect(parseNamePattern("scan %d of 100%%.jpeg")).toEqual({ prefix: "scan ", width: 0, suffix: " of 100%.jpeg", format: "jpeg" });
    expect(parseNamePattern("100%%-%2d.png")).toMatchObject({ prefix: "100%-", width: 2 });
    expect(parseNamePattern("page-%03d.tif")).toMatchObject({ format: "tiff" });
    expect(parseNamePattern("page-%d.TIFF")).toMatchObject({ format: "tiff" });
  });

  it("is not a pattern without a slot (a %% alone is not one)", () => {
    expect(parseNamePattern("out.pdf")).toBeUndefined();
    expect(parseNamePattern("100%%d.png")).toBeUndefined();
  });

  it.each([
    ["p-%d-%d.png", /one %d/],
    ["p-%d.gif", /\.png, \.jpg, \.jpeg, \.tif or \.tiff/],
    ["p-%d", /\.png, \.jpg, \.jpeg, \.tif or \.tiff/],
  ])("rejects %s", (name, message) => {
    expect(() => parseNamePattern(name)).toThrow(UsageError);
    expect(() => parseNamePattern(name)).toThrow(message);
  });
});

describe("imageFileName and inputStem", () => {
  it("names by the pattern, or <stem>-<page> padded to the page count's digits", () => {
    expect(imageFileName(parseNamePattern("p%04d.png"), "x", 7, 9, "png")).toBe("p0007.png");
    expect(imageFileName(undefined, "report", 7, 9, "jpeg")).toBe("report-7.jpg");
    expect(imageFileName(undefined, "report", 7, 14, "png")).toBe("report-07.png");
    expect(imageFileName(undefined, "report", 12, 120, "jpeg")).toBe("report-012.jpg");
    expect(imageFileName(undefined, "report", 3, 9, "tiff")).toBe("report-3.tif");
  });

  it("takes the stem from the input's file name", () => {
    expect(inputStem("/a/b/Annual Report.v2.pdf")).toBe("Annual Report.v2");
    expect(inputStem("scan.PDF")).toBe("scan");
    expect(inputStem(".hidden")).toBe(".hidden");
    expect(inputStem(null)).toBe("page");
  });
});

describe("resolveOutput", () => {
  const dir = mkdtempSync(join(tmpdir(), "pdfraster-target-"));

  it("tells a PDF, a TIFF, a folder, a pattern and a stream apart", async () => {
    expect(await resolveOutput(join(dir, "out.pdf"))).toEqual({ kind: "pdf", path: join(dir, "out.pdf") });
    expect(await resolveOutput(dir)).toMatchObject({ kind: "images", dir, pattern: undefined, display: dir + sep });
    expect(await resolveOutput("new-folder/")).toMatchObject({ kind: "images", dir: resolve("new-folder"), pattern: undefined });
    expect(await resolveOutput(join(dir, "p-%d.png"))).toMatchObject({ kind: "images", dir, pattern: { prefix: "p-", format: "png" } });
    expect(await resolveOutput(join(dir, "out.tiff"))).toEqual({ kind: "tiff", path: join(dir, "out.tiff") });
    expect(await resolveOutput(join(dir, "Scan.TIF"))).toEqual({ kind: "tiff", path: join(dir, "Scan.TIF") });
    const stream = new PassThrough();
    expect(await resolveOutput(stream)).toEqual({ kind: "stream", stream });
  });

  it("takes a file named .png/.jpg/.jpeg for one image and .tif/.tiff for a multi-page TIFF, never a PDF; refuses other image formats", async () => {
    const single = { kind: "images", dir, display: join(dir, "page.png"), pattern: { prefix: "page.png", single: true, format: "png" } };
    expect(await resolveOutput(join(dir, "page.png"))).toMatchObject(single);
    expect(await resolveOutput(join(dir, "scan.JPG"))).toMatchObject({ kind: "images", pattern: { format: "jpeg", single: true } });
    expect(await resolveOutput(join(dir, "scan.jpeg"))).toMatchObject({ kind: "images", pattern: { format: "jpeg", single: true } });
    expect(imageFileName(parseNamePattern("p-%d.png"), "x", 7, 9, "png")).toBe("p-7.png");
    expect(imageFileName({ prefix: "page.png", width: 0, suffix: "", format: "png", single: true }, "x", 7, 9, "png")).toBe("page.png");
    expect(await resolveOutput(join(dir, "out.tiff"))).toEqual({ kind: "tiff", path: join(dir, "out.tiff") });
    expect(await resolveOutput(join(dir, "out.TIF"))).toEqual({ kind: "tiff", path: join(dir, "out.TIF") });
    await expect(resolveOutput(join(dir, "out.gif"))).rejects.toThrow(UsageError);
    await expect(resolveOutput(join(dir, "out.webp"))).rejects.toThrow(/does not write \.webp/);
    expect(await resolveOutput(join(dir, "out"))).toEqual({ kind: "pdf", path: join(dir, "out") }); // no extension: a PDF as before
  });

  it("rejects a %d in a folder name and what is not an output", async () => {
    await expect(resolveOutput(join(dir, "p-%d", "x-%d.png"))).rejects.toThrow(/in the file name/);
    await expect(resolveOutput("")).rejects.toThrow(UsageError);
    await expect(resolveOutput(42)).rejects.toThrow(UsageError);
  });
});
