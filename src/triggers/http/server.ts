// The HTTP front end of `wasmlet serve`: listens, keeps per-connection state, answers what Node's
// parser rejects, and hands each request to the app's request handler (app-handler.ts: routing,
// limits, executors, statuses, access lines: the same path an embedder's server uses), and
// shuts down gracefully.
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import type { LockedApp } from '../../app/locked-app.ts';
import { WasmletError } from '../../util/errors.ts';
import type { AccessRecord, ServerLog } from './access-log.ts';
import type { RequestTracer } from './request-tracer.ts';
import type { PoolKind } from './routes-runtime.ts';
import type { PoolObserver, PoolStats, WorkerMemory } from '../../engine/pool-observer.ts';
import { AppRequestHandler, type ConnectionState } from './app-handler.ts';
import { DEFAULT_MAX_HEADER_BYTES, DEFAULT_SHUTDOWN_GRACE_MS } from './limits.ts';

export { statusForError } from './app-handler.ts';

/** Options of {@link startHttpServer}. Sizes in bytes, durations in ms. */
export interface HttpServerOptions {
  app: LockedApp;
  /** Address to bind; default `127.0.0.1`. */
  host?: string;
  /** Port to bind; default 3000; 0 picks a free port (see {@link RunningHttpServer.port}). */
  port?: number;
  /** Worker threads running guests; default {@link defaultWorkerCount}. */
  workers?: number;
  /** Request body limit (413 above it); default 10 MiB. */
  maxBodyBytes?: number;
  /** Request head limit (431 above it); default 16 KiB (Node's `maxHeaderSize`). */
  maxHeaderBytes?: number;
  /**
   * Requests of one component allowed to wait for a worker (503 + Retry-After above it). Default:
   * no count limit; waiting is bounded by the expected wait against each request's deadline and by
   * the bytes waiting requests hold (see WorkerPool.run).
   */
  maxQueue?: number;
  /** Invocation deadline for components without `limits.timeout`; default 30 s. */
  defaultTimeoutMs?: number;
  /** Where access lines, guest output and server events go. */
  log: ServerLog;
  /** Told of every finished request, with its access record (metrics, dashboard); default none. */
  onRequest?: (record: AccessRecord) => void;
  /** Told when invocations start and settle in the worker pools (metrics); default none. */
  poolObserver?: PoolObserver;
  /** Opens a span per request (tracing); default none (no tracing work at all). */
  tracer?: RequestTracer;
}

/** A listening server. */
export interface RunningHttpServer {
  /** `http://HOST:PORT` of the bound socket. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * Worker threads running guests, per executor kind: a pool is started only for a kind some
   * route uses (`wagi` for core modules, `wasiHttp` for components).
   */
  readonly workerThreads: { readonly wagi: number; readonly wasiHttp: number };
  /** The current app's pools: workers and per-unit queue depth now (units: `<component>#...`). */
  poolStats(): { pool: PoolKind; stats: PoolStats }[];
  /** The current app's pools: per-worker heap figures (asks every worker thread). */
  workerMemory(): Promise<{ pool: PoolKind; workers: WorkerMemory[] }[]>;
  /**
   * Serves `app` in place of the current app without dropping a request (`wasmlet watch`): the
   * new app is prepared and validated first; when that fails the promise rejects and the current
   * app keeps serving. Then new requests go to it while requests in flight finish on the old one
   * (see `AppRequestHandler.reload`, `RoutingRuntime.swap`). The listener, its address and the
   * server options stay as they are.
   * @throws what {@link startHttpServer} throws while preparing an app.
   */
  reload(app: LockedApp): Promise<void>;
  /**
   * Graceful shutdown: stops accepting connections, lets in-flight requests finish (at most
   * `graceMs`, default 10 s; then their connections are closed), then stops the workers.
   * Resolves true when every request finished in time. Idempotent.
   */
  close(graceMs?: number): Promise<boolean>;
}

/**
 * Default number of guest worker threads: one per core, and at least 2. With a single worker, one
 * slow or looping guest would hold every other request until its deadline; two keep one tenant's
 * runaway guest from stalling the rest. (On 2 cores, 1 worker served the C hello ~15 % faster than
 * 2 in bench/serve.ts, because the main thread competes for a core: `--workers 1` buys that back
 * where every guest is known to be short.)
 */
export function defaultWorkerCount(): number {
  return Math.max(2, availableParallelism());
}

/**
 * Compiles the app's components (once per content hash), starts the worker pool, and listens.
 * @throws WasmletError from preparing the app (`WASMLET_ERR_ROUTE`, `WASMLET_ERR_INVALID_WASM`,
 *   `WASMLET_ERR_EXECUTOR_UNSUPPORTED`, ...), `WASMLET_ERR_WORKER_START`, or `WASMLET_ERR_LISTEN`
 *   (the address is in use or not available).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { log } = options;
  const info = { host: options.host ?? '127.0.0.1', port: 0 };
  // Starts a worker pool per executor kind the routes use (see routes-runtime.ts).
  const handler = await AppRequestHandler.create({
    app: options.app, log, info, serviceChaining: true,
    workers: options.workers ?? defaultWorkerCount(),
    maxQueue: options.maxQueue,
    maxBodyBytes: options.maxBodyBytes,
    defaultTimeoutMs: options.defaultTimeoutMs,
    onRequest: options.onRequest,
    poolObserver: options.poolObserver,
    tracer: options.tracer,
  });
  // The invocation running on each connection. A client that goes away closes the socket: one
  // 'close' listener per connection aborts it, instead of one per request on the response. A
  // field rather than a collection: per-request churn in a long-lived Map or Set kept requests
  // alive through scavenges (see pool.ts `active`). Pipelined requests behind it (rare) listen on
  // their own response.
  const running = new WeakMap<Socket, ConnectionState>();

  const server = createServer({ maxHeaderSize: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, requireHostHeader: false }, (req, res) => {
    handler.serve(req, res, running.get(req.socket));
  });
  server.on('connection', (socket: Socket) => {
    const connection: ConnectionState = { current: undefined, openRes: undefined, openId: undefined, clientStatus: undefined, requests: 0 };
    running.set(socket, connection);
    socket.once('close', () => connection.current?.connectionClosed());
  });
  // Node's parser failed on this connection: a malformed request, a head too large, or the client
  // closing mid-message. The answer carries a request id and gets an access line like any other:
  // the open request's (its body was cut short) or a new one's (a request Node never handed over).
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    const connection = running.get(socket);
    const open = connection?.openRes;
    // The response is already (being) sent: there is nothing left to say on this connection.
    if (open?.headersSent) { socket.destroy(); return; }
    // The client closed mid-message after its requests were answered (e.g. the rest of a large
    // body sent to a route that already answered 404): not a malformed request, nothing to log.
    if (err.code === 'HPE_INVALID_EOF_STATE' && open === undefined && (connection?.requests ?? 0) > 0) { socket.destroy(); return; }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const text = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    const requestId = connection?.openId ?? handler.nextRequestId();
    const answered = socket.writable;
    if (answered) {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nX-Request-Id: ${requestId}\r\nContent-Length: 0\r\n\r\n`);
    } else {
      socket.destroy();
    }
    if (open !== undefined) {
      // The open request writes its own access line, with this status if the client got it.
      if (answered) connection!.clientStatus = status;
      return;
    }
    const record: AccessRecord = {
      requestId, method: '-', path: '-', status, durationMs: 0,
      error: `malformed request (${err.code ?? err.message}) from ${socket.remoteAddress ?? 'unknown'}`,
    };
    log.access(record);
    options.onRequest?.(record);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: Error & { code?: string }) => {
      reject(new WasmletError('WASMLET_ERR_LISTEN',
        `cannot listen on ${info.host}:${options.port ?? 3000}: ${err.code ?? err.message}; pick another address with --listen`,
        { blame: 'user', cause: err }));
    });
    server.listen(options.port ?? 3000, info.host, () => resolve());
  }).catch(async (err) => { await handler.close(); throw err; });
  const address = server.address();
  info.port = typeof address === 'object' && address ? address.port : 0;
  const host = info.host.includes(':') ? `[${info.host}]` : info.host;

  let closing: Promise<boolean> | undefined;
  const close = (graceMs = DEFAULT_SHUTDOWN_GRACE_MS): Promise<boolean> => {
    closing ??= (async () => {
      const draining = handler.drain(graceMs);
      server.close();
      server.closeIdleConnections();
      const inTime = await draining;
      server.closeAllConnections();
      log.flush?.(); // the access lines of the requests that just finished
      await handler.close();
      return inTime;
    })();
    return closing;
  };
  return {
    url: `http://${host}:${info.port}`, host: info.host, port: info.port,
    get workerThreads() { return handler.workerThreads; },
    reload: (app: LockedApp) => handler.reload(app),
    close,
    poolStats: () => handler.pools.map(({ kind, pool }) => ({ pool: kind, stats: pool.stats() })),
    workerMemory: () => Promise.all(handler.pools.map(async ({ kind, pool }) => ({ pool: kind, workers: await pool.workerMemory() }))),
  };
}

