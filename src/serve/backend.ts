import type { NormalizedOptions } from "../options.js";
import type { OutputTarget } from "../output/target.js";
import type { RasterizeReport } from "../report.js";

/** One document for the service's workers. */
export interface DocumentRequest {
  /** The upload, in the job's own temp folder. */
  input: string;
  /** The job's temp folder: page images and the output's partial files go here. */
  tempDir: string;
  target: OutputTarget;
  /** The job's options; their pool-level settings are the service's. */
  options: NormalizedOptions;
  maxPages: number;
  /** Aborted when the client goes away, the time limit passes or the service shuts down. */
  signal: AbortSignal;
}

/** What `GET /readyz` answers. */
export interface Readiness {
  ready: boolean;
  /** Why not, in one line (the 503's message). */
  reason?: string;
  /** Shown in the 200 body beside `status: "ready"`, e.g. `{ workers: 2, ready: 2 }`. */
  detail: Record<string, number | string>;
}

/** A Prometheus gauge, sampled when `/metrics` is read. */
export interface Gauge {
  help: string;
  value: number;
}

/**
 * Where the service's documents are rendered: the local warm pool (warm-backend.ts) or the cluster's
 * `pdfraster worker`s through Redis (cluster-backend.ts). The HTTP side knows only this interface.
 */
export interface Backend {
  /** For the `listening on` line: `2 workers, pdfjs`, `cluster redis://h:6379 queue default, pdfjs`. */
  readonly description: string;
  /** Whether the service can render now (workers warm; in a cluster, Redis reachable and a worker registered). */
  readiness(): Promise<Readiness>;
  /** The backend's gauges for `/metrics` (workers, queue depth, ...), by series name. */
  gauges(): Promise<Record<string, Gauge>>;
  /** Renders one document; rejects with the PdfRasterError that kept it from being written, or the signal's reason. */
  rasterize(request: DocumentRequest): Promise<RasterizeReport>;
  /** Stops the workers or connections (after the jobs in flight were finished or cancelled). */
  close(): Promise<void>;
}
