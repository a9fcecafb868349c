import { describe, expect, it } from "vitest";
import { normalizeServiceOptions } from "../../src/serve/config.js";
import { accessRefusal, digest, isLoopback, loopbackHosts, type AccessPolicy } from "../../src/serve/access.js";

describe("access policy", () => {
  const policy: AccessPolicy = { token: digest("s3cret-token-0123456789"), hosts: loopbackHosts(8080, ["pdf.example.com"]), origins: new Set(["https://pdf.example.com"]) };
  const ask = (method: string, route: string | undefined, headers: Record<string, string> = {}) =>
    accessRefusal({ method, route, headers: { host: "127.0.0.1:8080", ...headers } }, policy)?.code;

  it("opens only GET/HEAD of the page and the health checks; everything else, unmatched routes included, needs the token", () => {
    for (const route of ["/", "/healthz", "/readyz"]) {
      expect(ask("GET", route)).toBeUndefined();
      expect(ask("HEAD", route)).toBeUndefined();
      expect(ask("POST", route)).toBe("ERR_UNAUTHORIZED");
    }
    for (const route of ["/v1/rasterize", "/v1/jobs/:id", "/metrics", undefined]) expect(ask("GET", route)).toBe("ERR_UNAUTHORIZED");
    expect(ask("POST", "/v1/rasterize", { authorization: "Bearer s3cret-token-0123456789" })).toBeUndefined();
    expect(ask("POST", "/v1/rasterize", { authorization: "Bearer s3cret-token-0123456789x" })).toBe("ERR_UNAUTHORIZED");
    expect(accessRefusal({ method: "GET", route: undefined, headers: { host: "localhost:8080" } }, { ...policy, token: undefined })).toBeUndefined();
  });

  it("refuses other origins and cross-site or same-site state changes, before the token", () => {
    expect(ask("POST", "/v1/jobs", { origin: "http://localhost:3000" })).toBe("ERR_CROSS_SITE");
    expect(ask("GET", "/", { origin: "null" })).toBe("ERR_CROSS_SITE");
    expect(ask("DELETE", "/v1/jobs/:id", { "sec-fetch-site": "same-site" })).toBe("ERR_CROSS_SITE");
    expect(ask("GET", "/", { "sec-fetch-site": "cross-site" })).toBeUndefined(); // a link to the page from elsewhere
    expect(ask("GET", "/", { origin: "http://127.0.0.1:8080" })).toBeUndefined();
    expect(ask("GET", "/", { origin: "https://pdf.example.com", host: "pdf.example.com" })).toBeUndefined();
  });

  it("answers loopback names with the service's port and the hosts of --origin only", () => {
    const ok = loopbackHosts(8080, ["pdf.example.com"]);
    for (const host of ["localhost:8080", "127.0.0.1:8080", "127.255.0.9:8080", "[::1]:8080", "pdf.example.com"]) expect([host, ok(host)]).toEqual([host, true]);
    for (const host of ["", "localhost", "localhost:80", "127.0.0.256:8080", "127.0.0.1.nip.io:8080", "evil.example:8080", "[::1]:8081", "[::2]:8080", "localhost:8080:8080", "pdf.example.com:8080"]) {
      expect([host, ok(host)]).toEqual([host, false]);
    }
    expect(loopbackHosts(80, [])("localhost")).toBe(true);
    expect(["127.0.0.1", "127.3.2.1", "localhost", "::1", "[::1]"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "::", "10.0.0.1", "128.0.0.1"].some(isLoopback)).toBe(false);
  });

  it("takes --origin as origins only", () => {
    expect(normalizeServiceOptions({ origins: ["HTTPS://PDF.example.com:443", "http://10.0.0.2:8080/"] }, {}).origins).toEqual(["https://pdf.example.com", "http://10.0.0.2:8080"]);
    for (const bad of ["pdf.example.com", "https://pdf.example.com/app", "ftp://x", "https://u:p@x", "https://x/?a"]) {
      expect(() => normalizeServiceOptions({ origins: [bad] }, {})).toThrow(/Expected `origins` to be an origin/);
    }
  });
});
