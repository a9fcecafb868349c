import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { parsePageRanges } from "../../src/pages.js";

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
