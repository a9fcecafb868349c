import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { countPages, expandPages, MAX_SELECTED_PAGES, parsePageRanges, parsePageSpec } from "../../src/pages.js";
import { random as prng } from "../helpers/random.js";

describe("parsePageRanges", () => {
  it("parses lists, ranges, open ranges and last", () => {
    expect(parsePageRanges("1-3,7,10-", 12)).toEqual([1, 2, 3, 7, 10, 11, 12]);
    expect(parsePageRanges("-2", 5)).toEqual([1, 2]);
    expect(parsePageRanges("last", 5)).toEqual([5]);
    expect(parsePageRanges("3-last", 5)).toEqual([3, 4, 5]);
  });

  it("keeps order and repeats as written, and runs backwards", () => {
    expect(parsePageRanges("3,1,1", 3)).toEqual([3, 1, 1]);
    expect(parsePageRanges("5-3", 5)).toEqual([5, 4, 3]);
  });

  it("names the page count when a page is out of range", () => {
    expect(() => parsePageRanges("1-20", 14)).toThrow(/has 14 pages/);
    expect(() => parsePageRanges("0", 14)).toThrow(UsageError);
  });

  it.each(["", "a", "1--2", "1,,2", "-", "1-2-3"])("rejects %j", (bad) => {
    expect(() => parsePageRanges(bad, 10)).toThrow(UsageError);
  });
});

describe("page selections counted before they are listed", () => {
  it("counts `100000-1` written 1,500 times (150 million pages) without listing them, and refuses to list them", () => {
    const spec = Array.from({ length: 1500 }, () => "100000-1").join(",");
    const ranges = parsePageSpec(spec, 100_000);
    expect(countPages(ranges)).toBe(150_000_000);
    const heap = process.memoryUsage().heapUsed;
    expect(() => expandPages(ranges, 100_000)).toThrow(/selects 150000000 pages: at most 1000000 \(repeats included\)/);
    expect(process.memoryUsage().heapUsed - heap).toBeLessThan(50 * 2 ** 20); // before the fix: an array of 150 million numbers
    expect(expandPages(parsePageSpec("1-", 2_000_000), 2_000_000)).toHaveLength(2_000_000); // a document's own pages are never too many
  });

  it("fuzz: any expression either fails as a usage error or lists exactly as many pages as it counts, each in range", () => {
    const next = prng(19);
    const tokens = ["1", "2", "7", "last", "0", "13", "-", ",", " ", "x", "99999999999", "5-", "-3", "last-1"];
    for (let n = 0; n < 5000; n++) {
      const spec = Array.from({ length: 1 + Math.floor(next() * 8) }, () => tokens[Math.floor(next() * tokens.length)]).join("");
      const pageCount = 1 + Math.floor(next() * 12);
      let ranges;
      try {
        ranges = parsePageSpec(spec, pageCount);
      } catch (error) {
        expect([spec, error instanceof UsageError]).toEqual([spec, true]);
        continue;
      }
      const pages = expandPages(ranges, pageCount);
      expect([spec, pages.length]).toEqual([spec, countPages(ranges)]);
      expect(pages.every((p) => Number.isInteger(p) && p >= 1 && p <= pageCount)).toBe(true);
      expect(pages.length).toBeLessThanOrEqual(Math.max(pageCount, MAX_SELECTED_PAGES));
    }
  });
});
