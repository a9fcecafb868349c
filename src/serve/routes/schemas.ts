/**
 * The JSON schemas of the service's query strings and path parameters. A request's fields are made
 * from the option table (the request-scoped options, by flag, with their help lines), so a new option
 * appears here with no edit. Each field is declared as text, once or repeated: the values are checked by
 * requestOptions() (normalizeOptions, as the CLI's are), so the messages name the field as the request
 * gave it and say the same as the CLI's; unknown fields are let through to get its message too.
 */
import { helpOf, inScope } from "../../option-table.js";
import { RUN_OPTIONS } from "../../options.js";

/** A query string as fastify parses it: a repeated field is an array. */
export type RequestQuery = Record<string, string | string[]>;

const TEXT = { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] } as const;

/** The query of an upload (`POST /v1/rasterize`, `POST /v1/jobs`). */
export const uploadQuerySchema = {
  type: "object",
  properties: {
    ...Object.fromEntries(inScope(RUN_OPTIONS, "request").map((spec) => [spec.flag, { ...TEXT, description: helpOf(spec, "request") }])),
    output: { ...TEXT, description: "pdf, zip (one image per page) or tiff" },
  },
  additionalProperties: TEXT,
} as const;

/** `/v1/jobs/:id...` */
export interface JobParams {
  id: string;
}
export const jobParamsSchema = {
  type: "object",
  properties: { id: { type: "string", description: "the job's id, from POST /v1/jobs" } },
  required: ["id"],
} as const;
