import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { HttpError } from "./http-errors.js";

/**
 * Who may use which route of the service, decided on the route the router matched (fastify's
 * `routeOptions.url`, a pattern such as `/v1/jobs/:id`), never on the raw URL: the router decodes
 * percent-encoding and takes absolute-form targets, so a check on the raw text can be walked past by
 * spelling the path another way. Deny by default: only OPEN_ROUTES answer without the token, and a
 * path no route matched needs it too (401, so that which routes exist does not leak).
 */
export interface AccessRequest {
  method: string;
  /** The pattern of the route the router matched; undefined when none did (a 404). */
  route: string | undefined;
  headers: IncomingHttpHeaders;
}

export interface AccessPolicy {
  /** SHA-256 of the bearer token; undefined: no token is asked for. */
  token: Buffer | undefined;
  /**
   * Host header values the service answers (lowercase), or undefined to answer any: when it listens on
   * loopback, `localhost`, `127.x.y.z` and `[::1]` with its port, and the hosts of `--origin`. A page of
   * another site whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name.
   */
  hosts: ((host: string) => boolean) | undefined;
  /** Origins (`https://pdf.example.com`) browsers reach the service at besides `http://<Host>`, as given with `--origin`. */
  origins: ReadonlySet<string>;
}

/** GET (and HEAD) of these are open: the upload page and the health checks, for load balancers. */
const OPEN_ROUTES = new Set(["/", "/healthz", "/readyz"]);
const SAFE_METHODS = new Set(["GET", "HEAD"]);

export function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** Why the request is refused (the first reason: host, then cross-site, then token), or undefined. */
export function accessRefusal(request: AccessRequest, policy: AccessPolicy): HttpError | undefined {
  const host = (request.headers.host ?? "").toLowerCase();
  if (policy.hosts && !policy.hosts(host)) {
    return new HttpError(403, "ERR_HOST", `This service does not answer for the host \`${host.slice(0, 100)}\` (give --origin with the address a proxy forwards)`);
  }
  const crossSite = crossSiteReason(request, host, policy.origins);
  if (crossSite) return new HttpError(403, "ERR_CROSS_SITE", `Cross-site request refused: ${crossSite}`);
  const open = request.route !== undefined && OPEN_ROUTES.has(request.route) && SAFE_METHODS.has(request.method);
  if (policy.token && !open && !authorized(request.headers.authorization, policy.token)) {
    return new HttpError(401, "ERR_UNAUTHORIZED", "This service needs a bearer token: Authorization: Bearer <token>", { "www-authenticate": 'Bearer realm="pdfraster"' });
  }
  return undefined;
}

/**
 * A browser says where a request comes from: `Origin` (sent with every POST and DELETE, and with any
 * cross-origin fetch) and `Sec-Fetch-Site`. Requests from a page of another origin are refused, so that
 * a web page cannot make a visitor's browser post documents or cancel jobs (a no-cors form post needs
 * no preflight). Clients that are not browsers send neither header and are not concerned.
 */
function crossSiteReason(request: AccessRequest, host: string, origins: ReadonlySet<string>): string | undefined {
  const origin = request.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}` && !origins.has(origin.toLowerCase())) {
    return `the page of \`${origin.slice(0, 100)}\` may not call this service (give --origin if browsers reach it there)`;
  }
  const site = request.headers["sec-fetch-site"];
  if (!SAFE_METHODS.has(request.method) && (site === "cross-site" || site === "same-site")) return `a ${site} ${request.method}`;
  return undefined;
}

/** Constant-time: both sides are hashed to 32 bytes, so neither the token's length nor its content leaks through timing. */
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer ([^\s]+)$/i.exec(header ?? "");
  return timingSafeEqual(digest(match?.[1] ?? ""), expected);
}

const LOOPBACK_V4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Whether `address` (what `--host` says) is loopback only. */
export function isLoopback(address: string): boolean {
  const name = address.toLowerCase().replace(/^\[|\]$/g, "");
  return name === "localhost" || name === "::1" || isLoopbackV4(name);
}

function isLoopbackV4(name: string): boolean {
  const match = LOOPBACK_V4.exec(name);
  return match !== null && match.slice(1).every((octet) => Number(octet) <= 255);
}

/** The Host check of a service listening on loopback `port`: loopback names with that port, and `extra` hosts as written. */
export function loopbackHosts(port: number, extra: Iterable<string>): (host: string) => boolean {
  const others = new Set([...extra].map((h) => h.toLowerCase()));
  return (host) => {
    if (others.has(host)) return true;
    const match = /^(\[::1\]|[^:[\]]+):(\d+)$/.exec(host) ?? (port === 80 ? /^(\[::1\]|[^:[\]]+)()$/.exec(host) : null);
    if (!match || (match[2] !== "" && match[2] !== String(port))) return false;
    return match[1] === "[::1]" || match[1] === "localhost" || isLoopbackV4(match[1]!);
  };
}
