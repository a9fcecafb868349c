import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { normalizeOptions } from "../../src/options.js";
import { parseBytes } from "../../src/option-table.js";
import { normalizeServiceOptions } from "../../src/serve/config.js";
import { toHttp } from "../../src/serve/http-errors.js";
import { Metrics } from "../../src/serve/metrics.js";
import { requestOptions } from "../../src/serve/request-options.js";
import { writeZip } from "../../src/serve/zip.js";
import { ServiceJob, serverTiming } from "../../src/serve/jobs.js";
import { ClusterError, InputError, LimitError, PasswordError, PoolError, UsageError } from "../../src/errors.js";

const base = normalizeOptions({ workers: 2, pageTimeout: 30, maxPixels: 1e8 });

describe("request options", () => {
  it("takes the CLI's names, with the service's pool-level settings", () => {
    const { options, output } = requestOptions({ dpi: "150", size: "a4", "on-error": "blank", "keep-text": "on", format: "auto" }, base);
    expect(options).toMatchObject({ dpi: 150, onError: "blank", keepText: "visible", format: "auto", workers: 2, pageTimeoutMs: 30_000, maxPixels: 1e8 });
    expect(options.size).toMatchObject({ name: "A4" });
    expect(output).toBe("pdf");
    expect(requestOptions({ output: "ZIP", dpi: "" }, base)).toMatchObject({ output: "zip", options: { dpi: 300 } });
    expect(requestOptions({ "keep-text": "", "keep-links": "false" }, base).options).toMatchObject({ keepText: "visible", keepLinks: false });
    expect(requestOptions({ "keep-text": "ALL" }, base).options.keepText).toBe("all");
    expect(requestOptions({ "keep-text": "visible" }, base).options.keepText).toBe("visible");
    expect(requestOptions({ "keep-text": "off" }, base).options.keepText).toBe(false);
    expect(requestOptions({ "max-pixels": "1000" }, base).options.maxPixels).toBe(1000);
    expect(requestOptions({ box: "trim" }, base).options.box).toBe("trim");
    expect(requestOptions({ format: "tiff" }, base)).toMatchObject({ output: "tiff", options: { tiff: true, format: "png" } });
    expect(requestOptions({ output: "tiff", format: "jpeg" }, base)).toMatchObject({ output: "tiff", options: { tiff: false, format: "jpeg" } });
    expect(requestOptions({}, base, "image/tiff, */*;q=0.1").output).toBe("tiff");
    expect(requestOptions({ output: "pdf" }, base, "image/tiff").output).toBe("pdf");
    expect(requestOptions({ format: "tiff", output: "zip" }, base)).toMatchObject({ output: "zip", options: { tiff: true } });
    expect(() => requestOptions({ format: "tiff", output: "pdf" }, base)).toThrow(/`format` tiff writes TIFF/);
    expect(() => requestOptions({ output: "tiff", "keep-text": "1" }, base)).toThrow(/for PDF output/);
    expect(requestOptions({ pdfa: "2B" }, base).options.pdfa).toBe("2b");
    expect(requestOptions({}, base).options.pdfa).toBeUndefined();
    expect(() => requestOptions({ pdfa: "2a" }, base)).toThrow("Expected `pdfa` to be one of 1b, 2b, 3b, got `2a` (string)");
    expect(() => requestOptions({ output: "zip", pdfa: "1b" }, base)).toThrow(/`pdfa` is for PDF output/);
    expect(() => requestOptions({ box: "paper" }, base)).toThrow(UsageError);
    expect(() => requestOptions({ "band-pixels": "1000" }, base)).toThrow(/Unknown option `band-pixels`/);
  });

  it("gives normalizeOptions()'s messages with the field names the request used", () => {
    expect(() => requestOptions({ dpi: "0" }, base)).toThrow(new UsageError("Expected `dpi` to be a number from 1 to 4800, got `0` (string)", { option: "dpi" }));
    expect(() => requestOptions({ "on-error": "x" }, base)).toThrow("Expected `on-error` to be one of abort, blank, skip, got `x` (string)");
    expect(() => requestOptions({ "keep-text": "maybe" }, base)).toThrow("Expected `keep-text` to be visible, all, or a boolean (true or false), got `maybe` (string)");
    expect(() => requestOptions({ colour: "gray" }, base)).toThrow(/Unknown option `colour`/);
    expect(() => requestOptions({ workers: "4" }, base)).toThrow(/`workers` is a setting of the whole service/);
    expect(() => requestOptions({ dpi: ["72", "96"] }, base)).toThrow(/given 2 times/);
    expect(() => requestOptions({ "max-pixels": "100000001" }, base)).toThrow(/at most the service's 100000000/);
    expect(() => requestOptions({ output: "tif" }, base)).toThrow(/`output` to be one of pdf, zip, tiff/);
    expect(() => requestOptions({ output: "zip", "keep-text": "1" }, base)).toThrow(/for PDF output/);
  });
});

describe("service settings", () => {
  it("defaults to loopback and safe limits, and takes the token from PDFRASTER_TOKEN", () => {
    const config = normalizeServiceOptions({}, {});
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8080, token: undefined, maxBodyBytes: 100 * 2 ** 20, maxPages: 2000, maxJobs: 4, maxQueue: 32, timeLimitMs: 300_000 });
    expect(normalizeServiceOptions({}, { PDFRASTER_TOKEN: "0123456789abcdef" }).token).toBe("0123456789abcdef");
    expect(() => normalizeServiceOptions({ token: "short" }, {})).toThrow(/at least 16 characters/);
    expect(() => normalizeServiceOptions({ maxJobs: 0 }, {})).toThrow("Expected `maxJobs` to be an integer from 1 to 10000, got `0`");
    expect(() => normalizeServiceOptions({ workers: "x" as unknown as number }, {})).toThrow(/`workers`/);
  });

  it("takes the cluster's settings, checked as the CLI's; `workers` is not for the cluster", () => {
    expect(normalizeServiceOptions({}, {}).base.cluster).toBeUndefined();
    expect(normalizeServiceOptions({ redis: "redis://u:pw@host:6380/2", queue: "tenant-a" }, {}).base.cluster).toEqual({ redis: "redis://u:pw@host:6380/2", queue: "tenant-a", store: undefined });
    expect(() => normalizeServiceOptions({ redis: "http://host" }, {})).toThrow(/redis:\/\/ or rediss:\/\/ URL/);
    expect(() => normalizeServiceOptions({ queue: "q" }, {})).toThrow("`queue`, `store` and `waitTimeout` are for cluster mode: give `redis` too");
    expect(() => normalizeServiceOptions({ redis: "redis://host", workers: 2 }, {})).toThrow(/^`workers` is the local pool's/);
  });

  it("reads sizes with k, M and G", () => {
    expect(parseBytes("100M", "--max-body")).toBe(104_857_600);
    expect(parseBytes("1.5k", "--max-body")).toBe(1536);
    expect(parseBytes("2GiB", "--max-body")).toBe(2 * 2 ** 30);
    expect(parseBytes("5000", "--max-body")).toBe(5000);
    expect(() => parseBytes("lots", "--max-body")).toThrow(/--max-body/);
  });
});

describe("errors to HTTP", () => {
  const map = (error: unknown) => toHttp(error, (t) => t.replaceAll("/tmp/secret", "<temp>"), () => 7);
  it("maps each class to its status and a { code, message } body", () => {
    expect(map(new UsageError("bad"))).toMatchObject({ status: 400, body: { code: "ERR_USAGE", message: "bad" } });
    expect(map(new InputError("/tmp/secret/input.pdf is not a PDF"))).toMatchObject({ status: 422, body: { code: "ERR_INPUT", message: "<temp>/input.pdf is not a PDF" } });
    expect(map(new PasswordError("encrypted: give its password with --password"))).toMatchObject({ status: 422, body: { message: "encrypted: give its password with `password`" } });
    expect(map(new LimitError("busy", "ERR_BUSY"))).toMatchObject({ status: 429, headers: { "retry-after": "7" } });
    expect(map(new LimitError("slow", "ERR_TIMEOUT")).status).toBe(504);
    expect(map(new LimitError("many", "ERR_TOO_MANY_PAGES")).status).toBe(422);
    expect(map(new PoolError("no workers"))).toMatchObject({ status: 503, headers: { "retry-after": "7" } });
    expect(map(new ClusterError("Lost the connection to Redis"))).toMatchObject({ status: 503, body: { code: "ERR_CLUSTER" }, headers: { "retry-after": "7" } });
    const quiet = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(map(new TypeError("x is not a function"))).toEqual({ status: 500, body: { code: "ERR_INTERNAL", message: "Internal error (see the service's log)" }, headers: {} });
    } finally {
      process.stderr.write = quiet;
    }
  });

  it("maps fastify's own schema-validation errors to 400 ERR_USAGE with the { code, message } body", async () => {
    const app = Fastify({ logger: false });
    app.setErrorHandler((error, _request, reply) => {
      const failure = toHttp(error, (t) => t, () => 7);
      void reply.code(failure.status).send(failure.body);
    });
    app.get("/", { schema: { querystring: { type: "object", properties: { n: { type: "integer" } } } } }, async () => ({ ok: true }));
    try {
      const response = await app.inject({ method: "GET", url: "/?n=abc" });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ code: "ERR_USAGE", message: "querystring/n must be integer" });
    } finally {
      await app.close();
    }
  });
});

describe("Server-Timing", () => {
  it("gives the job's stages from its marks and the workers' summed time from its report", () => {
    const job = new ServiceJob({ dir: "/x", path: "/x/input.pdf", name: "a.pdf", bytes: 1 }, { options: base, output: "pdf" }, 1000);
    Object.assign(job.marks, { received: 1010, running: 1012.5, opened: 1020, firstPage: 1120, lastPage: 1820, finished: 1823 });
    expect(serverTiming(job)).toBe("upload;dur=10.0, wait;dur=2.5, plan;dur=7.5, first-page;dur=100.0, render;dur=800.0, finish;dur=3.0, total;dur=823.0");
    job.report = { timings: { plan: 7, workerStart: 0, load: 100, draw: 900, readback: 10, encode: 500, write: 20, ipc: 30, assemble: 40 } } as ServiceJob["report"];
    expect(serverTiming(job)).toContain("finish;dur=3.0, busy;dur=1530.0, total;dur=823.0");
  });
});

describe("metrics", () => {
  it("writes Prometheus text: counters with labels, a cumulative histogram, gauges", () => {
    const metrics = new Metrics();
    metrics.count("pdfraster_documents_total", 'status="done"', 2);
    metrics.pageDone(30);
    metrics.pageDone(700);
    const text = metrics.render({ pdfraster_workers: { help: "Live workers.", value: 3 } });
    expect(text).toContain('pdfraster_documents_total{status="done"} 2\n');
    expect(text).toContain("pdfraster_pages_total 0\n");
    expect(text).toContain('pdfraster_page_duration_seconds_bucket{le="0.05"} 1\n');
    expect(text).toContain('pdfraster_page_duration_seconds_bucket{le="0.5"} 1\n');
    expect(text).toContain('pdfraster_page_duration_seconds_bucket{le="1"} 2\n');
    expect(text).toContain('pdfraster_page_duration_seconds_bucket{le="+Inf"} 2\n');
    expect(text).toContain("pdfraster_page_duration_seconds_sum 0.73\n");
    expect(text).toContain("# TYPE pdfraster_workers gauge\npdfraster_workers 3\n");
    for (const line of text.trim().split("\n")) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [\d.e+-]+)$/);
  });

  it("suggests a Retry-After from recent documents, 1 to 60 s", () => {
    const metrics = new Metrics();
    expect(metrics.retryAfterSeconds()).toBe(5);
    metrics.documentDone(2400);
    expect(metrics.retryAfterSeconds()).toBe(3);
    metrics.documentDone(500_000);
    expect(metrics.retryAfterSeconds()).toBe(60);
  });
});

describe("store-only ZIP", () => {
  it("writes entries a reader finds: local headers, central directory, CRC-32, UTF-8 names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pdfraster-zip-"));
    const files = [
      { name: "page-1.png", data: Buffer.from("first page") },
      { name: "seite-ä.jpg", data: Buffer.alloc(70_000, 7) },
      { name: "empty.png", data: Buffer.alloc(0) },
    ];
    for (const [i, file] of files.entries()) writeFileSync(join(dir, String(i)), file.data);
    const path = join(dir, "out.zip");
    const bytes = await writeZip(path, files.map((file, i) => ({ name: file.name, path: join(dir, String(i)) })), new Date(2024, 4, 6, 7, 8, 10));
    const zip = readFileSync(path);
    expect(zip.length).toBe(bytes);
    const end = zip.length - 22;
    expect(zip.readUInt32LE(end)).toBe(0x06054b50);
    expect(zip.readUInt16LE(end + 10)).toBe(3);
    let at = zip.readUInt32LE(end + 16);
    expect(at + zip.readUInt32LE(end + 12)).toBe(end);
    for (const file of files) {
      expect(zip.readUInt32LE(at)).toBe(0x02014b50);
      expect(zip.readUInt16LE(at + 8) & 0x0800).toBe(0x0800);
      expect(zip.readUInt16LE(at + 12)).toBe((7 << 11) | (8 << 5) | 5); // 07:08:10
      expect(zip.readUInt16LE(at + 14)).toBe(((2024 - 1980) << 9) | (5 << 5) | 6);
      expect(zip.readUInt32LE(at + 16)).toBe(crc32(file.data));
      const nameLength = zip.readUInt16LE(at + 28);
      expect(zip.subarray(at + 46, at + 46 + nameLength).toString("utf8")).toBe(file.name);
      const local = zip.readUInt32LE(at + 42);
      expect(zip.readUInt32LE(local)).toBe(0x04034b50);
      expect(zip.readUInt32LE(local + 14)).toBe(crc32(file.data));
      const data = local + 30 + zip.readUInt16LE(local + 26);
      expect(zip.subarray(data, data + file.data.length).equals(file.data)).toBe(true);
      at += 46 + nameLength;
    }
  });
});
