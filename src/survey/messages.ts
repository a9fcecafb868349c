/**
 * What the master and the planning thread (survey-thread.ts) send each other: plain data, checked
 * by its `type` on receipt.
 */
import type { PageBox, PageGeometry } from "../engines/engine.js";
import type { EngineName } from "../engines/registry.js";
import type { SourceInfo } from "../keep/types.js";

/** The thread's start-up data. */
export interface SurveyRequest {
  source: string;
  password: string | undefined;
  /** The name the input is shown by in error messages. */
  displayName: string;
  /** The engine to open the document with, then the fallback engine. */
  engines: EngineName[];
  box: PageBox;
  /** Read the document information too (`keepMetadata`). */
  info: boolean;
}

/** A page's geometry, or why it cannot be read. */
export type SurveyedPage = PageGeometry | { pageNumber: number; error: string };

/** Thread → master. */
export type SurveyReply =
  /** The document is open: the master answers with the pages to read. */
  | { type: "opened"; engine: EngineName; pageCount: number }
  | { type: "done"; pages: SurveyedPage[]; info?: SourceInfo }
  /** A clean error of ours (its code says which class), e.g. a wrong password. */
  | { type: "failed"; code: string; message: string };

/** Master → thread. */
export interface SurveyRead {
  type: "read";
  /** Page numbers, each once. */
  pages: number[];
}

export function isSurveyRead(value: unknown): value is SurveyRead {
  const read = value as SurveyRead;
  return typeof value === "object" && value !== null && read.type === "read" && Array.isArray(read.pages) && read.pages.every(Number.isInteger);
}
