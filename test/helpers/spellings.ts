/**
 * Other spellings of a request path, for the service's access-control tests: every way a client can
 * write a path that some router, proxy or normalizer might take for the same route. A deterministic
 * PRNG picks the random ones, so a failure names a spelling that can be replayed.
 */
import { random as prng } from "./random.js";

const hex = (c: string, upper: boolean): string => {
  const h = c.charCodeAt(0).toString(16).padStart(2, "0");
  return `%${upper ? h.toUpperCase() : h}`;
};

/** `path` with the characters at the chosen indexes percent-encoded. */
function encodeAt(path: string, chosen: (i: number) => boolean, upper: boolean): string {
  return [...path].map((c, i) => (chosen(i) ? hex(c, upper) : c)).join("");
}

/** Indexes of the path's slashes. */
const slashes = (path: string): number[] => [...path].flatMap((c, i) => (c === "/" ? [i] : []));

const insertAt = (path: string, i: number, text: string): string => path.slice(0, i) + text + path.slice(i);

/**
 * Spellings of `path` (`/v1/jobs/abc`), the path itself first. `host` is `127.0.0.1:port`, for the
 * absolute form of the request target. `random` more spellings mix encodings and the other tricks.
 */
export function spellings(path: string, host: string, random = 40, seed = 1): string[] {
  const out = new Set<string>([path]);
  const chars = [...path];
  for (const upper of [true, false]) {
    for (let i = 0; i < chars.length; i++) out.add(encodeAt(path, (j) => j === i, upper));
    out.add(encodeAt(path, () => true, upper));
    out.add(encodeAt(path, (j) => chars[j] !== "/", upper));
  }
  // Double encoding, and encodings of characters outside ASCII that fold to ASCII in some normalizers.
  out.add(path.replace(/[a-z]/, (c) => `%25${c.charCodeAt(0).toString(16)}`));
  out.add(path.replace(/[a-z]/, (c) => encodeURIComponent(String.fromCharCode(c.charCodeAt(0) - 0x61 + 0xff41)))); // fullwidth
  for (const i of slashes(path)) {
    out.add(insertAt(path, i, "/")); // a doubled slash
    out.add(insertAt(path, i, "/."));
    out.add(insertAt(path, i, "/%2e"));
    out.add(insertAt(path, i, "/x/.."));
    out.add(insertAt(path, i, "/x/%2e%2e"));
    out.add(insertAt(path, i, "/x/%2E%2E"));
    out.add(path.slice(0, i) + "%2F" + path.slice(i + 1));
    out.add(path.slice(0, i) + "%2f" + path.slice(i + 1));
    out.add(path.slice(0, i) + "\\" + path.slice(i + 1));
  }
  out.add(`/${path}`);
  out.add(`${path}/`);
  out.add(`${path}//`);
  out.add(`${path}/.`);
  out.add(`${path}/x/..`);
  out.add(`${path}%2F`);
  out.add(`${path};`);
  out.add(`${path};x=1`);
  out.add(`${path}%3b`);
  out.add(`${path}%00`);
  out.add(`${path}%09`);
  out.add(`${path}%20`);
  out.add(`${path}?`);
  out.add(`${path}?x=%2F`);
  out.add(`${path}?/healthz`);
  for (const i of slashes(path).slice(1)) out.add(insertAt(path, i, ";x=1"));
  out.add(path.toUpperCase());
  out.add(path.replace(/\/([a-z])/g, (_, c: string) => `/${c.toUpperCase()}`));
  out.add(`http://${host}${path}`);
  out.add(`http://${host}${encodeAt(path, (j) => chars[j] !== "/", true)}`);
  out.add(`//${host}${path}`);
  // Random mixes: a random subset encoded, in random case, then one of the structural tricks.
  const next = prng(seed);
  const tricks: Array<(p: string) => string> = [
    (p) => p,
    (p) => `/${p}`,
    (p) => `${p}/`,
    (p) => p.replace("/", "/./"),
    (p) => p.replace("/", "//"),
    (p) => `${p};a`,
    (p) => p.replace(/\/(?=[^/]*$)/, "/x/../"),
  ];
  for (let n = 0; n < random; n++) {
    const mask = chars.map(() => next() < 0.4);
    const encoded = [...path].map((c, i) => (mask[i] ? hex(c, next() < 0.5) : c)).join("");
    out.add(tricks[Math.floor(next() * tricks.length)]!(encoded));
  }
  return [...out];
}
