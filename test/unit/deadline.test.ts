import { afterEach, describe, expect, it, vi } from "vitest";
import { withDeadline } from "../../src/deadline.js";

/**
 * The timers set with `ms` while `call` runs, and how many of them were cleared. Told apart by an
 * unusual delay, not by counting the process's timers: another timer of the test runner that ends
 * meanwhile made that count flaky under load.
 */
async function timersOf<T>(ms: number, call: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; set: number; cleared: number }> {
  const setSpy = vi.spyOn(globalThis, "setTimeout");
  const clearSpy = vi.spyOn(globalThis, "clearTimeout");
  const [result] = await Promise.allSettled([call()]);
  const ours = setSpy.mock.calls.flatMap(([, delay], i) => (delay === ms ? [setSpy.mock.results[i]!.value as unknown] : []));
  const cleared = ours.filter((timer) => clearSpy.mock.calls.some(([arg]) => arg === timer)).length;
  return { result, set: ours.length, cleared };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("withDeadline", () => {
  it("resolves with the work's value and leaves no timer behind", async () => {
    const { result, set, cleared } = await timersOf(60_017, () => withDeadline(Promise.resolve(7), 60_017));
    expect(result).toEqual({ status: "fulfilled", value: 7 });
    expect([set, cleared]).toEqual([1, 1]);
  });

  it("resolves with the fallback when the time is up first, and clears its timer", async () => {
    const never = new Promise<number>(() => {});
    const late = await timersOf(17, () => withDeadline(never, 17, "late"));
    expect(late.result).toEqual({ status: "fulfilled", value: "late" });
    expect([late.set, late.cleared]).toEqual([1, 1]);
    const plain = await timersOf(19, () => withDeadline(never, 19));
    expect(plain.result).toEqual({ status: "fulfilled", value: undefined });
    expect([plain.set, plain.cleared]).toEqual([1, 1]);
  });

  it("passes a rejection of the work through, and clears its timer", async () => {
    const { result, set, cleared } = await timersOf(60_023, () => withDeadline(Promise.reject(new Error("boom")), 60_023));
    expect(result).toMatchObject({ status: "rejected", reason: { message: "boom" } });
    expect([set, cleared]).toEqual([1, 1]);
  });
});
