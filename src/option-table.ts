/**
 * Every setting of pdfraster, declared once: its API name, its flag, its type, its default, its help
 * line and where it applies. The CLI's, the service's and the cluster worker's commander options, the
 * service's request fields and the names error messages use are all made from these tables; adding an
 * option is one entry here plus the code that uses it (and its row in docs, which a test checks).
 */
import { Option } from "commander";
import { UsageError } from "./errors.js";

/**
 * Where a setting applies: `run` a rasterize run (the CLI's options and the API's {@link RasterizeOptions}),
 * `request` a field of a service request, `service` a flag of `pdfraster serve`, `worker` a flag of
 * `pdfraster worker`.
 */
export type OptionScope = "run" | "request" | "service" | "worker";

export interface OptionSpec<Key extends string = string> {
  /** The API's name (camelCase). */
  key: Key;
  /** The CLI's flag without its dashes, and the service's field name: `max-pixels`. */
  flag: string;
  /**
   * `boolean` is a switch (no value on the command line; on/off, true/false, 1/0 in a request);
   * `bytes` a number of bytes that may carry a suffix (`100M`).
   */
  type: "boolean" | "number" | "bytes" | "string" | "choice";
  /** The value's name in --help (`<n>`); a switch with `choices` may take one (`--keep-text [which]`). */
  arg?: string;
  /** The values a `choice` takes; for a switch, the values it may take besides on and off (the first is what a bare switch means). */
  choices?: readonly string[];
  /** Shown as `(default: "...")` in --help and given to the parser when the flag is absent. */
  default?: string | number;
  /** Help line; `service`/`worker` may word it their own way. */
  help: string | ({ run: string } & Partial<Record<OptionScope, string>>);
  scopes: readonly OptionScope[];
}

/** The help line of `spec` in `scope`. */
export function helpOf(spec: OptionSpec, scope: OptionScope): string {
  return typeof spec.help === "string" ? spec.help : spec.help[scope] ?? spec.help.run;
}

/** The specs of `table` that apply in `scope`. */
export function inScope<S extends OptionSpec>(table: readonly S[], scope: OptionScope): S[] {
  return table.filter((spec) => spec.scopes.includes(scope));
}

/** The commander options of `table`'s specs in `scope`, in table order. */
export function commanderOptions(table: readonly OptionSpec[], scope: OptionScope): Option[] {
  return inScope(table, scope).map((spec) => {
    const value = spec.type !== "boolean" ? ` <${spec.arg ?? "value"}>` : spec.choices ? ` [${spec.arg ?? "value"}]` : "";
    const option = new Option(`--${spec.flag}${value}`, helpOf(spec, scope));
    if (spec.choices) option.choices(spec.choices);
    if (spec.default !== undefined) option.default(String(spec.default));
    // commander names a flag's value in camelCase (`--max-pixels` -> maxPixels); ours may differ (`--max-body` -> maxBodyBytes).
    option.attributeName = () => spec.key;
    return option;
  });
}

/**
 * The values commander parsed, or a request's fields, keyed by API name: switches as booleans, sizes
 * in bytes, the rest as the text given (normalizeOptions() reads numbers from text and names a bad
 * value as it was given). Unchecked: the caller passes them to its normalize function.
 */
export function valuesOf<Key extends string>(
  table: readonly OptionSpec<Key>[],
  scope: OptionScope,
  given: Readonly<Record<string, unknown>>,
  { by = "key", naming = API_NAMES }: { by?: "key" | "flag"; naming?: Naming } = {},
): Partial<Record<Key, unknown>> {
  const values: Partial<Record<Key, unknown>> = {};
  for (const spec of inScope(table, scope)) {
    const raw = given[by === "key" ? spec.key : spec.flag];
    if (raw === undefined) continue;
    values[spec.key] = typeof raw === "string" ? fromText(spec, raw, naming(spec.key)) : raw;
  }
  return values;
}

function fromText(spec: OptionSpec, raw: string, name: string): unknown {
  switch (spec.type) {
    case "boolean": {
      const choice = spec.choices?.find((c) => c === raw.toLowerCase());
      return choice ?? switchValue(name, raw, spec.choices);
    }
    case "bytes":
      return parseBytes(raw, name);
    default: // numbers too: the options' checks read numbers from text, and name a bad one as given
      return raw;
  }
}

/** `on`, `true`, `1`, `yes` (and a bare `?keep-text`) turn a switch on; `off`, `false`, `0`, `no` leave it off. */
function switchValue(name: string, raw: string, choices: readonly string[] = []): boolean {
  const value = raw.toLowerCase();
  if (value === "" || value === "1" || value === "true" || value === "on" || value === "yes") return true;
  if (value === "0" || value === "false" || value === "off" || value === "no") return false;
  const expected = [...choices, choices.length ? "or a boolean (true or false)" : "a boolean (true or false)"].join(", ");
  throw new UsageError(`Expected \`${name}\` to be ${expected}, got \`${raw}\` (string)`, { option: name });
}

/**
 * A switch that may take a value (`--keep-text`, `--keep-text all`) takes it only when one of its
 * values follows, never a file name (`--keep-text in.pdf out.pdf`): before parsing, each such switch
 * before `--` becomes `--flag=<value>`, its first value when none follows.
 */
export function switchArguments(table: readonly OptionSpec[], scope: OptionScope, args: readonly string[]): string[] {
  const switches = new Map(inScope(table, scope).filter((spec) => spec.type === "boolean" && spec.choices).map((spec) => [`--${spec.flag}`, spec.choices!]));
  const result: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return [...result, ...args.slice(i)];
    const choices = switches.get(arg);
    if (!choices) {
      result.push(arg);
      continue;
    }
    const given = choices.find((choice) => choice === args[i + 1]);
    result.push(`${arg}=${given ?? choices[0]!}`);
    if (given) i++;
  }
  return result;
}

/** `100M` -> 104857600, `32k` -> 32768; plain numbers are bytes. */
export function parseBytes(text: string, name: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`Expected \`${name}\` to be a size such as 100M or 52428800, got \`${text}\``, { option: name });
  const unit = (match[2] ?? "b").toLowerCase()[0]!;
  const factor = { b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[unit] ?? 1;
  return Math.round(Number(match[1]) * factor);
}

/** How a front end names a setting in its messages: the API's `maxPixels`, the CLI's `--max-pixels`, a request's `max-pixels`. */
export type Naming = (key: string) => string;

/** Names settings by their API names. */
export const API_NAMES: Naming = (key) => key;

/** Names the settings of `table` as flags (`--max-pixels`) or as request fields (`max-pixels`); others by their API names. */
export function namesOf(table: readonly OptionSpec[], style: "flag" | "field"): Naming {
  const flags = new Map(table.map((spec) => [spec.key, spec.flag]));
  return (key) => {
    const flag = flags.get(key);
    if (flag === undefined) return key;
    return style === "flag" ? `--${flag}` : flag;
  };
}
