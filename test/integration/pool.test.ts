import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PoolError } from "../../dist/errors.js";
import { Pool } from "../../dist/pool/pool.js";
import type { PageTask } from "../../dist/pool/messages.js";
import { workerPidsOf } from "../helpers/processes.js";

const ENTRY = fileURLToPath(new URL("../../dist/worker/entry.js", import.meta.url));

describe("Pool", () => {
  it("kills workers that hang while starting and stops after three of them, instead of waiting forever", async () => {
    const pool = new Pool(
      {
        size: 3,
        pageTimeoutMs: 60_000,
        maxPagesPerWorker: 10,
        spawn: { entry: ENTRY, execArgv: [], env: { PDFRASTER_WORKER: "1", PDFRASTER_FAULT: "boot-hang" }, inheritStderr: false, startTimeoutMs: 1500 },
      },
      { onResult: () => expect.fail("no page can render"), onFailure: () => expect.fail("no page was sent") },
    );
    const task = { id: 0, pageNumber: 1 } as PageTask; // never reaches a worker
    const error: unknown = await pool.run([task]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolError);
    expect((error as Error).message).toBe("Workers failed to start 3 times in a row: worker did not start within 1.5 s");
    await expect(pool.run([task])).resolves.toBeUndefined(); // a stopped pool does not start again
    expect(workerPidsOf(process.pid)).toEqual([]); // killed (they ignore SIGTERM: SIGKILL after the grace period)
  });
});
