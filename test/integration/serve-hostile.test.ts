/**
 * `pdfraster serve` against hostile requests (issue 19): malformed multipart bodies and slow uploads.
 * A real service process; requests written by hand on raw sockets where a client library would not
 * send them (a form without its boundary, a body cut short, a byte every few seconds).
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ready, startServe, stopAll, type RunningService } from "../helpers/serve.js";

afterAll(stopAll);

/** Sends `head` and `body` on a connection of its own; resolves with the status and body of the answer (status 0: closed without one). */
function raw(service: RunningService, head: string, body: Buffer | string): Promise<{ status: number; body: string }> {
  const { port, host } = new URL(service.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), "127.0.0.1");
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
      resolve({ status, body: received.slice(received.indexOf("\r\n\r\n") + 4) });
    });
    socket.write(`${head.replace("HOST", host)}\r\nconnection: close\r\n\r\n`);
    socket.write(body); // not end(): Node answers nothing on a connection the client half-closed
  });
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
