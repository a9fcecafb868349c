import { describe, expect, expectTypeOf, it } from "vitest";
import { absent, bool, int, num, obj, oneOf, str, tagged, tuple, type Infer } from "../../dist/schema.js";

const point = obj({ x: int(0, 10), y: int(0, 10).reason("bad y") });
const shape = obj(
  {
    name: str(/^[a-z]+$/, 8),
    kind: oneOf("a", "b", 3),
    ratio: num(Number.MIN_VALUE, 1),
    on: bool().optional(),
    at: point.optional(),
    rgb: tuple(int(0, 255), int(0, 255), int(0, 255)),
    file: absent("no files here"),
  },
  { unknownKey: "shape field" },
);
const good = { name: "abc", kind: 3, ratio: 0.5, rgb: [1, 2, 3] };

describe("schemas", () => {
  it("give the type they check", () => {
    expectTypeOf<Infer<typeof shape>>().toEqualTypeOf<{
      name: string;
      kind: "a" | "b" | 3;
      ratio: number;
      on?: boolean;
      at?: { x: number; y: number };
      rgb: [number, number, number];
    }>();
    const value: unknown = good;
    if (shape.is(value)) expectTypeOf(value.rgb).toEqualTypeOf<[number, number, number]>();
  });

  it("take what matches, optional fields left out or there", () => {
    expect(shape.check(good)).toEqual({ ok: true, value: good });
    expect(shape.is({ ...good, on: false, at: { x: 0, y: 10 } })).toBe(true);
  });

  it.each([
    ["not an object", [], "bad `value`"],
    ["an unknown key", { ...good, extra: 1 }, "unknown shape field `extra`"],
    ["an absent key, even undefined", { ...good, file: undefined }, "no files here"],
    ["a missing field", { ...good, name: undefined }, "bad `name`"],
    ["a string too long", { ...good, name: "abcdefghi" }, "bad `name`"],
    ["a string off its pattern", { ...good, name: "ABC" }, "bad `name`"],
    ["a value not in the list", { ...good, kind: "3" }, "bad `kind`"],
    ["zero where above zero is asked", { ...good, ratio: 0 }, "bad `ratio`"],
    ["NaN", { ...good, ratio: Number.NaN }, "bad `ratio`"],
    ["a fraction for an integer", { ...good, at: { x: 1.5, y: 0 } }, "bad `at.x`"],
    ["a nested reason of its own", { ...good, at: { x: 1, y: 11 } }, "bad y"],
    ["an unknown nested key, by its path", { ...good, at: { x: 1, y: 1, z: 1 } }, "unknown field `at.z`"],
    ["a tuple too long", { ...good, rgb: [1, 2, 3, 4] }, "bad `rgb`"],
    ["a tuple item out of range", { ...good, rgb: [1, 2, 256] }, "bad `rgb[2]`"],
    ["a boolean that is a string", { ...good, on: "yes" }, "bad `on`"],
  ])("refuse %s, saying why", (_, value, reason) => {
    expect(shape.check(value)).toEqual({ ok: false, reason });
  });

  it("keep the innermost reason given; an outer one replaces only what had none", () => {
    const outer = obj({ p: point, q: int(0, 1) }).reason("bad outer");
    expect(outer.check({ p: { x: 0, y: 99 }, q: 0 })).toEqual({ ok: false, reason: "bad y" });
    expect(outer.check({ p: { x: 99, y: 0 }, q: 0 })).toEqual({ ok: false, reason: "bad outer" });
    expect(outer.check({ p: { x: 0, y: 0 }, q: 0, r: 0 })).toEqual({ ok: false, reason: "bad outer" });
    expect(outer.check(null)).toEqual({ ok: false, reason: "bad outer" });
  });

  it("check a rule across fields once the shape is right", () => {
    const range = obj({ from: int(0, 9), to: int(0, 9) }).refine(({ from, to }) => (from <= to ? undefined : "from after to"));
    expect(range.is({ from: 1, to: 2 })).toBe(true);
    expect(range.check({ from: 3, to: 2 })).toEqual({ ok: false, reason: "from after to" });
    expect(range.check({ from: "3", to: 2 })).toEqual({ ok: false, reason: "bad `from`" });
  });

  it("tell tagged shapes apart by their tag", () => {
    const message = tagged("type", { ping: { at: int(0, 9) }, text: { body: str(), lang: str().optional() } });
    expectTypeOf<Infer<typeof message>>().toEqualTypeOf<{ type: "ping"; at: number } | { type: "text"; body: string; lang?: string }>();
    expect(message.is({ type: "ping", at: 1 })).toBe(true);
    expect(message.is({ type: "text", body: "hi" })).toBe(true);
    expect(message.check({ type: "ping", body: "hi" })).toEqual({ ok: false, reason: "unknown field `body`" });
    expect(message.check({ type: "pong" })).toEqual({ ok: false, reason: "bad `type`" });
    expect(message.check({ type: "toString" })).toEqual({ ok: false, reason: "bad `type`" });
    expect(message.is(null)).toBe(false);
  });
});
