/**
 * Which link targets --keep-links and --keep-outline carry into the output: only a URI action whose
 * URI, as written in the document, is an absolute http, https or mailto URL. pdf.js also reports a
 * `url` for a Launch or GoToR action (a file name, to which it adds `http://` when it starts with
 * `www.`) and for a JavaScript action that calls app.launchURL() or window.open(): none of those may
 * become a web link. pdf.js does not say which action a url came from; what tells them apart is that
 * the URL as written (`unsafeUrl`) must itself be absolute (no protocol added), and that a URI action
 * never has `newWindow` (pdf.js sets it for every recovered script URL and for a launch that asks).
 * A Launch or GoToR whose file is itself an absolute web URL passes both: the engine adapter checks
 * the action type as written (engines/pdfjs/link-actions.ts) before it asks this.
 */
export const WEB_SCHEMES = new Set(["http:", "https:", "mailto:"]);

/** The link to keep for an action pdf.js reported, or null. */
export function webLink(action: { unsafeUrl?: unknown; newWindow?: unknown }): string | null {
  if (action.newWindow !== undefined || typeof action.unsafeUrl !== "string") return null;
  return isWebUri(action.unsafeUrl) ? new URL(action.unsafeUrl).href : null;
}

/** Whether `uri` is an absolute http, https or mailto URL (also checked by the master on what a worker sends). */
export function isWebUri(uri: string): boolean {
  return URL.canParse(uri) && WEB_SCHEMES.has(new URL(uri).protocol);
}
