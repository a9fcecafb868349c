import { runContained, ThreadFailure } from "../../contain/thread.js";
import { InputError } from "../../errors.js";
import type { SourceOutlineItem } from "../../keep/types.js";

/** What the outline thread is given. */
export interface OutlineRequest {
  source: string | Uint8Array;
  password?: string;
}

/** Bookmarks deeper than this are left out (their parents stay); no reader shows so many levels. */
export const MAX_OUTLINE_DEPTH = 64;
/** Bookmarks beyond this many are left out. */
export const MAX_OUTLINE_ITEMS = 20_000;
/** The thread's heap: an outline is small, a crafted one must not take the master's memory. */
const THREAD_HEAP_MB = 256;

/**
 * The document's bookmarks, read where a failure is contained: a worker thread with its own heap
 * limit (src/contain/thread.ts). A thread that dies (a stack overflow in pdf.js on a 1,500-level
 * outline, a heap limit) is a clean InputError for this document: exit 2 on the CLI, 422 from the
 * service, which stays up. The signal terminates the thread.
 */
export async function readOutlineContained(request: OutlineRequest, displayName: string, signal?: AbortSignal): Promise<SourceOutlineItem[]> {
  try {
    const { outline } = await runContained<OutlineReply>(new URL("./outline-thread.js", import.meta.url), request, {
      heapMb: THREAD_HEAP_MB,
      signal,
      isResult: () => true,
    });
    return outline;
  } catch (error) {
    if (!(error instanceof ThreadFailure)) throw error;
    const why = error.why === "it nests too deep" ? "they nest too deep" : error.why;
    throw new InputError(`Cannot keep the bookmarks of ${displayName} (--keep-outline): ${why}`, { cause: error.cause });
  }
}

/** What the outline thread posts: the outline, cut to the limits. */
export interface OutlineReply {
  outline: SourceOutlineItem[];
}

/** The outline cut to MAX_OUTLINE_DEPTH levels and MAX_OUTLINE_ITEMS items, depth first. */
export function limitOutline(items: SourceOutlineItem[]): SourceOutlineItem[] {
  let left = MAX_OUTLINE_ITEMS;
  const cut = (level: SourceOutlineItem[], depth: number): SourceOutlineItem[] => {
    const kept: SourceOutlineItem[] = [];
    for (const item of level) {
      if (left-- <= 0) break;
      kept.push({ ...item, children: depth < MAX_OUTLINE_DEPTH ? cut(item.children, depth + 1) : [] });
    }
    return kept;
  };
  return cut(items, 1);
}
