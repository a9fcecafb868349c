// First: on an old Node.js, importing pdfraster throws a UsageError before any dependency loads.
import "./runtime-guard.js";
export { rasterize, rasterizeBatch } from "./api.js";
export { startWorker } from "./cluster/service.js";
export type { ClusterWorker, WorkerEvent, WorkerServiceOptions } from "./cluster/service.js";
export type { RasterizeOptions, ImageFormat, ColorMode, OnError } from "./options.js";
export type { EngineName } from "./engines/registry.js";
export type { RasterizeReport, PageFailure, ProgressEvent, StageTimings, BatchReport, DocumentFailure } from "./report.js";
export type { Fit, Orientation } from "./paper.js";
export {
  ExitCode,
  PdfRasterError,
  UsageError,
  InputError,
  PasswordError,
  OutputError,
  PoolError,
  AbortError,
  ClusterError,
} from "./errors.js";
