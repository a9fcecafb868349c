/** What the service's route plugins share: its parts, made once by startService(). */
import type { Backend } from "../backend.js";
import type { ServiceConfig } from "../config.js";
import type { JobRegistry } from "../jobs.js";
import type { Metrics } from "../metrics.js";

export interface ServiceContext {
  config: ServiceConfig;
  /** The service's temp folder (uploads, job folders). */
  root: string;
  backend: Backend;
  jobs: JobRegistry;
  metrics: Metrics;
  /** Takes server paths and Redis passwords out of a text a client will see. */
  scrub: (text: string) => string;
  /** True once shutdown has begun. */
  draining: () => boolean;
  /** Result downloads and synchronous requests in flight: shutdown lets them finish. */
  inFlight: Set<Promise<unknown>>;
  /** Admitted requests still receiving their upload: shutdown lets them become jobs. */
  submitting: Set<Promise<unknown>>;
}

/** Adds `promise` to `into` until it settles. Only waited for at shutdown: each promise's failure is answered to its client where it was made. */
export function track(promise: Promise<unknown>, into: Set<Promise<unknown>>): void {
  const settled = promise.catch(() => {}).finally(() => into.delete(settled));
  into.add(settled);
}
