import { setTimeout as sleep } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Bytes of ArrayBuffers alive after a garbage collection. Freed buffers are only accounted for once
 * pending I/O callbacks have run, so it waits a moment around gc().
 */
export async function settledArrayBuffers(): Promise<number> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  await sleep(20);
  gc();
  await sleep(20);
  return process.memoryUsage().arrayBuffers;
}
