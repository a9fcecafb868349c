/**
 * TEST-ONLY fault injection, so the integration tests can make a real worker crash, hang or fail
 * to start. Inert unless PDFRASTER_FAULT is set (the master forwards it to workers). Syntax:
 *
 *   PDFRASTER_FAULT=ACTION[@PAGE][,band=BAND][,engine=ENGINE][,once=MARKER]
 *
 * ACTION: `exit` (process.exit(1)), `kill` (SIGKILL itself), `abort` (process.abort(), like a
 * native crash), `hang` (busy loop that also ignores SIGTERM), `throw` (the page fails with an
 * error), or `boot` / `boot-hang` (die / hang before the worker reports ready; PAGE is ignored).
 * PAGE: the 1-based page it strikes on (default: every page). band=BAND: only the 0-based band
 * BAND of a banded page (see bands/; an unbanded page is band 0). engine=ENGINE: only pages rendered
 * by that engine (`pdfjs`, `mupdf` or `pdfium`, to test --fallback-engine). once=MARKER: strike only if the
 * file MARKER does not exist yet, and create it, so that the retry succeeds.
 */
import { writeFileSync } from "node:fs";

interface Fault {
  action: string;
  page: number | undefined;
  band: number | undefined;
  engine: string | undefined;
  once: string | undefined;
}

function parse(spec: string | undefined): Fault | undefined {
  const match = spec ? /^([a-z-]+)(?:@(\d+))?(?:,band=(\d+))?(?:,engine=([a-z]+))?(?:,once=(.+))?$/.exec(spec) : null;
  if (!match) return undefined;
  const number = (text: string | undefined): number | undefined => (text ? Number(text) : undefined);
  return { action: match[1]!, page: number(match[2]), band: number(match[3]), engine: match[4], once: match[5] };
}

const fault = parse(process.env.PDFRASTER_FAULT);

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

/** Called before each page (or band of a page) is rendered, with the engine that is to render it. */
export function injectPageFault(pageNumber: number, engine?: string, band = 0): void {
  if (!fault || fault.action.startsWith("boot") || (fault.page !== undefined && fault.page !== pageNumber)) return;
  if (fault.band !== undefined && fault.band !== band) return;
  if (fault.engine !== undefined && fault.engine !== engine) return;
  if (!strikes()) return;
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
}
