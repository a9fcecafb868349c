/**
 * Opening a document for planning (in the planning thread): the planning engine, or the fallback
 * engine when the first cannot read it or finds no pages; and the document information cut to size.
 */
import { describeError, InputError, PasswordError, UsageError } from "../errors.js";
import { EngineError, EngineUnavailableError, type Engine } from "../engines/engine.js";
import { openEngine } from "../engines/registry.js";
import type { SourceInfo } from "../keep/types.js";
import type { SurveyRequest } from "./messages.js";

/**
 * Longest kept information string, in characters: the limit PDF 1.7 gave conforming readers for a
 * string (ISO 32000-1 Annex C, 32,767 bytes). A crafted 8 MB title is cut, not copied into the output.
 */
export const MAX_INFO_CHARS = 32_767;

/** Opens the document with the first of `engines` that reads it and finds pages. */
export async function openDocument({ source, password, displayName, engines }: Pick<SurveyRequest, "source" | "password" | "displayName" | "engines">): Promise<Engine> {
  let firstError: unknown;
  for (const [i, name] of engines.entries()) {
    try {
      const engine = await openEngine(name, source, { password });
      // A broken page tree can leave one engine with no pages where the other finds them.
      if (engine.pageCount > 0 || i === engines.length - 1) return engine;
      await engine.close();
      firstError ??= new Error(`the ${name} engine finds no pages`);
    } catch (error) {
      if (error instanceof EngineUnavailableError) throw new UsageError(error.message, { cause: error });
      if (error instanceof EngineError && error.kind === "password-required") {
        throw new PasswordError(`${displayName} is encrypted: give its password with --password`, { cause: error });
      }
      if (error instanceof EngineError && error.kind === "password-incorrect") {
        throw new PasswordError(`Wrong password for ${displayName}`, { cause: error });
      }
      firstError ??= error;
    }
  }
  throw new InputError(`${displayName} is not a readable PDF: ${describeError(firstError)}`, { cause: firstError });
}

/** The information with each string cut to MAX_INFO_CHARS. */
export function limitInfo(info: SourceInfo): SourceInfo {
  // Not between the two halves of a surrogate pair.
  const cut = (value: string): string => (value.length > MAX_INFO_CHARS ? value.slice(0, MAX_INFO_CHARS - (/[\uD800-\uDBFF]/.test(value[MAX_INFO_CHARS - 1]!) ? 1 : 0)) : value);
  return Object.fromEntries(Object.entries(info).map(([key, value]) => [key, typeof value === "string" ? cut(value) : value]));
}
