/**
 * Who may use `pdfraster serve`: the token on every route but the page and the health checks, however
 * the path is spelled (percent-encoding, case, dot segments, doubled slashes, `;` parameters, absolute
 * form...), and no cross-site browser request or foreign Host. A real service process, requests written
 * with node:http so that the path reaches the service exactly as spelled (fetch would normalize it).
 */
import { Agent, request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../helpers/cli.js";
import { metric, pdfBody, ready, startServe, stopAll, type RunningService } from "../helpers/serve.js";
import { spellings } from "../helpers/spellings.js";

afterAll(stopAll);

const TOKEN = "s3cret-token-0123456789";
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

interface Answer {
  status: number;
  body: string;
}

/** One request with the path exactly as given; a connection error or no answer within 60 s is status 0. */
function send(service: RunningService, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<Answer> {
  const { port } = new URL(service.url);
  return new Promise((resolve) => {
    // A target that is not a path gets Node's 400 and a closed connection: it gets a connection of its own.
    const req = httpRequest({ host: "127.0.0.1", port, method, path, agent: path.startsWith("/") ? agent : false, timeout: 60_000, headers: { ...(body ? { "content-type": "application/pdf", "content-length": String(body.length) } : {}), ...headers } });
    req.on("error", (error) => resolve({ status: 0, body: String(error) }));
    req.on("timeout", () => req.destroy(new Error("no answer within 60 s")));
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("latin1");
      res.on("data", (chunk: string) => (text += chunk.length < 4096 ? chunk : ""));
      res.on("end", () => resolve({ status: res.statusCode!, body: text }));
    });
    req.end(body);
  });
}

const code = (answer: Answer): string | undefined => {
  try {
    return (JSON.parse(answer.body) as { code?: string }).code;
  } catch {
    return undefined;
  }
};

describe("serve: the token, on the route the router matched", () => {
  let service: RunningService;
  let job: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  beforeAll(async () => {
    service = await startServe(["--workers", "1"], { PDFRASTER_TOKEN: TOKEN });
    await ready(service);
    // A real job of another client: a spelling that got past the token could read or cancel it.
    const created = await send(service, "POST", "/v1/jobs?dpi=36&pages=1", auth, pdfBody(SAMPLE).body);
    expect(created.status, created.body).toBe(202);
    job = (JSON.parse(created.body) as { id: string }).id;
  });

  it("refuses every spelling of every protected route without the token (401), and none of them touches the job", async () => {
    const pdf = pdfBody(SAMPLE).body;
    const host = new URL(service.url).host;
    const routes: Array<[string, string, Buffer?]> = [
      ["POST", "/v1/rasterize", pdf],
      ["POST", "/v1/jobs", pdf],
      ["GET", `/v1/jobs/${job}`],
      ["GET", `/v1/jobs/${job}/events`],
      ["GET", `/v1/jobs/${job}/result`],
      ["DELETE", `/v1/jobs/${job}`],
      ["GET", "/metrics"],
      ["HEAD", "/metrics"],
    ];
    const through: string[] = [];
    let tried = 0;
    let unauthorized = 0;
    for (const [method, path, body] of routes) {
      const all = spellings(path, host, 60, path.length);
      for (let i = 0; i < all.length; i += 8) {
        await Promise.all(
          all.slice(i, i + 8).map(async (spelling) => {
            const answer = await send(service, method, `${spelling}${spelling.includes("?") ? "&" : "?"}dpi=36`, {}, body);
            tried++;
            if (answer.status === 401) unauthorized++;
            // A target that is not a path is refused by Node's HTTP parser (400) before any route is looked up.
            // (To HEAD it answers with a body, which the client cannot parse.)
            if (!/^(\/|http:)/.test(spelling) && ((answer.status === 400 && /Client Error/.test(answer.body)) || (method === "HEAD" && /Parse Error/.test(answer.body)))) return;
            if (answer.status !== 401 || (method !== "HEAD" && code(answer) !== "ERR_UNAUTHORIZED")) through.push(`${method} ${spelling} -> ${answer.status} ${answer.body.slice(0, 80)}`);
          }),
        );
      }
    }
    expect(through).toEqual([]);
    expect(tried).toBeGreaterThan(800);
    // The job is untouched, nothing was rendered for anyone without the token, and the token still works.
    const view = await send(service, "GET", `/v1/jobs/${job}`, auth);
    expect(view.status).toBe(200);
    const metrics = await send(service, "GET", "/metrics", auth);
    expect(metric(metrics.body, 'pdfraster_documents_total{status="done"}')).toBeLessThanOrEqual(1);
    expect(metric(metrics.body, 'pdfraster_rejected_total{reason="unauthorized"}')).toBe(unauthorized);
    expect(unauthorized).toBeGreaterThan(tried * 0.8);
  });

  it("answers unknown routes 401 without the token (no leak of which routes exist) and 404 with it", async () => {
    for (const [method, path] of [
      ["GET", "/v2/rasterize"],
      ["GET", "/nothing"],
      ["POST", "/healthz"],
      ["PUT", "/v1/jobs"],
      ["OPTIONS", "/v1/rasterize"],
      ["GET", "/healthz/"],
      ["GET", "//"],
    ] as const) {
      const none = await send(service, method, path);
      expect([method, path, none.status, code(none)]).toEqual([method, path, 401, "ERR_UNAUTHORIZED"]);
      const known = await send(service, method, path, auth);
      expect([method, path, known.status]).toEqual([method, path, method === "POST" && path === "/healthz" ? 404 : 404]);
    }
  });

  it("keeps the page and the health checks open, however they are spelled", async () => {
    for (const path of ["/", "/healthz", "/%68ealthz", "/readyz", "/healthz?x=1"]) {
      expect([path, (await send(service, "GET", path)).status]).toEqual([path, 200]);
    }
    expect((await send(service, "HEAD", "/healthz")).status).toBe(200);
  });
});

describe("serve: no cross-site browser requests, no foreign Host on loopback", () => {
  let service: RunningService;
  let port: string;
  beforeAll(async () => {
    service = await startServe(["--workers", "1", "--origin", "https://pdf.example.com"]);
    await ready(service);
    port = new URL(service.url).port;
  });

  const upload = (headers: Record<string, string>) => send(service, "POST", "/v1/rasterize?dpi=36&pages=1", headers, pdfBody(SAMPLE).body);

  it("refuses uploads a page of another origin sends (Origin, Sec-Fetch-Site) with 403, before reading them", async () => {
    for (const headers of [
      { origin: "http://localhost:3000" }, // another local port: same site, another origin
      { origin: `http://127.0.0.1:${Number(port) + 1}` },
      { origin: "null" }, // a sandboxed frame, a file: page
      { origin: "http://evil.example" },
      { origin: `https://127.0.0.1:${port}` },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { origin: `http://127.0.0.1:${port}`, "sec-fetch-site": "cross-site" },
    ] as Array<Record<string, string>>) {
      const answer = await upload(headers);
      expect([headers, answer.status, code(answer)]).toEqual([headers, 403, "ERR_CROSS_SITE"]);
    }
    const cancel = await send(service, "DELETE", "/v1/jobs/0123456789abcdef", { "sec-fetch-site": "cross-site" });
    expect([cancel.status, code(cancel)]).toEqual([403, "ERR_CROSS_SITE"]);
    expect(service.jobDirs()).toEqual([]);
  });

  it("takes uploads of its own origin, of a configured one, and of clients that are not browsers", async () => {
    for (const headers of [
      {},
      { origin: `http://127.0.0.1:${port}`, "sec-fetch-site": "same-origin" },
      { "sec-fetch-site": "none" }, // typed by the user
      { origin: "https://pdf.example.com", host: "pdf.example.com" }, // through the proxy of --origin
    ] as Array<Record<string, string>>) {
      const answer = await upload(headers);
      expect([headers, answer.status]).toEqual([headers, 200]);
    }
  });

  it("answers only Host names of loopback (and of --origin) with its port: DNS rebinding gets 403", async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `127.1.2.3:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`, "pdf.example.com"]) {
      expect([host, (await send(service, "GET", "/healthz", { host })).status]).toEqual([host, 200]);
    }
    for (const host of [`evil.example:${port}`, "evil.example", `localhost.evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, `127.0.0.1.evil.example:${port}`, "localhost", `[::2]:${port}`, `pdf.example.com:${port}x`]) {
      const answer = await send(service, "GET", "/healthz", { host });
      expect([host, answer.status, code(answer)]).toEqual([host, 403, "ERR_HOST"]);
    }
    const rebound = await upload({ host: `evil.example:${port}`, origin: `http://evil.example:${port}` });
    expect([rebound.status, code(rebound)]).toEqual([403, "ERR_HOST"]);
  });
});
