import { describe, expect, expectTypeOf, it } from "vitest";
import { checkQueueName, checkRedisUrl, checkStoreUrl, maskUrl, redact } from "../../dist/cluster/connection.js";
import {
  cancelMessage, checkClusterJob, idleMessage, isResultMessage, parseChannelMessage, toClusterJob, toLocalTask, type ClusterJob, type RemoteResult, type RemoteTask,
} from "../../dist/cluster/messages.js";
import type { PageResult, PageTask } from "../../dist/pool/messages.js";

const LIMITS = { maxPixels: 10_000_000, maxInputBytes: 1_000_000, pageTimeoutMs: 60_000 };
const RUN = "0123456789abcdef0123456789abcdef";
const HASH = "ab".repeat(32);

const task: PageTask = {
  id: 7, source: "/home/user/in.pdf", password: undefined, engine: "pdfjs", pageNumber: 3, width: 1000, height: 1400,
  scaleX: 1.5, scaleY: 1.5, offsetX: 0, offsetY: 0, background: [255, 255, 255], format: "jpeg", quality: 85,
  color: "rgb", threshold: 128, ppi: 150, outPath: "/tmp/pdfraster-x/page-000007.jpg",
  extract: { text: "visible", links: false, path: "/tmp/pdfraster-x/page-000007.json" },
};

/** A job as the submitter sends it, through JSON as BullMQ stores it. */
function sent(overrides: Record<string, unknown> = {}, taskOverrides: Record<string, unknown> = {}): unknown {
  const job = JSON.parse(JSON.stringify(toClusterJob(task, RUN, 1, 30_000, { hash: HASH, bytes: 5000 }))) as ClusterJob;
  return { ...job, ...overrides, task: { ...job.task, ...taskOverrides } };
}

describe("cluster job data", () => {
  it("carries no local path, and a worker turns it back into a task with its own paths", () => {
    const data = sent() as ClusterJob;
    expect(JSON.stringify(data)).not.toMatch(/\/home\/user|\/tmp\//);
    const checked = checkClusterJob(data, LIMITS);
    expect(checked).toEqual({ ok: true, job: data });
    const local = toLocalTask(data, 1, "/w/in.pdf", "/w/1.jpg", "/w/1.json");
    expect(local).toEqual({ ...task, id: 1, source: "/w/in.pdf", outPath: "/w/1.jpg", extract: { text: "visible", links: false, path: "/w/1.json" }, password: undefined });
  });

  it.each([
    ["a source path", {}, { source: "/etc/passwd" }, /names a path \(task\.source\)/],
    ["an output path", {}, { outPath: "/etc/cron.d/x" }, /names a path \(task\.outPath\)/],
    ["a sidecar path", {}, { extract: { text: true, links: true, path: "/root/.ssh/authorized_keys" } }, /names a path \(task\.extract\.path\)/],
    ["an unknown task field", {}, { shell: "rm -rf /" }, /unknown task field `shell`/],
    ["an unknown job field", { priority: 1 }, {}, /unknown field `priority`/],
    ["a raster over the worker's --max-pixels", {}, { width: 100_000, height: 100_000 }, /exceeds this worker's --max-pixels 10000000/],
    ["padding that makes it too large", {}, { pad: { top: 5000, right: 5000, bottom: 5000, left: 5000 } }, /exceeds this worker's --max-pixels/],
    ["a fractional width", {}, { width: 10.5 }, /bad raster size/],
    ["an infinite scale", {}, { scaleX: 1e308 * 10 }, /bad page transform/],
    ["a string number", {}, { quality: "85" }, /bad quality/],
    ["a background out of range", {}, { background: [0, 0, 256] }, /bad background/],
    ["an unknown engine", {}, { engine: "ghostscript" }, /unknown engine/],
    ["an input over the worker's size cap", { input: { hash: HASH, bytes: 2_000_000 } }, {}, /over this worker's limit of 1000000/],
    ["a hash that is a path", { input: { hash: "../../etc/passwd", bytes: 10 } }, {}, /bad input reference/],
    ["a run id that is a path", { run: "../x" }, {}, /bad run id/],
    ["an absurd attempt", { attempt: 1e9 }, {}, /bad attempt/],
    ["a negative timeout", { timeoutMs: -1 }, {}, /bad page timeout/],
    ["a band index past its count", {}, { band: { index: 3, count: 3, top: 0, joined: false } }, /bad band/],
    ["a band with an extra field", {}, { band: { index: 0, count: 2, top: 0, joined: false, path: "/x" } }, /bad band/],
    ["file settings with an extra field", {}, { file: { tiff: true, dpi: 300, path: "/x" } }, /bad file settings/],
    ["a resolution that is not a number", {}, { file: { tiff: false, dpi: "300" } }, /bad file settings/],
    ["a pdf flag that is not a boolean", {}, { pdf: "yes" }, /bad pdf flag/],
    ["a huge auto probe", {}, { probe: { width: 100_000, height: 100_000, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 } }, /probe raster over/],
    ["a huge text check", {}, { extract: { text: "visible", links: false, check: { width: 100_000, height: 100_000, scaleX: 1, scaleY: 1, offsetX: 0, offsetY: 0 } } }, /text check raster over/],
    ["a text mode it does not know", {}, { extract: { text: "some", links: false } }, /bad extract request/],
  ])("is refused with %s", (_, job, taskFields, reason) => {
    const checked = checkClusterJob(sent(job, taskFields), LIMITS);
    expect(checked.ok).toBe(false);
    expect(checked.ok ? "" : checked.reason).toMatch(reason);
  });

  it("takes a whole-page text check raster", () => {
    const check = { width: 200, height: 280, scaleX: 0.3, scaleY: 0.3, offsetX: 0, offsetY: 0 };
    const data = sent({}, { extract: { text: "visible", links: true, check } }) as ClusterJob;
    expect(checkClusterJob(data, LIMITS)).toEqual({ ok: true, job: data });
    expect(toLocalTask(data, 2, "/w/in.pdf", "/w/2.img", "/w/2.json").extract).toEqual({ text: "visible", links: true, check, path: "/w/2.json" });
  });

  it("takes an image output's file settings (resolution, TIFF)", () => {
    const data = sent({}, { file: { tiff: true, dpi: 300 } });
    expect(checkClusterJob(data, LIMITS)).toEqual({ ok: true, job: data });
  });

  it("takes one band of a banded page, with its auto probe", () => {
    const band = { index: 1, count: 3, top: 464, joined: false };
    const probe = { width: 200, height: 280, scaleX: 0.3, scaleY: 0.3, offsetX: 0, offsetY: 0 };
    const data = sent({}, { band, probe, format: "auto" }) as ClusterJob;
    expect(checkClusterJob(data, LIMITS)).toEqual({ ok: true, job: data });
    expect(toLocalTask(data, 2, "/w/in.pdf", "/w/2.img", "/w/2.json")).toMatchObject({ band, probe });
  });

  it("refuses what is not a job at all", () => {
    for (const value of [null, 42, "x", [], { v: 2 }]) expect(checkClusterJob(value, LIMITS).ok).toBe(false);
  });

  it("result messages are checked on receipt", () => {
    const worker = { id: "0123456789abcdef", host: "h", pid: 1 };
    const timings = { load: 1, draw: 2, readback: 0.5, encode: 3, write: 0.1, total: 7 };
    const result = { engine: "pdfjs", bytes: 10, outputBytes: 10, format: "jpeg", width: 1, height: 1, components: 3, bitsPerComponent: 8, extract: false, timings };
    expect(isResultMessage({ type: "done", job: "j", worker, result })).toBe(true);
    expect(isResultMessage({ type: "failed", job: "j", worker, reason: "r" })).toBe(true);
    expect(isResultMessage({ type: "done", job: "j", worker, result: { ...result, format: "g4", components: 1, bitsPerComponent: 1 } })).toBe(true);
    expect(isResultMessage({ type: "done", job: "j", worker, result: { ...result, format: "jbig2", components: 1, bitsPerComponent: 1 } })).toBe(true);
    expect(isResultMessage({ type: "done", job: "j", worker, result: { ...result, format: "gif" } })).toBe(false);
    expect(isResultMessage({ type: "done", job: "j", worker, result: { ...result, outputBytes: "10" } })).toBe(false);
    expect(isResultMessage({ type: "done", job: "j", worker: { ...worker, pid: "1" }, result })).toBe(false);
    expect(isResultMessage({ type: "other", job: "j", worker })).toBe(false);
    expect(isResultMessage({ type: "done", job: "j", worker, result: { ...result, encoding: "gray4" } })).toBe(true);
    // Strict at every level, as job data is: a field nobody declared, a path, missing timings.
    expect(isResultMessage({ type: "done", job: "j", worker, result: { ...result, path: "/tmp/x" } })).toBe(false);
    expect(isResultMessage({ type: "done", job: "j", worker, result: { ...result, timings: {} } })).toBe(false);
    expect(isResultMessage({ type: "failed", job: "j", worker: { ...worker, extra: 1 }, reason: "r" })).toBe(false);
    expect(isResultMessage({ type: "failed", job: "j", worker, reason: "r", result })).toBe(false);
  });

  it("declares exactly the fields of a page task and a page result, less their paths", () => {
    // Type-level (npm run typecheck): a field added to PageTask or PageResult fails here until the schema declares it.
    type Sent = Omit<PageTask, "source" | "outPath" | "extract" | "password"> & { extract?: Omit<NonNullable<PageTask["extract"]>, "path"> };
    expectTypeOf<Omit<RemoteTask, "password">>().branded.toEqualTypeOf<Sent>();
    expectTypeOf<RemoteTask["password"]>().toEqualTypeOf<PageTask["password"]>();
    expectTypeOf<RemoteResult>().branded.toEqualTypeOf<Omit<PageResult, "id" | "path" | "extractPath"> & { extract: boolean }>();
  });
});

describe("cluster URLs and names", () => {
  it("masks the password wherever a URL is shown", () => {
    expect(maskUrl("redis://alice:s3cret@host:6380/2")).toBe("redis://alice:***@host:6380/2");
    expect(maskUrl("rediss://:p%40ss@host")).toBe("rediss://:***@host");
    expect(maskUrl("redis://host:6379")).toBe("redis://host:6379");
    expect(maskUrl("not a url://u:pw@x")).not.toMatch(/pw/);
    expect(redact("WRONGPASS for s3cret at redis://alice:s3cret@host", "redis://alice:s3cret@host")).toBe("WRONGPASS for *** at redis://alice:***@host");
  });

  it("checks URLs, queue names and stores, with the password masked in the error", () => {
    expect(checkRedisUrl("rediss://u:p@h:1")).toBe("rediss://u:p@h:1");
    expect(() => checkRedisUrl("http://u:secret@h")).toThrow(/got `http:\/\/u:\*\*\*@h\/`/);
    expect(() => checkRedisUrl("")).toThrow(/redis:\/\//);
    expect(checkQueueName(undefined)).toBe("default");
    expect(() => checkQueueName("a:b")).toThrow(/letters, digits/);
    expect(checkStoreUrl("redis")).toBeUndefined();
    expect(checkStoreUrl("file:///mnt/shared")).toBe("file:///mnt/shared");
    expect(() => checkStoreUrl("file://relative")).toThrow(/file:\/\/\/absolute/);
  });
});

describe("cancel and idle messages (pub/sub)", () => {
  it("reads what submitters and workers send", () => {
    expect(parseChannelMessage("cancel", cancelMessage(RUN))).toEqual({ type: "cancel-run", run: RUN });
    expect(parseChannelMessage("cancel", cancelMessage(RUN, ["a", "b"]))).toEqual({ type: "cancel-jobs", run: RUN, jobs: new Set(["a", "b"]) });
    expect(parseChannelMessage("idle", idleMessage("w1"))).toEqual({ type: "idle", worker: "w1" });
  });

  it("ignores anything else, without throwing", () => {
    for (const raw of ["", "{", "null", "42", '"x"', "[]", "{}", '{"run":7}', '{"worker":7}']) {
      expect(parseChannelMessage("cancel", raw)).toBeUndefined();
      expect(parseChannelMessage("idle", raw)).toBeUndefined();
    }
    expect(parseChannelMessage("cancel", JSON.stringify({ run: RUN, jobs: "a" }))).toBeUndefined();
    expect(parseChannelMessage("cancel", JSON.stringify({ run: RUN, jobs: ["a", 7, null] }))).toEqual({ type: "cancel-jobs", run: RUN, jobs: new Set(["a"]) });
    expect(parseChannelMessage("idle", cancelMessage(RUN))).toBeUndefined();
    expect(parseChannelMessage("cancel", idleMessage("w1"))).toBeUndefined();
    expect(parseChannelMessage(undefined, cancelMessage(RUN))).toBeUndefined();
  });
});
