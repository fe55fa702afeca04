// The HTTP front end of `wasmlet serve`: accepts requests on the main thread, routes them, enforces
// the front-end limits, hands each request to its route's executor (guests run in the worker pool),
// maps failures to statuses, writes one access-log line per request, and shuts down gracefully.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { LockedApp } from '../../app/locked-app.ts';
import { WasmletError, errorCodeInfo, isWasmletError } from '../../util/errors.ts';
import type { ErrorHttpStatus } from '../../util/errors.ts';
import type { AccessRecord, ServerLog } from './access-log.ts';
import type { HttpInvocation, HttpResponseWriter, MatchedRoute, ServerInfo } from './executor.ts';
import {
  DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES, DEFAULT_SHUTDOWN_GRACE_MS, DEFAULT_TIMEOUT_MS,
  RETRY_AFTER_SECONDS, checkContentLength, readBody,
} from './limits.ts';
import { parseAbsoluteTarget } from './request-target.ts';
import { Router } from './router.ts';
import { prepareRoutes } from './routes-runtime.ts';
import type { GuestStream } from './guest-output.ts';
import type { RequestSpan, RequestTracer } from './request-tracer.ts';
import type { PoolKind } from './routes-runtime.ts';
import type { PoolObserver, PoolStats, WorkerMemory } from '../../engine/pool-observer.ts';

/**
 * What the server knows of one connection. Fields, not per-request objects or collections: see
 * `running` in {@link startHttpServer}.
 */
interface ConnectionState {
  /** The invocation running on it (its 'close' aborts it). */
  current: RequestInvocation | undefined;
  /** The request on it whose access line is not written yet, and its id. */
  openRes: ServerResponse | undefined;
  openId: string | undefined;
  /** The status the `clientError` handler answered `openRes`'s request with, if it did. */
  clientStatus: number | undefined;
  /** Requests received on it so far. */
  requests: number;
}

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
  /** Where access lines, guest stderr and server events go. */
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
  /** Each pool's workers and per-unit queue depth now (units: `<component>#...`). */
  poolStats(): { pool: PoolKind; stats: PoolStats }[];
  /** Each pool's per-worker heap figures (asks every worker thread). */
  workerMemory(): Promise<{ pool: PoolKind; workers: WorkerMemory[] }[]>;
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
 * HTTP status for an executor failure (see `HttpExecutor`): the code's `httpStatus` in the error
 * registry (`ERROR_CODES`: 413 body too large, 503 queue full or shutting down, 504 timeout, 502
 * bad CGI response, 400 client went away); 500 for anything else.
 */
export function statusForError(err: unknown): ErrorHttpStatus {
  return (isWasmletError(err) ? errorCodeInfo(err.code)?.httpStatus : undefined) ?? 500;
}

/**
 * Adapts a Node response to {@link HttpResponseWriter}; holds the head back until body or end.
 * The request id header goes into the one `writeHead` array: a header set before with
 * `setHeader` would send `writeHead` down Node's slow path (a remove + append per header).
 */
class NodeResponseWriter implements HttpResponseWriter {
  readonly #res: ServerResponse;
  readonly #requestId: string;
  #status = 200;
  #headers: string[] = [];
  #committed = false;

  constructor(res: ServerResponse, requestId: string) {
    this.#res = res;
    this.#requestId = requestId;
  }

  get committed(): boolean { return this.#committed; }

  head(status: number, headers: [string, string][]): void {
    this.#status = status;
    const flat: string[] = [];
    for (const [name, value] of headers) flat.push(name, value);
    this.#headers = flat;
  }

  #commit(): void {
    this.#committed = true;
    this.#headers.push('X-Request-Id', this.#requestId);
    this.#res.writeHead(this.#status, this.#headers);
  }

  write(chunk: Uint8Array, flushed?: () => void): boolean {
    if (!this.#committed) this.#commit();
    return flushed ? this.#res.write(chunk, () => flushed()) : this.#res.write(chunk);
  }

  end(last?: Uint8Array): void {
    if (!this.#committed) {
      this.#committed = true;
      if (last) this.#headers.push('Content-Length', String(last.length));
      this.#headers.push('X-Request-Id', this.#requestId);
      this.#res.writeHead(this.#status, this.#headers);
    }
    this.#res.end(last);
  }
}

/**
 * One request as an executor sees it. Methods rather than per-request closures: this object is
 * the only thing the server allocates for a request besides the response writer.
 */
class RequestInvocation implements HttpInvocation {
  readonly requestId: string;
  readonly request: IncomingMessage;
  readonly matched: MatchedRoute;
  readonly server: ServerInfo;
  readonly maxBodyBytes: number;
  aborted = false;
  onAbort: (() => void) | undefined = undefined;
  readonly trace: RequestSpan | undefined;
  readonly #res: ServerResponse;
  readonly #log: ServerLog;

  constructor(requestId: string, req: IncomingMessage, res: ServerResponse, matched: MatchedRoute, server: ServerInfo,
    maxBodyBytes: number, log: ServerLog, trace: RequestSpan | undefined) {
    this.requestId = requestId;
    this.trace = trace;
    this.request = req;
    this.#res = res;
    this.matched = matched;
    this.server = server;
    this.maxBodyBytes = maxBodyBytes;
    this.#log = log;
  }

  readBody(): Promise<Uint8Array> { return readBody(this.request, this.maxBodyBytes); }

  logGuestOutput(stream: GuestStream, line: string): void { this.#log.guestOutput(stream, this.requestId, this.matched.component.id, line); }

  /** Its connection closed: aborts it unless the response already went out. */
  connectionClosed(): void {
    if (this.aborted || this.#res.writableFinished) return;
    this.aborted = true;
    const onAbort = this.onAbort;
    this.onAbort = undefined;
    onAbort?.();
  }
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = `${text}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/**
 * Compiles the app's components (once per content hash), starts the worker pool, and listens.
 * @throws WasmletError from preparing the app (`WASMLET_ERR_ROUTE`, `WASMLET_ERR_INVALID_WASM`,
 *   `WASMLET_ERR_EXECUTOR_UNSUPPORTED`, ...), `WASMLET_ERR_WORKER_START`, or `WASMLET_ERR_LISTEN`
 *   (the address is in use or not available).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { app, log } = options;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const router = Router.build(app.triggers.http.map((r) => ({ route: r.route, component: r.component })));
  // Starts a worker pool per executor kind the routes use (see routes-runtime.ts).
  const { routes: prepared, workerThreads, pools, close: closeRoutes } = await prepareRoutes(app, {
    workers: options.workers ?? defaultWorkerCount(),
    maxQueue: options.maxQueue,
    defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    poolObserver: options.poolObserver,
  });
  const onRequest = options.onRequest;
  const tracer = options.tracer;

  const idPrefix = randomBytes(3).toString('hex');
  let nextId = 0;
  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;
  const info: ServerInfo = { host: options.host ?? '127.0.0.1', port: 0 };
  // The invocation running on each connection. A client that goes away closes the socket: one
  // 'close' listener per connection aborts it, instead of one per request on the response. A
  // field rather than a collection: per-request churn in a long-lived Map or Set kept requests
  // alive through scavenges (see pool.ts `active`). Pipelined requests behind it (rare) listen on
  // their own response.
  const running = new WeakMap<Socket, ConnectionState>();

  const handle = async (req: IncomingMessage, res: ServerResponse, start: number): Promise<void> => {
    const requestId = `${idPrefix}-${(nextId++).toString(36)}`;
    const span = tracer?.startRequest(req.method ?? '', req.url ?? '/', req.headers);
    const connection = running.get(req.socket);
    if (connection) {
      connection.openRes = res;
      connection.openId = requestId;
      connection.clientStatus = undefined;
      connection.requests++;
    }
    let url = req.url ?? '/';
    if (url.charCodeAt(0) !== 0x2f /* '/' */) {
      // Absolute form (RFC 9112 §3.2.2): route by its path; its authority replaces Host.
      const absolute = parseAbsoluteTarget(url);
      if (absolute) {
        url = req.url = absolute.originForm;
        req.headers.host = absolute.host;
        req.rawHeaders = withHost(req.rawHeaders, absolute.host); // what the executors read
      }
    }
    // Node's own check (`requireHostHeader`) would answer 400 without a request id or access line.
    const noHost = req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1;
    const match = noHost ? undefined : router.match(url);
    const route = match ? prepared.get(match.route) : undefined;
    let error: string | undefined;
    let unsentStatus: number | undefined;
    if (draining) res.shouldKeepAlive = false;
    try {
      if (noHost) {
        // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400.
        error = 'the HTTP/1.1 request has no Host header';
        res.shouldKeepAlive = false;
        plain(res, 400, 'Bad Request: no Host header', { 'X-Request-Id': requestId });
      } else if (!match || !route) {
        res.setHeader('X-Request-Id', requestId);
        plain(res, 404, `no route matches ${url.split('?')[0]}`);
      } else {
        checkContentLength(req, maxBody);
        const invocation = new RequestInvocation(requestId, req, res,
          { route: route.route, component: route.component, match }, info, maxBody, log, span);
        if (connection && connection.current === undefined) connection.current = invocation;
        else res.once('close', () => invocation.connectionClosed());
        const writer = new NodeResponseWriter(res, requestId);
        try {
          await route.executor.execute(invocation, writer);
        } catch (err) {
          if (writer.committed) {
            error = describe(err);
            res.destroy(); // the status line is out: the only honest signal left is a cut connection
          } else {
            throw err;
          }
        } finally {
          if (connection?.current === invocation) connection.current = undefined;
        }
      }
    } catch (err) {
      const status = statusForError(err);
      error = describe(err);
      if (!res.headersSent) unsentStatus = status;
      const answered = connection?.openRes === res && connection.clientStatus !== undefined;
      if (!res.headersSent && !res.destroyed && !answered) {
        const extra: Record<string, string> = { 'X-Request-Id': requestId };
        if (status === 503) extra['Retry-After'] = String(RETRY_AFTER_SECONDS);
        if (status === 413) { extra.Connection = 'close'; res.shouldKeepAlive = false; }
        plain(res, status, statusText(status, err), extra);
      }
    }
    const finish = () => {
      // The status the client got: the clientError handler's answer when it wrote one (the client
      // cut the body short), else the response's; with neither, the one the server meant to send.
      let status = res.headersSent ? res.statusCode : unsentStatus ?? res.statusCode;
      if (connection?.openRes === res) {
        if (connection.clientStatus !== undefined) status = connection.clientStatus;
        connection.openRes = undefined;
        connection.openId = undefined;
      }
      const record: AccessRecord = {
        requestId, method: req.method ?? '', path: url, route: match?.route, component: match?.component,
        status, durationMs: performance.now() - start, error,
      };
      log.access(record);
      onRequest?.(record);
      span?.end(record);
      if (--inFlight === 0 && drained) drained();
    };
    if (res.writableFinished || res.destroyed) finish(); else res.once('close', finish);
  };

  const server = createServer({ maxHeaderSize: options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES, requireHostHeader: false }, (req, res) => {
    const start = performance.now();
    inFlight++;
    handle(req, res, start).catch((err) => {
      log.event('error', `internal error: ${describe(err)}`);
      if (!res.headersSent) plain(res, 500, 'internal server error'); else res.destroy();
      if (--inFlight === 0 && drained) drained();
    });
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
    const requestId = connection?.openId ?? `${idPrefix}-${(nextId++).toString(36)}`;
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
    onRequest?.(record);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: Error & { code?: string }) => {
      reject(new WasmletError('WASMLET_ERR_LISTEN',
        `cannot listen on ${info.host}:${options.port ?? 3000}: ${err.code ?? err.message}; pick another address with --listen`,
        { blame: 'user', cause: err }));
    });
    server.listen(options.port ?? 3000, info.host, () => resolve());
  }).catch(async (err) => { await closeRoutes(); throw err; });
  const address = server.address();
  info.port = typeof address === 'object' && address ? address.port : 0;
  const host = info.host.includes(':') ? `[${info.host}]` : info.host;

  let closing: Promise<boolean> | undefined;
  const close = (graceMs = DEFAULT_SHUTDOWN_GRACE_MS): Promise<boolean> => {
    closing ??= (async () => {
      draining = true;
      server.close();
      server.closeIdleConnections();
      let inTime = true;
      if (inFlight > 0) {
        inTime = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), graceMs);
          drained = () => { clearTimeout(timer); resolve(true); };
        });
      }
      server.closeAllConnections();
      log.flush?.(); // the access lines of the requests that just finished
      await closeRoutes();
      return inTime;
    })();
    return closing;
  };
  return {
    url: `http://${host}:${info.port}`, host: info.host, port: info.port, workerThreads, close,
    poolStats: () => pools.map(({ kind, pool }) => ({ pool: kind, stats: pool.stats() })),
    workerMemory: () => Promise.all(pools.map(async ({ kind, pool }) => ({ pool: kind, workers: await pool.workerMemory() }))),
  };
}

/** `rawHeaders` (name, value, ...) with every Host line replaced by one `Host: host`, first. */
function withHost(rawHeaders: readonly string[], host: string): string[] {
  const out = ['Host', host];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'host') out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return out;
}

function describe(err: unknown): string {
  if (isWasmletError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** The body of an error response per status: a generic text, never the guest's details. */
const STATUS_TEXT: Record<ErrorHttpStatus, string> = {
  400: 'Bad Request',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway: the guest wrote an invalid CGI response',
  503: 'Service Unavailable: the server is at capacity, retry later',
  504: 'Gateway Timeout: the guest did not finish in time',
};

/** The body of an error response: for 413 the reason (it names the limit), else {@link STATUS_TEXT}. */
function statusText(status: ErrorHttpStatus, err: unknown): string {
  return status === 413 && isWasmletError(err) ? err.message : STATUS_TEXT[status];
}
