import type { PageTask } from "../../src/pool/messages.js";
import type { WorkerSpawnOptions } from "../../src/pool/worker-handle.js";
import { workerSpawnOptions } from "../../dist/pool/spawn.js";
import type { SandboxMode } from "../../src/sandbox/index.js";

/** A page task as the planner makes them, for tests: JPEG q85, RGB, white, 60x80 at scale 0.1; `fields` override. */
export function pageTask(fields: Partial<PageTask> & Pick<PageTask, "id" | "pageNumber" | "outPath" | "source">): PageTask {
  return {
    password: undefined,
    engine: "pdfjs",
    width: 60,
    height: 80,
    scaleX: 0.1,
    scaleY: 0.1,
    offsetX: 0,
    offsetY: 0,
    background: [255, 255, 255],
    format: "jpeg",
    quality: 85,
    color: "rgb",
    threshold: 128,
    ppi: 7.2,
    ...fields,
  };
}

/**
 * How the pool tests start workers: the product's launcher for `sandbox` (the default: auto), reading
 * `readable`, each worker's folder in `workParent`; our `env` and no V8 flags.
 */
export function spawnOptions(
  env: NodeJS.ProcessEnv,
  scope: { readable: string[]; workParent: string },
  extra: Partial<WorkerSpawnOptions> & { sandbox?: SandboxMode } = {},
): WorkerSpawnOptions {
  const { sandbox = "auto", ...rest } = extra;
  const options = workerSpawnOptions("pdfjs", scope, { sandbox, maxWorkerMemoryBytes: 0 });
  return { ...options, execArgv: [], env, inheritStderr: false, ...rest };
}
