import { rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import fastifyMultipart from "@fastify/multipart";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { redact } from "../cluster/connection.js";
import { withDeadline } from "../deadline.js";
import { createTempDir, sweepStaleTempDirs } from "../temp-dir.js";
import { workerSandbox } from "../pool/spawn.js";
import { sandboxWarning } from "../sandbox/index.js";
import { loadEngine } from "../engines/registry.js";
import { describeError, OutputError } from "../errors.js";
import { accessRefusal, digest, isLoopback, loopbackHosts, type AccessPolicy } from "./access.js";
import type { Backend } from "./backend.js";
import { ClusterBackend } from "./cluster-backend.js";
import { WarmBackend } from "./warm-backend.js";
import { normalizeServiceOptions, type ServiceConfig, type ServiceOptions } from "./config.js";
import { HttpError, toHttp } from "./http-errors.js";
import { JobRegistry } from "./jobs.js";
import { Metrics } from "./metrics.js";
import { isUploadType, RAW_TYPES, tooLarge, unsupportedType } from "./upload.js";
import type { ServiceContext } from "./routes/context.js";
import { documentRoutes } from "./routes/documents.js";
import { probeRoutes } from "./routes/probes.js";

/** A running service. */
export interface Service {
  /** `http://host:port`, with the port actually bound. */
  readonly url: string;
  readonly config: ServiceConfig;
  /** What renders: `2 workers, pdfjs`, or `cluster redis://host:6379 queue default, pdfjs` (credentials masked). */
  readonly backend: string;
  /** One line when the workers run with less than the OS sandbox (`--sandbox auto` on a machine without it). */
  readonly sandboxWarning: string | undefined;
  /** Graceful stop: no new requests, jobs in flight get `grace` (the service's by default) to finish, then workers and temp space go. */
  close(graceMs?: number): Promise<void>;
}

/** Routes that carry an upload (patterns, as the router matched them). */
const UPLOADS = new Set(["/v1/rasterize", "/v1/jobs"]);

/**
 * Starts `pdfraster serve`: the warm workers, then the HTTP server (fastify) on `host:port`.
 * Every response other than a result is JSON; every error is `{ code, message }`.
 */
export async function startService(options: ServiceOptions = {}, backendOf: (config: ServiceConfig, root: string) => Backend = defaultBackend): Promise<Service> {
  const config = normalizeServiceOptions(options);
  // `--sandbox strict` without the OS sandbox: refused before anything is started (exit 4).
  const sandbox = config.base.cluster ? undefined : workerSandbox(config.base.sandbox);
  let root: string;
  try {
    await sweepStaleTempDirs(config.tempDir); // those of services, runs or workers killed here before
    root = await createTempDir(config.tempDir, "pdfraster-serve-");
  } catch (error) {
    throw new OutputError(`Cannot create the service's temp folder in ${config.tempDir}: ${describeError(error)}`, { cause: error });
  }
  const redisUrl = config.base.cluster?.redis;
  // No server path and no Redis password ever reaches a client (or the log lines made of these messages).
  const scrub = (text: string): string => {
    const pathless = text.replaceAll(root, "<temp>");
    return redisUrl ? redact(pathless, redisUrl) : pathless;
  };
  const metrics = new Metrics();
  const backend = backendOf(config, root);
  const jobs = new JobRegistry(config, backend, metrics, scrub);
  /** Set once the server listens (its port is known then): requests arrive only after that. */
  let access: AccessPolicy = { token: undefined, hosts: () => false, origins: new Set() };
  let draining = false;
  /** Result downloads and synchronous requests in flight: shutdown lets them finish. */
  const inFlight = new Set<Promise<unknown>>();
  /** Admitted requests still receiving their upload (see submit). */
  const submitting = new Set<Promise<unknown>>();

  /**
   * Checks made before a body is read, on the route the router matched (see access.ts): who may ask,
   * then whether an upload can be taken now. A request that sent `Expect: 100-continue` gets its
   * `100 Continue` only once these pass, so a refused client sends no body at all.
   */
  const admission = (request: FastifyRequest): HttpError | undefined => {
    const route = request.is404 ? undefined : request.routeOptions.url;
    const refused = accessRefusal({ method: request.method, route, headers: request.headers }, access);
    if (refused) {
      const reason = refused.status === 401 ? "unauthorized" : refused.code === "ERR_HOST" ? "host" : "cross_site";
      metrics.count("pdfraster_rejected_total", `reason="${reason}"`);
      return refused;
    }
    if (request.method === "POST" && route !== undefined && UPLOADS.has(route)) {
      if (draining) return new HttpError(503, "ERR_SHUTTING_DOWN", "The service is shutting down", { "retry-after": "5" });
      if (!isUploadType(request.headers["content-type"])) return unsupportedType(request.headers["content-type"]);
      const length = Number(request.headers["content-length"]);
      if (Number.isFinite(length) && length > config.maxBodyBytes) {
        metrics.count("pdfraster_rejected_total", 'reason="too_large"');
        return tooLarge(config.maxBodyBytes);
      }
    }
    return undefined;
  };
  /** Requests that sent `Expect: 100-continue` and have not been told to go on. */
  const awaitingContinue = new WeakSet<IncomingMessage>();

  const app = Fastify({
    logger: false,
    // Uploads are streamed to disk by receive(), which enforces the limit; JSON bodies are not used.
    bodyLimit: 64 * 1024,
    forceCloseConnections: true,
    return503OnClosing: true,
    serverFactory: (handler) => {
      const server = createServer(handler);
      // Routed like any request; the onRequest hook sends `100 Continue` once admission passes.
      server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
        awaitingContinue.add(req);
        handler(req, res);
      });
      return server;
    },
  });
  app.removeAllContentTypeParsers(); // no JSON or text bodies: uploads only
  await app.register(fastifyMultipart, { throwFileSizeLimit: true });
  app.addContentTypeParser(RAW_TYPES, (_request, payload, done) => done(null, payload));

  app.addHook("onRequest", async (request, reply) => {
    const refused = admission(request);
    if (refused) throw refused;
    if (awaitingContinue.delete(request.raw)) reply.raw.writeContinue();
  });
  app.addHook("onSend", async (_request, reply) => {
    reply.header("x-content-type-options", "nosniff");
  });
  app.addHook("onResponse", async (_request, reply) => {
    metrics.count("pdfraster_http_requests_total", `code="${reply.statusCode}"`);
  });
  app.setErrorHandler((error, request, reply) => {
    const failure = toHttp(error, scrub, () => metrics.retryAfterSeconds());
    // A client still waiting for `100 Continue` sends nothing more: this connection has no next request.
    if (awaitingContinue.delete(request.raw)) reply.header("connection", "close");
    else if (!request.raw.complete) closeUnread(reply);
    void reply.code(failure.status).headers(failure.headers).type("application/json; charset=utf-8").send(failure.body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ code: "ERR_NOT_FOUND", message: `No route ${request.method} ${request.url.split("?")[0]}` });
  });

  const context: ServiceContext = { config, root, backend, jobs, metrics, scrub, draining: () => draining, inFlight, submitting };
  await app.register(probeRoutes, context);
  await app.register(documentRoutes, context);

  // Every document is planned here with the service's engine: load it now rather than on the first request.
  await Promise.all([config.base.engine, config.base.fallbackEngine].flatMap((name) => (name ? [loadEngine(name).catch(() => {}) /* a warm-up only: the first request loads it again and reports its error */] : [])));
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    // The port is taken or not ours: the workers already started must go too.
    await app.close().catch(() => {}); // the listen error is the one to report
    await backend.close();
    await rm(root, { recursive: true, force: true }).catch(() => {}); // as app.close() above
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  access = {
    token: config.token === undefined ? undefined : digest(config.token),
    // Listening elsewhere, the service is reached by names and addresses it cannot know (a pod IP, a load balancer's): the token guards it.
    hosts: isLoopback(config.host) ? loopbackHosts(address.port, config.origins.map((o) => new URL(o).host)) : undefined,
    origins: new Set(config.origins),
  };
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    config,
    backend: backend.description,
    sandboxWarning: sandbox && sandboxWarning(sandbox),
    close(graceMs = config.graceMs) {
      closing ??= (async () => {
        draining = true;
        app.server.close(); // no new connections; keep-alive ones get 503 (return503OnClosing) once fastify closes
        await withDeadline(Promise.all(submitting), graceMs);
        await jobs.shutdown(graceMs);
        await withDeadline(Promise.all(inFlight), Math.min(graceMs, 5000));
        await app.close();
        await backend.close();
        await rm(root, { recursive: true, force: true }).catch(() => {}); // the folder is stale once we exit; the next start makes its own
      })();
      return closing;
    },
  };
}

/** The warm local pool, or with `redis` the cluster. */
function defaultBackend(config: ServiceConfig, root: string): Backend {
  return config.base.cluster ? new ClusterBackend(config.base, config.base.cluster) : new WarmBackend(config.base, root);
}

/** How long, and how much, a refused request's body is still read (and discarded) after the answer. */
const LINGER_MS = 1000;
const LINGER_BYTES = 4 * 2 ** 20;
const LINGER_POLL_MS = 25;

/**
 * Answered before its body was read (too large, unauthorized, busy...): the rest is not stored.
 * Node discards what still arrives, so that the client can read the answer (closing on unread data
 * would reset the connection and lose it); after LINGER_MS or LINGER_BYTES, as nginx's lingering
 * close, the connection is closed. A body that ends within those has been read past, so the
 * connection stays open for the client's next request: the answer did not say `Connection: close`,
 * and a client reusing it would meet a reset if it were closed now. A client that waits for
 * `100 Continue` sends nothing at all.
 */
function closeUnread(reply: FastifyReply): void {
  const request = reply.request.raw;
  reply.raw.once("finish", () => {
    if (request.complete) return;
    const socket = request.socket;
    const start = socket.bytesRead;
    request.resume(); // discarded
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    // Polled, not a 'data' listener on the socket: one would take the socket from Node's HTTP parser
    // (unconsume), and the rest of the body would then never be read.
    const watch = setInterval(() => {
      if (socket.bytesRead - start > LINGER_BYTES) socket.destroy();
    }, LINGER_POLL_MS);
    const stopWatching = (): void => {
      clearTimeout(timer);
      clearInterval(watch);
    };
    request.once("end", stopWatching);
    socket.once("close", stopWatching);
  });
}
