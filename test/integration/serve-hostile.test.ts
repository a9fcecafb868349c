/**
 * `pdfraster serve` against hostile requests (issue 19): malformed multipart bodies and slow uploads.
 * A real service process; requests written by hand on raw sockets where a client library would not
 * send them (a form without its boundary, a body cut short, a byte every few seconds).
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { SAMPLE, scratch } from "../helpers/cli.js";
import { makeFlatPagesPdf } from "../helpers/hostile-pdfs.js";
import { metric, pdfBody, peakRssMb, ready, startServe, stopAll, whilePolled, type RunningService } from "../helpers/serve.js";

afterAll(stopAll);

/** A connection of its own to the service, and the answer it gets: status (0: closed without one), body, and seconds until closed. */
function connection(service: RunningService): { socket: Socket; answer: Promise<{ status: number; body: string; seconds: number }> } {
  const started = performance.now();
  const socket = connect(Number(new URL(service.url).port), "127.0.0.1");
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => (received += chunk));
  socket.on("error", () => {});
  const answer = new Promise<{ status: number; body: string; seconds: number }>((resolve) =>
    socket.on("close", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      resolve({ status, body: received.slice(received.indexOf("\r\n\r\n") + 4), seconds: (performance.now() - started) / 1000 });
    }),
  );
  return { socket, answer };
}

/** Sends `head` and `body` on a connection of its own (not ended: Node answers nothing on a connection the client half-closed). */
function raw(service: RunningService, head: string, body: Buffer | string) {
  const { socket, answer } = connection(service);
  socket.write(`${head.replace("HOST", new URL(service.url).host)}\r\nconnection: close\r\n\r\n`);
  socket.write(body);
  return answer;
}

function multipart(service: RunningService, contentType: string, body: string) {
  return raw(service, `POST /v1/rasterize HTTP/1.1\r\nHost: HOST\r\ncontent-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(body)}`, body);
}

describe("serve: malformed multipart", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startServe(["--workers", "1"]);
    await ready(service);
  });

  it("answers 400 ERR_REQUEST with JSON, logs no stack trace, keeps nothing and keeps serving", async () => {
    const part = '--XX\r\ncontent-disposition: form-data; name="file"; filename="a.pdf"\r\ncontent-type: application/pdf\r\n\r\n%PDF-1.4\n';
    const cases: Array<[string, string]> = [
      ["multipart/form-data", `${part}--XX--\r\n`], // no boundary
      ["multipart/form-data; boundary=", "x"],
      ["multipart/form-data; boundary=XX", part], // cut short: no closing boundary
      ["multipart/form-data; boundary=XX", "garbage with no boundary at all"],
      ["multipart/form-data; boundary=XX", '--XX\r\ncontent-disposition: form-data; name="dpi"\r\n\r\n72'], // a field cut short
      ["multipart/form-data; boundary=XX", "--XX\r\nno-colon-header\r\n\r\nx\r\n--XX--\r\n"],
    ];
    for (const [type, body] of cases) {
      const answer = await multipart(service, type, body);
      const json = JSON.parse(answer.body) as { code: string; message: string };
      expect([type, body.slice(0, 20), answer.status, json.code]).toEqual([type, body.slice(0, 20), 400, json.code === "ERR_USAGE" ? "ERR_USAGE" : "ERR_REQUEST"]);
      expect(json.message).not.toMatch(/ at |\/tmp|node_modules/);
    }
    expect(service.stderr()).not.toMatch(/unexpected error|\n\s+at /); // before the fix: 500 ERR_INTERNAL and a stack per request
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect(service.jobDirs()).toEqual([]);
  });
});

/**
 * An upload that sends `chunk` bytes every `everyMs` of a declared `length` (never all of it); resolves
 * with the answer's status and body and the seconds until the connection was closed.
 */
function trickle(service: RunningService, length: number, chunk: number, everyMs: number) {
  const { socket, answer } = connection(service);
  const timer = setInterval(() => socket.write(Buffer.alloc(chunk, 0x25)), everyMs);
  socket.write(`POST /v1/rasterize?dpi=36 HTTP/1.1\r\nHost: ${new URL(service.url).host}\r\ncontent-type: application/pdf\r\ncontent-length: ${length}\r\n\r\n`);
  return answer.finally(() => clearInterval(timer));
}

describe("serve: slow uploads", () => {
  it("hold no job slot, are cut with 408 (too slow, or too long), and a normal upload goes through meanwhile", async () => {
    const service = await startServe(["--workers", "1", "--max-jobs", "1", "--max-queue", "1", "--min-upload-rate", "4k", "--upload-timeout", "8"]);
    await ready(service);
    // The attack of the issue: more slow connections than the service has places for jobs, a byte at a time.
    const slow = Array.from({ length: 4 }, () => trickle(service, 100_000, 1, 1000));
    // And one that keeps its pace (16 KiB/s) but would take a minute.
    const long = trickle(service, 1_000_000, 8192, 500);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metric(metrics, "pdfraster_uploads_in_progress")).toBe(5);
    const health = await fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(1000) });
    expect(health.status).toBe(200);
    // Before the fix: 429, the two places were held by the slow uploads (until Node's 300 s request timeout).
    const normal = await fetch(`${service.url}/v1/rasterize?dpi=36`, { method: "POST", ...pdfBody(SAMPLE) });
    expect(normal.status).toBe(200);
    for (const answer of await Promise.all(slow)) {
      expect([answer.status, (JSON.parse(answer.body) as { code: string }).code]).toEqual([408, "ERR_UPLOAD_TIMEOUT"]);
      expect(answer.body).toMatch(/slower than the service's minimum of 4096 bytes\/s/);
      expect(answer.seconds).toBeLessThan(30); // the grace (5 s) and a check; not Node's 300 s
    }
    const cut = await long;
    expect([cut.status, JSON.parse(cut.body)]).toEqual([408, { code: "ERR_UPLOAD_TIMEOUT", message: "The upload took longer than the service's limit of 8 s" }]);
    const after = await (await fetch(`${service.url}/metrics`)).text();
    expect(metric(after, "pdfraster_uploads_in_progress")).toBe(0);
    expect(service.jobDirs()).toEqual([]);
    expect(service.stderr()).not.toMatch(/unexpected error/);
    expect(await service.stop()).toBe(0);
  });

  it("refuses uploads beyond --max-uploads with 429 before reading them", async () => {
    const service = await startServe(["--workers", "1", "--max-uploads", "2", "--min-upload-rate", "4k"]);
    await ready(service);
    const slow = [trickle(service, 100_000, 1, 1000), trickle(service, 100_000, 1, 1000)];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const third = await fetch(`${service.url}/v1/rasterize?dpi=36`, { method: "POST", ...pdfBody(SAMPLE) });
    expect([third.status, ((await third.json()) as { code: string }).code]).toEqual([429, "ERR_BUSY"]);
    expect((await Promise.all(slow)).map((a) => a.status)).toEqual([408, 408]);
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });
});

describe("serve: a page selection of 150 million pages", () => {
  it("is counted before it is listed: 422 ERR_TOO_MANY_PAGES at once, memory flat, /healthz answering", async () => {
    const dir = scratch();
    const flat = join(dir, "flat-100000.pdf");
    makeFlatPagesPdf(flat, 100_000);
    const service = await startServe(["--workers", "1"]);
    await ready(service);
    const refuse = async (pages: string, selected: number): Promise<void> => {
      const answer = await fetch(`${service.url}/v1/rasterize?dpi=36&pages=${pages}`, { method: "POST", ...pdfBody(flat) });
      const body = (await answer.json()) as { code: string; message: string };
      expect([answer.status, body]).toEqual([422, { code: "ERR_TOO_MANY_PAGES", message: `The document selects ${selected} pages; this service renders at most 2000 per document` }]);
    };
    // First a small selection over the limit: what opening this document costs the service (pdf.js reads its 100,000 pages' tree).
    await refuse("1-2001", 2001);
    const opened = peakRssMb(service.child.pid!);
    await refuse(Array.from({ length: 1500 }, () => "100000-1").join(","), 150_000_000); // 13.5 KB of query
    expect((await fetch(`${service.url}/healthz`, { signal: AbortSignal.timeout(1000) })).status).toBe(200);
    // The size of the expression costs nothing. Before the fix the list was expanded first: 150 million entries, 341 MB -> 2.6 GB and a 500 (issue 19).
    expect(peakRssMb(service.child.pid!) - opened).toBeLessThan(400); // a second 7 MB upload and parse: about 120 MB here
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });
});

describe("serve: planning a flat 100,000-page tree", () => {
  it("runs off the service's main thread: /healthz answers within a second all along, and the time limit ends it (504)", async () => {
    const dir = scratch();
    const flat = join(dir, "flat-100000.pdf");
    makeFlatPagesPdf(flat, 100_000);
    const service = await startServe(["--workers", "1", "--time-limit", "20"]);
    await ready(service);
    const started = performance.now();
    // pdf.js opens this tree in one stretch of seconds, then looks each of these pages up from the start of the flat /Kids array.
    const request = fetch(`${service.url}/v1/rasterize?dpi=10&pages=99001-100000`, { method: "POST", ...pdfBody(flat) });
    const { answer, unhealthy, polls } = await whilePolled(service, request, 250);
    const seconds = (performance.now() - started) / 1000;
    expect([answer.status, ((await answer.json()) as { code: string }).code]).toEqual([504, "ERR_TIMEOUT"]);
    // Before the fix the open and each page lookup ran on the service's thread: /healthz timed out (for 6 s at a time).
    expect(polls).toBeGreaterThan(10);
    expect(unhealthy).toEqual([]);
    expect(seconds).toBeLessThan(60);
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });
});
