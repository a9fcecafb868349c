/**
 * Planning's reading of the document, off the master's main thread: the document is opened, its
 * pages' boxes and its information read in a thread of its own (survey-thread.ts, through
 * src/contain/thread.ts). pdf.js spends seconds in one piece opening a crafted 100,000-page flat page
 * tree, and a page tree or metadata can be built to overflow a stack or fill a heap: on the main
 * thread that froze the service (/healthz unanswered, the time limit unable to fire) and made the CLI
 * deaf to Ctrl-C. In the thread, the signal terminates the work at once, and a crash or the heap
 * cap is a clean InputError for this document.
 */
import { ThreadFailure, runContained } from "../contain/thread.js";
import { InputError, PasswordError, UsageError, type PdfRasterError } from "../errors.js";
import type { PageBox } from "../engines/engine.js";
import type { EngineName } from "../engines/registry.js";
import type { SourceInfo } from "../keep/types.js";
import type { SurveyedPage, SurveyRead, SurveyReply, SurveyRequest } from "./messages.js";

export interface Survey {
  engine: EngineName;
  pageCount: number;
  /** Each page `select` asked for, by page number. */
  pages: Map<number, SurveyedPage>;
  info?: SourceInfo;
}

export interface SurveySettings {
  password: string | undefined;
  /** The planning engine, then the fallback engine. */
  engines: EngineName[];
  box: PageBox;
  /** Read the document information (`keepMetadata`). */
  info: boolean;
  /** The thread's heap in MB (0: V8's default). */
  heapMb: number;
  /** Terminates the reading (Ctrl-C, the service's time limit). */
  signal?: AbortSignal;
  /** Once the document is open: the pages to read (what it throws ends the survey). */
  select: (engine: EngineName, pageCount: number) => Iterable<number>;
}

/** Opens `source` in the planning thread and reads the selected pages' geometry. */
export async function surveyDocument(source: string, displayName: string, settings: SurveySettings): Promise<Survey> {
  const { password, engines, box, info, heapMb, signal, select } = settings;
  const request: SurveyRequest = { source, password, displayName, engines, box, info };
  let opened: { engine: EngineName; pageCount: number } | undefined;
  let reply: SurveyReply;
  try {
    reply = await runContained<SurveyReply>(new URL("./survey-thread.js", import.meta.url), request, {
      heapMb,
      signal,
      isResult: (message) => message.type !== "opened",
      onMessage: (message): SurveyRead | undefined => {
        if (message.type !== "opened") return undefined;
        opened = message;
        return { type: "read", pages: [...new Set(select(message.engine, message.pageCount))] };
      },
    });
  } catch (error) {
    if (!(error instanceof ThreadFailure)) throw error;
    throw new InputError(`${displayName} cannot be planned: ${error.why}`, { cause: error.cause });
  }
  if (reply.type === "failed") throw revive(reply.code, reply.message);
  if (reply.type !== "done" || !opened) throw new InputError(`${displayName} cannot be planned: the planning thread answered out of turn`);
  return { engine: opened.engine, pageCount: opened.pageCount, pages: new Map(reply.pages.map((page) => [page.pageNumber, page])), ...(reply.info ? { info: reply.info } : {}) };
}

/** The error class the thread's error code stands for. */
function revive(code: string, message: string): PdfRasterError {
  if (code === "ERR_PASSWORD") return new PasswordError(message);
  if (code === "ERR_USAGE") return new UsageError(message);
  return new InputError(message);
}
