import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { assertSupportedNode, unsupportedNode } from "../../src/runtime.js";

describe("supported Node.js versions", () => {
  it("accepts 22.13 and later", () => {
    for (const version of ["22.13.0", "22.13.1", "22.20.0", "23.0.0", "24.0.0", "24.21.0", "26.1.0", "100.0.0"]) {
      expect(unsupportedNode(version), version).toBeUndefined();
    }
  });

  it("refuses older ones in one line that names the version", () => {
    for (const version of ["22.12.0", "22.0.0", "21.9.9", "20.20.2", "18.19.0", "4.0.0"]) {
      expect(unsupportedNode(version)).toBe(`pdfraster needs Node.js 22.13 or later (24 LTS recommended); this is ${version}`);
    }
    expect(() => assertSupportedNode("20.19.0")).toThrow(UsageError);
  });
});
