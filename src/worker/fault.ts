/**
 * TEST-ONLY fault injection, so the integration tests can make a real worker crash, hang, fail
 * to start, or act as a worker taken over by a hostile document would. Inert unless PDFRASTER_FAULT
 * is set (the master forwards it to workers). Syntax:
 *
 *   PDFRASTER_FAULT=ACTION[@PAGE][,band=BAND][,engine=ENGINE][,arg=ARG][,once=MARKER]
 *
 * ACTION: `exit` (process.exit(1)), `kill` (SIGKILL itself), `abort` (process.abort(), like a
 * native crash), `hang` (busy loop that also ignores SIGTERM), `throw` (the page fails with an
 * error), `damage` (the page file is written, then 16 of its bytes after the first 16 are inverted:
 * the same length, a damaged content, as a disk or a hostile worker could leave it), or `boot` /
 * `boot-hang` (die / hang before the worker reports ready; PAGE is ignored).
 * Escape attempts (the sandbox's tests, see escape.ts): `read-passwd`, `read-environ` (the parent's
 * /proc/<ppid>/environ; does it hold the variable ARG?), `write-fs` and `write-sharp` (a file at ARG), `spawn` (a shell that writes
 * ARG), `connect` (to 127.0.0.1:ARG, or to ARG when it is host:port), `eval`, `allocate` (ARG MB) make the page fail with
 * "escaped: ..." when they succeed and "refused: ..." when they do not; `result-path` reports ARG
 * as the page image's path.
 * PAGE: the 1-based page it strikes on (default: every page). band=BAND: only the 0-based band
 * BAND of a banded page (see bands/; an unbanded page is band 0). engine=ENGINE: only pages rendered
 * by that engine (`pdfjs`, `mupdf` or `pdfium`, to test --fallback-engine). once=MARKER: strike only if the
 * file MARKER does not exist yet, and create it, so that the retry succeeds.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { attemptEscape, isEscape } from "./escape.js";

interface Fault {
  action: string;
  page: number | undefined;
  band: number | undefined;
  engine: string | undefined;
  arg: string | undefined;
  once: string | undefined;
}

function parse(spec: string | undefined): Fault | undefined {
  const match = spec ? /^([a-z-]+)(?:@(\d+))?(?:,band=(\d+))?(?:,engine=([a-z]+))?(?:,arg=([^,]+))?(?:,once=(.+))?$/.exec(spec) : null;
  if (!match) return undefined;
  const number = (text: string | undefined): number | undefined => (text ? Number(text) : undefined);
  return { action: match[1]!, page: number(match[2]), band: number(match[3]), engine: match[4], arg: match[5], once: match[6] };
}

const fault = parse(process.env.PDFRASTER_FAULT);

/** Whether the fault is for this page, band and engine. */
function hits(pageNumber: number, engine: string | undefined, band: number): boolean {
  if (!fault || (fault.page !== undefined && fault.page !== pageNumber)) return false;
  if (fault.band !== undefined && fault.band !== band) return false;
  return fault.engine === undefined || fault.engine === engine;
}

/** `result-path`: the path the worker reports for this page's image instead of its own. */
export function faultResultPath(pageNumber: number, engine: string, band = 0): string | undefined {
  return fault?.action === "result-path" && hits(pageNumber, engine, band) ? fault.arg : undefined;
}

/** In the master: the folder a one-shot fault's marker goes in, which the sandbox must let the worker write. */
export function faultWritable(): string[] {
  return fault?.once ? [dirname(fault.once)] : [];
}

/** Claims the fault: false if it is a one-shot fault that already struck (its marker exists). */
function strikes(): boolean {
  if (!fault?.once) return true;
  try {
    writeFileSync(fault.once, String(process.pid), { flag: "wx" });
    return true;
  } catch {
    return false;
  }
}

function hang(): never {
  process.on("SIGTERM", () => {}); // a hung native call would not answer SIGTERM either
  for (;;);
}

/** Called once while the worker starts, before it reports ready. */
export function injectBootFault(): void {
  if (fault?.action === "boot" && strikes()) {
    process.stderr.write("Error: injected start-up fault (PDFRASTER_FAULT)\n");
    process.exit(1);
  }
  if (fault?.action === "boot-hang" && strikes()) hang();
}

/** Called after the page file is written: `damage` inverts 16 bytes after the first 16 (the file keeps its length). */
export function injectFileFault(pageNumber: number, path: string, engine?: string, band = 0): void {
  if (fault?.action !== "damage" || !hits(pageNumber, engine, band) || !strikes()) return;
  const data = readFileSync(path);
  for (let i = 16; i < Math.min(32, data.length); i++) data[i]! ^= 0xff;
  writeFileSync(path, data);
}

/** Called before each page (or band of a page) is rendered, with the engine that is to render it. */
export async function injectPageFault(pageNumber: number, engine?: string, band = 0): Promise<void> {
  if (!fault || fault.action.startsWith("boot") || fault.action === "damage" || !hits(pageNumber, engine, band) || !strikes()) return;
  switch (fault.action) {
    case "exit":
      process.exit(1);
    case "kill":
      process.kill(process.pid, "SIGKILL");
      hang(); // SIGKILL is delivered asynchronously
    case "abort":
      process.abort();
    case "hang":
      hang();
    case "throw":
      throw new Error(`injected fault on page ${pageNumber} (PDFRASTER_FAULT)`);
  }
  if (isEscape(fault.action)) await attemptEscape(fault.action, fault.arg);
}
