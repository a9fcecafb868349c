/** The routes that are not about a document: the upload page, health, readiness and metrics. */
import type { FastifyPluginAsync } from "fastify";
import { UPLOAD_PAGE, UPLOAD_PAGE_CSP } from "../page.js";
import type { ServiceContext } from "./context.js";

export const probeRoutes: FastifyPluginAsync<ServiceContext> = async (app, { backend, jobs, metrics, scrub, draining }) => {
  app.get("/", async (_request, reply) =>
    reply.type("text/html; charset=utf-8").header("cache-control", "no-store").header("content-security-policy", UPLOAD_PAGE_CSP).header("x-frame-options", "DENY").send(UPLOAD_PAGE),
  );
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    if (draining()) return reply.code(503).send({ code: "ERR_NOT_READY", message: "The service is shutting down" });
    const readiness = await backend.readiness();
    if (!readiness.ready) return reply.code(503).send({ code: "ERR_NOT_READY", message: scrub(readiness.reason ?? "not ready") });
    return { status: "ready", ...readiness.detail };
  });
  app.get("/metrics", async (_request, reply) => {
    const load = jobs.load;
    const text = metrics.render({
      pdfraster_jobs_running: { help: "Documents rendering now.", value: load.active },
      pdfraster_jobs_queued: { help: "Documents admitted and waiting for a turn.", value: load.waiting },
      pdfraster_uploads_in_progress: { help: "Uploads being received (they hold no place among the jobs).", value: load.uploading },
      ...(await backend.gauges()),
    });
    return reply.type("text/plain; version=0.0.4; charset=utf-8").send(text);
  });
};
