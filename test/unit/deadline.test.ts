import { describe, expect, it } from "vitest";
import { withDeadline } from "../../src/deadline.js";

/** How many timers the process has now. */
const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === "Timeout").length;

describe("withDeadline", () => {
  it("resolves with the work's value and leaves no timer behind", async () => {
    const before = timers();
    expect(await withDeadline(Promise.resolve(7), 60_000)).toBe(7);
    expect(timers()).toBe(before);
  });

  it("resolves with the fallback when the time is up first, and clears its timer", async () => {
    const before = timers();
    const never = new Promise<number>(() => {});
    expect(await withDeadline(never, 10, "late")).toBe("late");
    expect(await withDeadline(never, 10)).toBeUndefined();
    expect(timers()).toBe(before);
  });

  it("passes a rejection of the work through, and clears its timer", async () => {
    const before = timers();
    await expect(withDeadline(Promise.reject(new Error("boom")), 60_000)).rejects.toThrow("boom");
    expect(timers()).toBe(before);
  });
});
