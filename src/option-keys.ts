/** Refuses option keys a function does not know, naming the nearest one it does (`dpl` -> `dpi`). */
import { UsageError } from "./errors.js";

/** Edit distance between two short names (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[y.length]!;
}

/** The known name nearest to `name`, if one is close enough to be what was meant. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Throws a UsageError for the first own key of `options` that is not in `known`. */
export function checkKeys(options: object, known: readonly string[], what = "option"): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = nearest(key, known);
    throw new UsageError(`Unknown ${what} \`${key}\`${near ? ` (did you mean \`${near}\`?)` : `; the ${what}s are ${known.join(", ")}`}`);
  }
}
