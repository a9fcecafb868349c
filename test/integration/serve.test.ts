/**
 * `pdfraster serve` for real: the built CLI listening on a free loopback port, real HTTP clients
 * (fetch and node:http), real worker processes, faults injected into the workers (PDFRASTER_FAULT).
 */
import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpus, runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { makeHiddenTextPdf } from "../helpers/hidden-text-pdf.js";
import { inspectPdf } from "../helpers/pdf.js";
import { isAlive, waitFor } from "../helpers/processes.js";
import { form, metric, pdfBody, peakRssMb, ready, startServe, stopAll, type RunningService } from "../helpers/serve.js";

afterAll(stopAll);

/** The CLI's output for the same options, as bytes. */
async function cliOutput(args: string[], input = SAMPLE): Promise<Buffer> {
  const dir = scratch();
  const out = join(dir, "out.pdf");
  const result = await runCli([input, out, "--quiet", ...args]);
  expect(result.code, result.stderr).toBe(0);
  return readFileSync(out);
}

async function post(service: RunningService, query: string, init: { body: Buffer | FormData; headers?: Record<string, string> }, path = "/v1/rasterize") {
  return fetch(`${service.url}${path}${query ? `?${query}` : ""}`, { method: "POST", ...init });
}

/** Reads a Server-Sent Events stream to its end: the events' data, parsed. */
async function sse(url: string, headers: Record<string, string> = {}): Promise<Array<{ type: string; [key: string]: unknown }>> {
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const text = await response.text();
  return text
    .split("\n\n")
    .map((block) => block.split("\n").find((line) => line.startsWith("data: ")))
    .filter((line): line is string => line !== undefined)
    .map((line) => JSON.parse(line.slice(6)) as { type: string });
}

/** The entries of a ZIP (stored, as the service writes them), read from its central directory. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBeGreaterThan(0);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    expect(method).toBe(0);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    files.set(name, zip.subarray(dataStart, dataStart + size));
    at += 46 + nameLength;
  }
  return files;
}

/** Expects a JSON error body `{ code, message }` with `status`, and no stack trace or server path in it. */
async function expectError(response: Response, status: number, code: string, service?: RunningService): Promise<{ code: string; message: string; failed?: { page: number; reason: string }[] }> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { code: string; message: string };
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe("string");
  expect(body.message.length).toBeGreaterThan(0);
  expect(text).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/);
  if (service) expect(text).not.toContain(service.tmp);
  return body;
}

describe("pdfraster serve: requests", () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startServe(["--workers", "2"]);
    await ready(service);
  });

  it("returns the CLI's PDF for the same options, from a raw body and from a form", async () => {
    const raw = await post(service, "dpi=72&size=A4&format=png", pdfBody(SAMPLE));
    expect(raw.status).toBe(200);
    expect(raw.headers.get("content-type")).toBe("application/pdf");
    expect(raw.headers.get("x-pdfraster-pages")).toBe("5");
    expect(raw.headers.get("x-pdfraster-failed")).toBe("0");
    expect(raw.headers.get("content-disposition")).toBe('attachment; filename="document-raster.pdf"');
    const served = Buffer.from(await raw.arrayBuffer());
    expect(served.equals(await cliOutput(["--dpi", "72", "--size", "A4", "--format", "png"]))).toBe(true);

    const fromForm = await post(service, "", { body: form(SAMPLE, { dpi: "50", color: "gray", "keep-text": "on" }, "report.pdf") });
    expect(fromForm.status).toBe(200);
    expect(fromForm.headers.get("content-disposition")).toBe('attachment; filename="report-raster.pdf"');
    const formPdf = Buffer.from(await fromForm.arrayBuffer());
    expect(formPdf.equals(await cliOutput(["--dpi", "50", "--color", "gray", "--keep-text"]))).toBe(true);
    // keep-text=all: the CLI's `--keep-text all`, on the hidden-text document (which differs from the default's).
    const hidden = join(scratch(), "hidden.pdf");
    makeHiddenTextPdf(hidden);
    const all = Buffer.from(await (await post(service, "dpi=40&keep-text=all", pdfBody(hidden))).arrayBuffer());
    expect(all.equals(await cliOutput(["--dpi", "40", "--keep-text", "all"], hidden))).toBe(true);
    expect(all.equals(await cliOutput(["--dpi", "40", "--keep-text"], hidden))).toBe(false);
    const dir = scratch();
    const path = join(dir, "served.pdf");
    await import("node:fs/promises").then((fs) => fs.writeFile(path, formPdf));
    const info = await inspectPdf(path);
    expect(info.pages).toHaveLength(5);
    expect(service.jobDirs()).toEqual([]); // the synchronous job's folder goes with its response

    // Any upload name makes a valid header: an ASCII fallback and the UTF-8 name (RFC 8187).
    const named = await post(service, "dpi=36", { body: form(SAMPLE, {}, "отчёт 1.pdf") });
    expect(named.status).toBe(200);
    expect(named.headers.get("content-disposition")).toBe(`attachment; filename="_____ 1-raster.pdf"; filename*=UTF-8''${encodeURIComponent("отчёт 1-raster.pdf")}`);
    expect(named.headers.get("x-content-type-options")).toBe("nosniff");
    await named.arrayBuffer();
    const page = await fetch(`${service.url}/`);
    expect(page.headers.get("content-security-policy")).toMatch(/^default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-/);
    expect(await page.text()).toContain('<form id="form" action="/v1/rasterize" method="post" enctype="multipart/form-data">');
  });

  it("returns a TIFF when asked (output=tiff, format=tiff or Accept: image/tiff): the CLI's bytes, image/tiff", async () => {
    const dir = scratch();
    const cli = join(dir, "cli.tiff");
    const result = await runCli([SAMPLE, cli, "--dpi", "36", "--quiet"]);
    expect(result.code, result.stderr).toBe(0);
    const expected = readFileSync(cli);
    const asked: Array<[string, Record<string, string>]> = [
      ["dpi=36&output=tiff", {}],
      ["dpi=36&format=tiff", {}],
      ["dpi=36", { accept: "image/tiff" }],
    ];
    for (const [query, headers] of asked) {
      const response = await post(service, query, { ...pdfBody(SAMPLE), headers: { ...pdfBody(SAMPLE).headers, ...headers } });
      expect(response.status, query).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/tiff");
      expect(response.headers.get("content-disposition")).toMatch(/-raster\.tiff"/);
      expect(Buffer.from(await response.arrayBuffer()).equals(expected), query).toBe(true);
    }
    const refused = await post(service, "output=tiff&keep-text", pdfBody(SAMPLE));
    expect(refused.status).toBe(400);
  });

  it("returns image output as a ZIP of the CLI's page images", async () => {
    const response = await post(service, "", { body: form(SAMPLE, { dpi: "36", format: "png", output: "zip" }, "sample.pdf") });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    const files = unzip(Buffer.from(await response.arrayBuffer()));
    const dir = scratch();
    const result = await runCli([SAMPLE, `${dir}/`, "--dpi", "36", "--format", "png", "--quiet"]);
    expect(result.code, result.stderr).toBe(0);
    const names = readdirSync(dir).sort();
    expect([...files.keys()].sort()).toEqual(names);
    for (const name of names) expect(files.get(name)!.equals(readFileSync(join(dir, name))), name).toBe(true);
    for (const data of files.values()) expect((await sharp(data).metadata()).density).toBe(36); // before the fix: 25.4 (pHYs 1 px/mm)
  });

  it("answers every error class with its status and a JSON { code, message }", async () => {
    const cli = await runCli([SAMPLE, join(scratch(), "x.pdf"), "--dpi", "abc"]);
    const usage = await expectError(await post(service, "dpi=abc", pdfBody(SAMPLE)), 400, "ERR_USAGE", service);
    expect(cli.stderr).toContain(usage.message.replace("`dpi`", "`--dpi`")); // the CLI's message, naming the flag where the request names the field
    const onError = await expectError(await post(service, "on-error=maybe", pdfBody(SAMPLE)), 400, "ERR_USAGE");
    expect(onError).toEqual({ code: "ERR_USAGE", message: "Expected `on-error` to be one of abort, blank, skip, got `maybe` (string)", option: "on-error" });
    await expectError(await post(service, "bogus=1", pdfBody(SAMPLE)), 400, "ERR_USAGE");
    expect((await expectError(await post(service, "workers=8", pdfBody(SAMPLE)), 400, "ERR_USAGE")).message).toMatch(/setting of the whole service/);
    await expectError(await post(service, `max-pixels=${2 ** 40}`, pdfBody(SAMPLE)), 400, "ERR_USAGE");
    await expectError(await post(service, "dpi=72", { body: form(SAMPLE, { dpi: "50" }) }), 400, "ERR_USAGE"); // both in query and form
    await expectError(await post(service, "", { body: (() => { const f = new FormData(); f.append("dpi", "50"); return f; })() }), 400, "ERR_USAGE");
    await expectError(await post(service, "", { body: Buffer.from("hello"), headers: { "content-type": "text/plain" } }), 415, "ERR_CONTENT_TYPE");
    await expectError(await post(service, "", { body: Buffer.from("not a pdf at all"), headers: { "content-type": "application/pdf" } }), 422, "ERR_INPUT", service);
    const encrypted = corpus("issue6010_1.pdf");
    expect((await expectError(await post(service, "dpi=36", pdfBody(encrypted)), 422, "ERR_PASSWORD")).message).toMatch(/encrypted.*`password`/);
    expect((await expectError(await post(service, "dpi=36&password=nope", pdfBody(encrypted)), 422, "ERR_PASSWORD")).message).toMatch(/Wrong password/);
    expect((await post(service, "dpi=36&password=abc", pdfBody(encrypted))).status).toBe(200);
    const pages = await expectError(await post(service, "dpi=72&max-pixels=1000", pdfBody(SAMPLE)), 422, "ERR_PAGES_FAILED");
    expect(pages.failed?.map((f) => f.page)).toEqual([1, 2, 3, 4, 5]);
    expect(pages.failed?.[0]?.reason).toMatch(/exceeds `max-pixels` 1000/);
    await expectError(await fetch(`${service.url}/v1/jobs/no-such-job`), 404, "ERR_NOT_FOUND");
    await expectError(await fetch(`${service.url}/nowhere`), 404, "ERR_NOT_FOUND");
    expect(service.jobDirs()).toEqual([]);
  });

  it("refuses a 200 MB body over the limit without reading it, with or without Expect: 100-continue", async () => {
    const before = peakRssMb(service.child.pid!);
    const size = 200 * 2 ** 20;
    const send = (expectContinue: boolean) =>
      new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
        const url = new URL("/v1/rasterize", service.url);
        const headers: Record<string, string | number> = { "content-type": "application/pdf", "content-length": size };
        if (expectContinue) headers.expect = "100-continue";
        const req = httpRequest(url, { method: "POST", headers });
        let sent = 0;
        let answered = false;
        const chunk = Buffer.alloc(2 ** 20);
        const pump = (): void => {
          while (!answered && sent < size) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once("drain", pump);
          }
          if (!answered) req.end();
        };
        if (expectContinue) req.on("continue", pump);
        else pump();
        req.on("response", (res) => {
          answered = true;
          let body = "";
          res.on("data", (c) => (body += c));
          res.on("end", () => {
            req.destroy();
            resolve({ status: res.statusCode!, body, sent });
          });
        });
        req.on("error", (error) => (answered ? undefined : reject(error)));
      });
    const plain = await send(false);
    expect(plain.status).toBe(413);
    expect(JSON.parse(plain.body).code).toBe("ERR_TOO_LARGE");
    expect(plain.sent).toBeLessThan(size / 4); // turned away while the client was still sending
    const polite = await send(true);
    expect(polite.status).toBe(413);
    expect(polite.sent).toBe(0); // refused before the client sent a byte of it
    expect(peakRssMb(service.child.pid!) - before).toBeLessThan(50); // nothing was buffered
    expect(service.jobDirs()).toEqual([]);
  });

  it("runs an async job: 202 with an id, progress as Server-Sent Events, the result, then DELETE", async () => {
    const created = await post(service, "dpi=72&size=A4&format=png", pdfBody(SAMPLE), "/v1/jobs");
    expect(created.status).toBe(202);
    const job = (await created.json()) as { id: string; status: string };
    expect(created.headers.get("location")).toBe(`/v1/jobs/${job.id}`);
    const events = await sse(`${service.url}/v1/jobs/${job.id}/events`);
    // The same events as --progress json: document-open, a page-done per page, document-done; then end.
    const cli = await runCli([SAMPLE, join(scratch(), "p.pdf"), "--dpi", "72", "--size", "A4", "--format", "png", "--progress", "json"]);
    const cliTypes = cli.stderr.trim().split("\n").map((line) => (JSON.parse(line) as { type: string }).type);
    expect(events.map((e) => e.type)).toEqual([...cliTypes, "end"]);
    const end = events.at(-1) as unknown as { job: { status: string; result: string; report: { outputPages: number; input: string } } };
    expect(end.job.status).toBe("done");
    expect(end.job.report.outputPages).toBe(5);
    expect(end.job.report.input).toBe("document.pdf");
    // Replayed for a late subscriber, and the same through Accept on the job itself.
    expect((await sse(`${service.url}/v1/jobs/${job.id}`)).map((e) => e.type)).toEqual(events.map((e) => e.type));
    const status = (await (await fetch(`${service.url}/v1/jobs/${job.id}`, { headers: { accept: "application/json" } })).json()) as { status: string; progress: { done: number; total: number } };
    expect(status).toMatchObject({ status: "done", progress: { done: 5, total: 5 } });
    const result = await fetch(`${service.url}${end.job.result}`);
    expect(result.status).toBe(200);
    expect(Buffer.from(await result.arrayBuffer()).equals(await cliOutput(["--dpi", "72", "--size", "A4", "--format", "png"]))).toBe(true);
    expect(service.jobDirs()).toHaveLength(1); // kept until DELETE or expiry
    expect((await fetch(`${service.url}/v1/jobs/${job.id}`, { method: "DELETE" })).status).toBe(204);
    await expectError(await fetch(`${service.url}/v1/jobs/${job.id}/result`), 404, "ERR_NOT_FOUND");
    expect(service.jobDirs()).toEqual([]);
  });

  it("reports health, readiness and Prometheus metrics", async () => {
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: "ok" });
    expect(await (await fetch(`${service.url}/readyz`)).json()).toEqual({ status: "ready", workers: 2, ready: 2, sandbox: expect.stringMatching(/node-permission$/) });
    const response = await fetch(`${service.url}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(metric(text, "pdfraster_pages_total")).toBeGreaterThanOrEqual(20);
    expect(metric(text, "pdfraster_page_duration_seconds_count")).toBe(metric(text, "pdfraster_pages_total"));
    expect(metric(text, 'pdfraster_page_duration_seconds_bucket{le="+Inf"}')).toBe(metric(text, "pdfraster_pages_total"));
    expect(metric(text, 'pdfraster_documents_total{status="done"}')).toBeGreaterThanOrEqual(5);
    expect(metric(text, 'pdfraster_documents_total{status="failed"}')).toBe(4); // not a PDF, no password, wrong password, pages failed
    expect(metric(text, 'pdfraster_rejected_total{reason="too_large"}')).toBe(2);
    expect(metric(text, "pdfraster_workers_ready")).toBe(2);
    expect(metric(text, "pdfraster_jobs_queued")).toBe(0);
    expect(text).toMatch(/# TYPE pdfraster_page_duration_seconds histogram/);
  });
});

describe("pdfraster serve: start-up", () => {
  it("refuses bad settings and a port in use with exit 2 and one line naming the flag", async () => {
    const bad = await runCli(["serve", "--max-jobs", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("pdfraster: Expected `--max-jobs` to be an integer from 1 to 10000, got `0`\n");
    expect((await runCli(["serve", "--token", "short"])).stderr).toMatch(/at least 16 characters/);
    const service = await startServe(["--workers", "1"]);
    const port = new URL(service.url).port;
    const taken = await runCli(["serve", "--port", port, "--workers", "1"], { env: { TMPDIR: service.tmp } });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/^pdfraster: cannot start: .*EADDRINUSE.*\n$/);
    expect(await service.stop()).toBe(0);
  });
});

describe("pdfraster serve: limits, faults and shutdown", () => {
  it("queues up to the limit, turns the rest away with 429 and Retry-After, and keeps its memory bounded", async () => {
    const service = await startServe(["--workers", "2", "--max-jobs", "1", "--max-queue", "2"]);
    await ready(service);
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      const responses = await Promise.all(Array.from({ length: 8 }, () => post(service, "dpi=100", pdfBody(SAMPLE))));
      for (const response of responses) {
        statuses.push(response.status);
        if (response.status === 429) {
          expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
          await expectError(response, 429, "ERR_BUSY");
        } else {
          expect(response.status).toBe(200);
          expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(1000);
        }
      }
    }
    const ok = statuses.filter((s) => s === 200).length;
    const busy = statuses.filter((s) => s === 429).length;
    expect(ok + busy).toBe(24);
    expect(ok).toBeGreaterThanOrEqual(9); // 1 rendering + 2 queued per round at least
    expect(busy).toBeGreaterThanOrEqual(3);
    const rss = peakRssMb(service.child.pid!);
    console.log(`serve: 3 rounds of 8 clients, ${ok} served, ${busy} got 429; service master peak RSS ${rss.toFixed(0)} MB`);
    expect(rss).toBeLessThan(400);
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });

  it("removes an async job's result, report and folder when it expires", async () => {
    // 3 s: long enough for the events request to come before the job expires on a loaded machine.
    const service = await startServe(["--workers", "1", "--result-ttl", "3"]);
    await ready(service);
    const job = (await (await post(service, "dpi=36", pdfBody(SAMPLE), "/v1/jobs")).json()) as { id: string };
    const events = await sse(`${service.url}/v1/jobs/${job.id}/events`);
    expect(events.at(-1)).toMatchObject({ type: "end", job: { status: "done", expiresAt: expect.any(String) } });
    let status = 200;
    await waitFor(() => status === 404, 15_000, "the job to expire", async () => {
      status = (await fetch(`${service.url}/v1/jobs/${job.id}`)).status;
    });
    // The folder goes right after the job is forgotten (the 404 may come a moment before).
    await waitFor(() => service.jobDirs().length === 0, 5_000, "the job's folder to go");
    expect(await service.stop()).toBe(0);
  });

  it("keeps the tasks of banded documents planned at the same time apart: each gets its own pages", async () => {
    // --max-pages 1 and a page at 900 dpi (76 Mpx, over the 64 Mpx band budget: 2 bands): each
    // document has more tasks than pages, which once made two documents share task ids.
    const service = await startServe(["--workers", "2", "--max-pages", "1"]);
    await ready(service);
    const [first, second] = await Promise.all(["1", "2"].map((page) => post(service, `dpi=900&pages=${page}`, pdfBody(SAMPLE))));
    for (const [page, response] of [["1", first!], ["2", second!]] as const) {
      expect(response.status, await response.clone().text()).toBe(200);
      expect(response.headers.get("x-pdfraster-pages")).toBe("1");
      const served = Buffer.from(await response.arrayBuffer());
      expect(served.equals(await cliOutput(["--workers", "2", "--dpi", "900", "--pages", page])), `page ${page}`).toBe(true);
    }
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });

  it("serves documents in turn: a short document is not queued behind a long one", async () => {
    const service = await startServe(["--workers", "1"]);
    await ready(service);
    let longDone = false;
    const long = post(service, "dpi=100", pdfBody(corpus("tracemonkey.pdf"))).then(async (response) => {
      longDone = true;
      return response;
    });
    let text = "";
    await waitFor(() => metric(text, "pdfraster_pages_total") >= 1, 30_000, "the long document's first page", async () => {
      text = await (await fetch(`${service.url}/metrics`)).text();
    });
    const short = await post(service, "dpi=100&pages=1", pdfBody(SAMPLE));
    expect(short.status).toBe(200);
    expect(longDone).toBe(false); // 13 of its pages were still queued when the short one came
    expect((await long).status).toBe(200);
    expect(await service.stop()).toBe(0);
  });

  it("cancels the job of a client that disconnects: no worker stays busy, no temp file stays", async () => {
    // Page 3 hangs (and ignores SIGTERM): only the cancel frees its worker before the page timeout.
    const service = await startServe(["--workers", "2"], { PDFRASTER_FAULT: "hang@3" });
    await ready(service);
    const before = service.workers();
    expect(before).toHaveLength(2);
    const metrics = async () => (await fetch(`${service.url}/metrics`)).text();
    const req = httpRequest(new URL("/v1/rasterize?dpi=72", service.url), { method: "POST", headers: { "content-type": "application/pdf" } });
    req.on("error", () => {});
    req.end(readFileSync(SAMPLE));
    let text = "";
    await waitFor(() => metric(text, "pdfraster_pages_total") === 4 && metric(text, "pdfraster_workers_busy") === 1, 20_000, "pages 1, 2, 4, 5 done and page 3 hanging", async () => {
      text = await metrics();
    });
    expect(service.jobDirs()).toHaveLength(1);
    req.destroy(); // the client goes away
    await waitFor(() => metric(text, 'pdfraster_documents_total{status="cancelled"}') === 1 && metric(text, "pdfraster_workers_busy") === 0 && metric(text, "pdfraster_workers_ready") === 2, 15_000, "the job cancelled and its worker replaced", async () => {
      text = await metrics();
    });
    expect(before.filter((pid) => !isAlive(pid))).toHaveLength(1); // the hung worker was killed
    expect(service.workers()).toHaveLength(2);
    expect(service.jobDirs()).toEqual([]);
    expect(metric(text, "pdfraster_worker_restarts_total")).toBe(1);
    expect(await service.stop()).toBe(0);
  });

  it("fails a document over the time limit with 504 and frees its worker", async () => {
    const service = await startServe(["--workers", "2", "--time-limit", "2"], { PDFRASTER_FAULT: "hang@2" });
    await ready(service);
    await expectError(await post(service, "dpi=36", pdfBody(SAMPLE)), 504, "ERR_TIMEOUT");
    let text = "";
    await waitFor(() => metric(text, "pdfraster_workers_busy") === 0 && metric(text, "pdfraster_workers_ready") === 2, 15_000, "the hung worker replaced", async () => {
      text = await (await fetch(`${service.url}/metrics`)).text();
    });
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });

  it("limits pages per document, and maps page failures to 422 (abort) or a partial PDF (blank)", async () => {
    const service = await startServe(["--workers", "2", "--max-pages", "3"], { PDFRASTER_FAULT: "throw@2" });
    await ready(service);
    const many = await expectError(await post(service, "dpi=36", pdfBody(SAMPLE)), 422, "ERR_TOO_MANY_PAGES");
    expect(many.message).toMatch(/selects 5 pages.*at most 3/);
    const aborted = await expectError(await post(service, "dpi=36&pages=1-3", pdfBody(SAMPLE)), 422, "ERR_PAGES_FAILED");
    expect(aborted.failed).toEqual([{ page: 2, reason: expect.stringMatching(/injected fault on page 2/) }]);
    const blank = await post(service, "dpi=36&pages=1-3&on-error=blank", pdfBody(SAMPLE));
    expect(blank.status).toBe(200);
    expect(blank.headers.get("x-pdfraster-failed-pages")).toBe("2");
    expect(blank.headers.get("x-pdfraster-pages")).toBe("3");
    expect(service.jobDirs()).toEqual([]);
    expect(await service.stop()).toBe(0);
  });

  it("with a token: 401 without it or with a wrong one; health checks open, metrics behind the token", async () => {
    const token = "s3cret-token-0123456789";
    const service = await startServe(["--workers", "1"], { PDFRASTER_TOKEN: token });
    await ready(service);
    const none = await post(service, "dpi=36", pdfBody(SAMPLE));
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await expectError(none, 401, "ERR_UNAUTHORIZED");
    await expectError(await post(service, "dpi=36", { ...pdfBody(SAMPLE), headers: { "content-type": "application/pdf", authorization: `Bearer ${token}x` } }), 401, "ERR_UNAUTHORIZED");
    await expectError(await post(service, "dpi=36", { ...pdfBody(SAMPLE), headers: { "content-type": "application/pdf", authorization: "Bearer short" } }), 401, "ERR_UNAUTHORIZED");
    await expectError(await fetch(`${service.url}/v1/jobs/x`), 401, "ERR_UNAUTHORIZED");
    await expectError(await fetch(`${service.url}/metrics`), 401, "ERR_UNAUTHORIZED");
    const ok = await post(service, "dpi=36", { ...pdfBody(SAMPLE), headers: { "content-type": "application/pdf", authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${service.url}/`)).status).toBe(200);
    const metrics = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(metric(await metrics.text(), 'pdfraster_rejected_total{reason="unauthorized"}')).toBe(5);
    expect(await service.stop()).toBe(0);
  });

  it("keeps a connection usable after refusing an upload it did not read: the next request on it is answered", async () => {
    const service = await startServe(["--workers", "1"], { PDFRASTER_TOKEN: "s3cret-token-0123456789" });
    await ready(service);
    // One connection, written by hand: a 401 for a 300 KB upload (more than one read of the socket),
    // then two GETs on the same connection, as a keep-alive client (fetch, requests.Session) does.
    const socket = connect(Number(new URL(service.url).port), "127.0.0.1");
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    const closed = new Promise<string>((resolve) => socket.once("close", () => resolve("closed")));
    socket.on("error", () => {});
    await new Promise((resolve) => socket.once("connect", resolve));
    const body = Buffer.alloc(300_000, 0x41);
    socket.write(`POST /v1/rasterize?dpi=36 HTTP/1.1\r\nHost: ${new URL(service.url).host}\r\nContent-Type: application/pdf\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body);
    const statuses = (): string[] => [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]!);
    await waitFor(() => statuses().length === 1, 5_000, "the 401");
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${new URL(service.url).host}\r\n\r\n`);
    socket.write(`GET /readyz HTTP/1.1\r\nHost: ${new URL(service.url).host}\r\n\r\n`);
    // Before the fix the rest of the upload was never read: the GETs got no answer and the connection was reset after 1 s.
    const answered = await Promise.race([waitFor(() => statuses().length === 3, 3_000, "two answers on the same connection").then(() => "answered", () => "no answer"), closed]);
    expect(answered, received.slice(0, 2000)).toBe("answered");
    expect(statuses()).toEqual(["401", "200", "200"]);
    socket.destroy();
    expect(await service.stop()).toBe(0);
  });

  it("on SIGTERM lets an upload under way finish, renders it and answers 200, then exits 0", async () => {
    const service = await startServe(["--workers", "2"]);
    await ready(service);
    const pdf = readFileSync(SAMPLE);
    const answer = new Promise<{ status: number; bytes: number }>((resolve, reject) => {
      const req = httpRequest(new URL("/v1/rasterize?dpi=36", service.url), { method: "POST", headers: { "content-type": "application/pdf", "content-length": pdf.length } });
      req.on("error", reject);
      req.on("response", (res) => {
        let bytes = 0;
        res.on("data", (c: Buffer) => (bytes += c.length));
        res.on("end", () => resolve({ status: res.statusCode!, bytes }));
      });
      req.write(pdf.subarray(0, pdf.length >> 1));
      // The rest only once the service is shutting down (the upload has its folder by then).
      void waitFor(() => service.jobDirs().length === 1, 10_000, "the upload to start").then(async () => {
        service.child.kill("SIGTERM");
        await waitFor(() => /SIGTERM/.test(service.stderr()), 5_000, "the service to begin its shutdown");
        req.end(pdf.subarray(pdf.length >> 1));
      }, reject);
    });
    const { status, bytes } = await answer; // before the fix: ECONNRESET (the upload was not a job yet, so shutdown did not wait for it)
    expect(status).toBe(200);
    expect(bytes).toBeGreaterThan(1000);
    expect(await service.stop()).toBe(0);
    expect(readdirSync(service.tmp)).toEqual([]);
  });

  it.each(["SIGTERM", "SIGINT"] as const)("idle, exits at once on %s, not after its grace period", async (signal) => {
    const service = await startServe(["--workers", "1", "--grace", "20"]);
    await ready(service);
    const exited = new Promise<number | null>((resolve) => service.child.once("exit", resolve));
    const sent = Date.now();
    service.child.kill(signal);
    // Before the fix, the timers raced against the (empty) grace waits kept it up for all 20 s.
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve("still running"), 10_000))]);
    expect(code, service.stderr()).toBe(0);
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(service.stderr()).toMatch(/stopped/);
    expect(await service.stop()).toBe(0);
  });

  it("on SIGTERM finishes the document in flight, refuses new ones, exits 0 and leaves nothing", async () => {
    const service = await startServe(["--workers", "2"]);
    await ready(service);
    const inFlight = post(service, "dpi=150", pdfBody(corpus("tracemonkey.pdf")));
    await waitFor(() => service.jobDirs().length === 1, 10_000, "the job to start");
    const workers = service.workers();
    service.child.kill("SIGTERM");
    await waitFor(() => /SIGTERM/.test(service.stderr()), 5_000, "the service to begin its shutdown");
    const late = await post(service, "dpi=36", pdfBody(SAMPLE)).then((r) => r.status, () => "refused");
    expect([503, "refused"]).toContain(late);
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.headers.get("x-pdfraster-pages")).toBe("14");
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    expect(await service.stop()).toBe(0);
    expect(workers.filter(isAlive)).toEqual([]);
    expect(readdirSync(service.tmp)).toEqual([]); // the service's temp folder is gone
  });
});
