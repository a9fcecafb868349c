/**
 * Small schemas for untrusted data (what arrives over Redis): one declaration gives both the
 * TypeScript type (`Infer<typeof schema>`) and the check on receipt. Objects are strict: a key the
 * schema does not declare is refused at every level. A refusal is one line: the innermost reason a
 * schema was given (`.reason()`), or else which value was bad.
 */

/** Why a value was refused; `given`: a reason the schema declared, which an outer `.reason()` keeps. */
interface Refusal {
  reason: string;
  given: boolean;
}

/** Whether an object's key must be there, may be left out, or must not be there at all. */
type Presence = "required" | "optional" | "absent";

type Primitive = string | number | boolean;

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

export class Schema<T, P extends Presence = "required"> {
  /** The checked type; for `Infer` only, never set. */
  declare readonly type: T;

  constructor(
    /** Why `value` (found at `at`, a dotted path) is refused, if it is. */
    readonly refusal: (value: unknown, at: string) => Refusal | undefined,
    readonly presence: P,
  ) {}

  check(value: unknown): Checked<T> {
    const refused = this.refusal(value, "");
    return refused ? { ok: false, reason: refused.reason } : { ok: true, value: value as T };
  }

  is(value: unknown): value is T {
    return this.refusal(value, "") === undefined;
  }

  /** The reason to give when this value is refused and nothing inside it gave its own. */
  reason(reason: string): Schema<T, P> {
    return new Schema((value, at) => {
      const refused = this.refusal(value, at);
      return refused && !refused.given ? { reason, given: true } : refused;
    }, this.presence);
  }

  /** As an object's field: may be left out (or undefined). */
  optional(): Schema<T, "optional"> {
    return new Schema((value, at) => (value === undefined ? undefined : this.refusal(value, at)), "optional");
  }

  /** A rule across the value's parts, checked once its shape is right: returns the reason to refuse it, if any. */
  refine(rule: (value: T) => string | undefined): Schema<T, P> {
    return new Schema((value, at) => {
      const refused = this.refusal(value, at);
      if (refused) return refused;
      const reason = rule(value as T);
      return reason === undefined ? undefined : { reason, given: true };
    }, this.presence);
  }
}

export type Infer<S> = S extends Schema<infer T, Presence> ? T : never;

type Shape = Record<string, Schema<unknown, Presence>>;
type KeysWith<S extends Shape, P extends Presence> = { [K in keyof S]: S[K] extends Schema<unknown, P> ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** An object schema's type: its required and optional fields; absent ones are not in it. */
export type Fields<S extends Shape> = Simplify<{ [K in KeysWith<S, "required">]: Infer<S[K]> } & { [K in KeysWith<S, "optional">]?: Infer<S[K]> }>;

function leaf<T>(test: (value: unknown) => boolean): Schema<T> {
  return new Schema((value, at) => (test(value) ? undefined : { reason: `bad \`${at || "value"}\``, given: false }), "required");
}

/** An integer from `min` to `max`. */
export function int(min: number, max: number): Schema<number> {
  return leaf((value) => typeof value === "number" && Number.isInteger(value) && value >= min && value <= max);
}

/** A finite number from `min` to `max` (`Number.MIN_VALUE` as `min`: above zero). */
export function num(min: number, max: number): Schema<number> {
  return leaf((value) => typeof value === "number" && Number.isFinite(value) && value >= min && value <= max);
}

/** A string matching `pattern`, of at most `maxLength` UTF-16 units. */
export function str(pattern?: RegExp, maxLength = Infinity): Schema<string> {
  return leaf((value) => typeof value === "string" && value.length <= maxLength && (!pattern || pattern.test(value)));
}

export function bool(): Schema<boolean> {
  return leaf((value) => typeof value === "boolean");
}

/** One of these values. */
export function oneOf<const V extends readonly Primitive[]>(...values: V): Schema<V[number]> {
  return leaf((value) => values.includes(value as Primitive));
}

/** An array of exactly these items. */
export function tuple<const S extends readonly Schema<unknown>[]>(...items: S): Schema<{ -readonly [K in keyof S]: Infer<S[K]> }> {
  return new Schema((value, at) => {
    if (!Array.isArray(value) || value.length !== items.length) return { reason: `bad \`${at || "value"}\``, given: false };
    for (const [index, item] of items.entries()) {
      const refused = item.refusal(value[index], `${at}[${index}]`);
      if (refused) return refused;
    }
    return undefined;
  }, "required");
}

/** As an object's field: must not be there at all; `reason` says why. */
export function absent(reason: string): Schema<never, "absent"> {
  return new Schema(() => ({ reason, given: true }), "absent");
}

/**
 * A plain object with these fields and no others. `unknownKey` names what an undeclared key is
 * (`unknown ${unknownKey} \`key\``, a reason of its own); without it the refusal takes the outer reason.
 */
export function obj<S extends Shape>(shape: S, options: { unknownKey?: string } = {}): Schema<Fields<S>> {
  return new Schema((value, at) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return { reason: `bad \`${at || "value"}\``, given: false };
    const fields = value as Record<string, unknown>;
    const path = (key: string): string => (at ? `${at}.${key}` : key);
    for (const [key, field] of Object.entries(shape)) {
      if (field.presence === "absent" && Object.hasOwn(fields, key)) return field.refusal(fields[key], path(key));
    }
    const unknown = Object.keys(fields).find((key) => !Object.hasOwn(shape, key));
    if (unknown !== undefined) {
      return options.unknownKey ? { reason: `unknown ${options.unknownKey} \`${unknown}\``, given: true } : { reason: `unknown field \`${path(unknown)}\``, given: false };
    }
    for (const [key, field] of Object.entries(shape)) {
      const refused = field.presence === "absent" ? undefined : field.refusal(fields[key], path(key));
      if (refused) return refused;
    }
    return undefined;
  }, "required");
}

/** One of several object shapes, told apart by the value of their `tag` key (`{ type: "done", ... }`). */
export function tagged<K extends string, M extends Record<string, Shape>>(tag: K, variants: M): Schema<Tagged<K, M>> {
  const schemas = new Map(Object.entries(variants).map(([name, shape]) => [name, obj({ ...shape, [tag]: oneOf(name) })]));
  return new Schema((value, at) => {
    const variant = typeof value === "object" && value !== null ? schemas.get(String((value as Record<string, unknown>)[tag])) : undefined;
    return variant ? variant.refusal(value, at) : { reason: `bad \`${at ? `${at}.${tag}` : tag}\``, given: false };
  }, "required");
}

type Tagged<K extends string, M extends Record<string, Shape>> = { [V in keyof M & string]: Simplify<{ [_ in K]: V } & Fields<M[V]>> }[keyof M & string];
