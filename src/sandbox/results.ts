/**
 * The master's side of an untrusted render process: the process writes only into its own folder,
 * and what it reports back is checked before the master touches any file: the paths must be the
 * ones it was given there, each a regular file of its own (not a symlink, not a hard link to a file
 * elsewhere), of the size it claims and no bigger than the page can need. Only then are the files
 * moved to where the plan wants them.
 */
import { lstat } from "node:fs/promises";
import { basename, join } from "node:path";
import { moveFile } from "../move-file.js";
import type { PageResult, PageTask } from "../pool/messages.js";

/**
 * The JSON sidecar of the keep options (text runs and links of one page) is read by the master:
 * bounded. A page of dense text writes a few MB; 1 M text runs, about 100 MB.
 */
export const MAX_EXTRACT_BYTES = 64 * 1024 * 1024;

/** A result the master refuses; the render process that sent it is killed. */
export class RefusedResult extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedResult";
  }
}

/** The task as the render process sees it: its output files in its own folder (names from the task id). */
export function localTask(task: PageTask, workDir: string): PageTask {
  return {
    ...task,
    outPath: join(workDir, basename(task.outPath)),
    ...(task.extract ? { extract: { ...task.extract, path: join(workDir, basename(task.extract.path)) } } : {}),
  };
}

/** The most bytes an encoded page image can take: its raw 8-bit RGB pixels twice over (JPEG at q100 on noise, PNG's framing), plus 1 MB. */
export function maxImageBytes(task: PageTask): number {
  const pad = task.pad ?? { top: 0, right: 0, bottom: 0, left: 0 };
  return (task.width + pad.left + pad.right) * (task.height + pad.top + pad.bottom) * 3 * 2 + 1024 * 1024;
}

async function checkFile(path: string, what: string, max: number, claimed?: number): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) throw new RefusedResult(`its ${what} ${basename(path)} is not there`);
  if (!info.isFile()) throw new RefusedResult(`its ${what} is not a regular file`);
  if (info.nlink !== 1) throw new RefusedResult(`its ${what} is a hard link to another file`);
  if (claimed !== undefined && info.size !== claimed) throw new RefusedResult(`its ${what} is ${info.size} bytes, not the ${claimed} it reported`);
  if (info.size > max) throw new RefusedResult(`its ${what} is ${info.size} bytes, over the ${max} this page can need`);
}

/**
 * Checks `result` against the task the process was given (`local`) and moves its files to where
 * `task` wants them. Throws a RefusedResult when anything is off.
 */
export async function acceptResult(task: PageTask, local: PageTask, result: PageResult): Promise<PageResult> {
  if (result.path !== local.outPath) throw new RefusedResult("it reported a result path outside its folder");
  const extract = local.extract;
  if ((result.extractPath !== undefined) !== (extract !== undefined) || (extract && result.extractPath !== extract.path)) {
    throw new RefusedResult("it reported a text/links file outside its folder");
  }
  if (!Number.isSafeInteger(result.bytes)) throw new RefusedResult("it reported no size");
  await checkFile(local.outPath, "page image", maxImageBytes(task), result.bytes);
  if (extract) await checkFile(extract.path, "text/links file", MAX_EXTRACT_BYTES);
  await moveFile(local.outPath, task.outPath);
  if (extract && task.extract) await moveFile(extract.path, task.extract.path);
  return { ...result, path: task.outPath, ...(task.extract ? { extractPath: task.extract.path } : {}) };
}
