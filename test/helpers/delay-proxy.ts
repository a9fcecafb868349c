/**
 * A TCP proxy that delays every chunk by a fixed time in each direction: network latency for the
 * cluster tests, where the kernel has no `tc netem`. Run inside a test host:
 *   node test/helpers/delay-proxy.ts <listen host> <listen port> <target host> <target port>
 * It prints `listening` once ready; a line `delay <ms>` on its stdin sets the one-way delay (a round
 * trip is twice that), for connections open and new. Order is kept (one timer queue per direction).
 */
import { createServer, connect, type Socket } from "node:net";
import { createInterface } from "node:readline";

const [listenHost, listenPort, targetHost, targetPort] = process.argv.slice(2);
let delayMs = 0;

/** Copies `from` to `to`, each chunk `delayMs` later; pauses `from` while `to` is backed up. */
function pipeDelayed(from: Socket, to: Socket): void {
  let queued = 0;
  from.on("data", (chunk: Buffer) => {
    queued++;
    if (queued > 64) from.pause();
    setTimeout(() => {
      queued--;
      if (!to.destroyed && !to.write(chunk)) from.pause();
      if (queued <= 64 && to.writableLength === 0) from.resume();
    }, delayMs);
  });
  to.on("drain", () => from.resume());
  from.on("end", () => setTimeout(() => to.end(), delayMs));
  from.on("error", () => to.destroy());
  from.on("close", () => setTimeout(() => to.destroy(), delayMs + 1));
}

const server = createServer((client) => {
  const upstream = connect({ host: targetHost!, port: Number(targetPort) });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  pipeDelayed(client, upstream);
  pipeDelayed(upstream, client);
});
server.listen(Number(listenPort), listenHost, () => process.stdout.write("listening\n"));

createInterface({ input: process.stdin }).on("line", (line) => {
  const match = /^delay (\d+(?:\.\d+)?)$/.exec(line.trim());
  if (match) {
    delayMs = Number(match[1]);
    process.stdout.write(`delay ${delayMs}\n`);
  }
});
process.stdin.on("end", () => process.exit(0));
