// One wasmlet app answering HTTP requests, given as Node (req, res) pairs: routing, the front-end
// limits, the executors (guests run in the worker pools), failure -> status mapping, request ids,
// access lines, draining. `wasmlet serve` (server.ts) feeds it the requests of its own listener;
// the embedding API (src/embed/) feeds it an embedder's `node:http`/Express/Fastify requests and
// fetch `Request`s adapted to the same shapes: one code path, the same answers.
import type { IncomingMessage } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { LockedApp } from '../../app/locked-app.ts';
import { errorCodeInfo, isWasmletError } from '../../util/errors.ts';
import type { ErrorHttpStatus } from '../../util/errors.ts';
import type { AccessRecord, ServerLog } from './access-log.ts';
import type { HttpInvocation, HttpResponseWriter, MatchedRoute, ServerInfo } from './executor.ts';
import {
  DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT_MS, RETRY_AFTER_SECONDS, checkContentLength, readBody,
} from './limits.ts';
import { parseAbsoluteTarget } from './request-target.ts';
import { RoutingRuntime, type PoolKind, type PreparedRoute, type RoutesGeneration } from './routes-runtime.ts';
import { syntheticMatch, type RouteMatch } from './router.ts';
import { SERVICE_CHAINING_HEADER, serviceChainingTarget } from '../../engine/component/component-host.ts';
import type { GuestStream } from './guest-output.ts';
import type { RequestSpan, RequestTracer } from './request-tracer.ts';
import type { PoolObserver } from '../../engine/pool-observer.ts';
import type { WorkerPool } from '../../engine/pool.ts';

/**
 * The part of a Node `ServerResponse` the handler uses; a `ServerResponse` is one, and so is the
 * fetch adapter's response (src/embed/fetch-exchange.ts).
 */
export interface ResponseTarget {
  readonly headersSent: boolean;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  statusCode: number;
  shouldKeepAlive: boolean;
  writeHead(status: number, headers: string[] | Record<string, string | number>): unknown;
  setHeader(name: string, value: string): unknown;
  write(chunk: Uint8Array, callback?: () => void): boolean;
  end(chunk?: Uint8Array | string): unknown;
  /** A latin1 string (one char per byte), see `HttpResponseWriter.end`. */
  end(chunk: string, encoding: 'latin1'): unknown;
  destroy(): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * What the server knows of one connection (server.ts keeps one per socket; an embedder's server
 * has none). Fields, not per-request objects or collections: see `running` in `startHttpServer`.
 */
export interface ConnectionState {
  /** The invocation running on it (its 'close' aborts it). */
  current: RequestInvocation | undefined;
  /** The request on it whose access line is not written yet, and its id. */
  openRes: ResponseTarget | undefined;
  openId: string | undefined;
  /** The status the `clientError` handler answered `openRes`'s request with, if it did. */
  clientStatus: number | undefined;
  /** Requests received on it so far. */
  requests: number;
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
  readonly #res: ResponseTarget;
  readonly #requestId: string;
  #status = 200;
  #headers: string[] = [];
  #committed = false;

  constructor(res: ResponseTarget, requestId: string) {
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

  end(last?: Uint8Array | string): void {
    if (!this.#committed) {
      this.#committed = true;
      // A latin1 string's length is its byte length.
      if (last) this.#headers.push('Content-Length', String(last.length));
      this.#headers.push('X-Request-Id', this.#requestId);
      this.#res.writeHead(this.#status, this.#headers);
    }
    // A string goes out in the same write as the head (Node joins them): no Buffer per response.
    if (typeof last === 'string') this.#res.end(last, 'latin1'); else this.#res.end(last);
  }
}

/**
 * One request as an executor sees it. Methods rather than per-request closures: this object is
 * the only thing the server allocates for a request besides the response writer.
 */
export class RequestInvocation implements HttpInvocation {
  readonly requestId: string;
  readonly request: IncomingMessage;
  readonly matched: MatchedRoute;
  readonly server: ServerInfo;
  readonly maxBodyBytes: number;
  aborted = false;
  onAbort: (() => void) | undefined = undefined;
  readonly trace: RequestSpan | undefined;
  readonly #res: ResponseTarget;
  readonly #log: ServerLog;
  readonly #chained: boolean;

  constructor(requestId: string, req: IncomingMessage, res: ResponseTarget, matched: MatchedRoute, server: ServerInfo,
    maxBodyBytes: number, log: ServerLog, trace: RequestSpan | undefined, chained: boolean) {
    this.requestId = requestId;
    this.#chained = chained;
    this.trace = trace;
    this.request = req;
    this.#res = res;
    this.matched = matched;
    this.server = server;
    this.maxBodyBytes = maxBodyBytes;
    this.#log = log;
  }

  get remoteAddress(): string { return this.#chained ? '0.0.0.0' : this.request.socket.remoteAddress ?? ''; }

  get remotePort(): number { return this.#chained ? 0 : this.request.socket.remotePort ?? 0; }

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

function plain(res: ResponseTarget, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = `${text}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** Options of {@link AppRequestHandler.create}. Sizes in bytes, durations in ms. */
export interface AppRequestHandlerOptions {
  app: LockedApp;
  /** Worker threads of each pool (WAGI, components). */
  workers: number;
  /** Request body limit (413 above it); default 10 MiB. */
  maxBodyBytes?: number;
  /** Requests of one component allowed to wait for a worker (see `HttpServerOptions.maxQueue`). */
  maxQueue?: number;
  /** Invocation deadline for components without `limits.timeout`; default 30 s. */
  defaultTimeoutMs?: number;
  /** Where access lines, guest stderr and events go. */
  log: ServerLog;
  /**
   * The listener's address, for CGI's `SERVER_*` and a guest's self requests. Port 0: learnt from
   * the first routed request's local address (an embedder's server).
   */
  info?: ServerInfo;
  /** Told of every finished request, with its access record (metrics, dashboard); default none. */
  onRequest?: (record: AccessRecord) => void;
  /** Told when invocations start and settle in the worker pools (metrics); default none. */
  poolObserver?: PoolObserver;
  /** Opens a span per request (tracing); default none (no tracing work at all). */
  tracer?: RequestTracer;
  /**
   * Accept service-chained requests (`<component>.spin.internal`): only where the listener is
   * wasmlet's own (`startHttpServer`). Embedded, the address a request arrived on is the
   * embedder's (or, behind a fetch adapter, whatever the client's Host said), so a chaining secret
   * handed to guests could be sent anywhere; guests there get `HTTP-request-URI-invalid`.
   */
  serviceChaining?: boolean;
}

/** An app ready to answer requests: its routes prepared, its worker pools started. */
export class AppRequestHandler {
  /** Where the listener is (see {@link AppRequestHandlerOptions.info}). */
  readonly info: ServerInfo;
  /** The app's routes and pools; a reload swaps in a new generation of them. */
  readonly #runtime: RoutingRuntime;
  readonly #log: ServerLog;
  readonly #maxBody: number;
  readonly #onRequest: ((record: AccessRecord) => void) | undefined;
  readonly #tracer: RequestTracer | undefined;
  readonly #idPrefix = randomBytes(3).toString('hex');
  #nextId = 0;
  #inFlight = 0;
  #draining = false;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  /**
   * The secret of service-chained requests (see {@link #chainedAuthority}); 128 random bits, hex;
   * undefined without {@link AppRequestHandlerOptions.serviceChaining}.
   */
  readonly #chainingSecret: string | undefined;

  private constructor(options: AppRequestHandlerOptions, runtime: RoutingRuntime) {
    // Shared with the caller on purpose: startHttpServer fills in the port once it listens.
    this.info = options.info ?? { host: '127.0.0.1', port: 0 };
    this.#chainingSecret = options.serviceChaining === true ? randomBytes(16).toString('hex') : undefined;
    if (this.#chainingSecret !== undefined) this.info.serviceChainingSecret = this.#chainingSecret;
    this.#runtime = runtime;
    this.#log = options.log;
    this.#maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#onRequest = options.onRequest;
    this.#tracer = options.tracer;
  }

  /**
   * Builds the router, compiles the app's components (once per content hash) and starts a worker
   * pool per executor kind the routes use.
   * @throws WasmletError from preparing the app (`WASMLET_ERR_ROUTE`, `WASMLET_ERR_INVALID_WASM`,
   *   `WASMLET_ERR_EXECUTOR_UNSUPPORTED`, ...: see `prepareRoutes`) or `WASMLET_ERR_WORKER_START`.
   */
  static async create(options: AppRequestHandlerOptions): Promise<AppRequestHandler> {
    const runtime = await RoutingRuntime.start(options.app, {
      workers: options.workers,
      maxQueue: options.maxQueue,
      defaultTimeoutMs: options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      poolObserver: options.poolObserver,
    });
    return new AppRequestHandler(options, runtime);
  }

  /** The current app's pools, by kind (for gauges: a reload replaces them). */
  get pools(): readonly { kind: PoolKind; pool: WorkerPool }[] { return this.#runtime.current.pools; }

  /** Worker threads of the current app per executor kind (0 for a kind no route uses). */
  get workerThreads(): { readonly wagi: number; readonly wasiHttp: number } { return this.#runtime.current.workerThreads; }

  /**
   * Serves `app` in place of the current app without dropping a request (`wasmlet watch`): the
   * new app is prepared and validated first (routes, binaries, imports, its worker pools
   * started); when that fails the promise rejects and the current app keeps serving, untouched.
   * Then requests that arrive go to the new app, while requests in flight finish on the old one,
   * whose workers stop after its last request ({@link RoutingRuntime.swap}). Reloads run one at a
   * time, in call order.
   * @throws what {@link create} throws while preparing an app; `WASMLET_ERR_POOL_CLOSED` after
   *   {@link close}.
   */
  reload(app: LockedApp): Promise<void> {
    return this.#runtime.swap(app);
  }

  /** A new request id: a per-handler prefix and a counter. */
  nextRequestId(): string {
    return `${this.#idPrefix}-${(this.#nextId++).toString(36)}`;
  }

  /** Requests received and not yet finished (their access line not written). */
  get inFlight(): number { return this.#inFlight; }

  /**
   * Answers one request. Never throws and never rejects: every failure becomes a response (or a
   * cut connection once the head is out) and an access line.
   * @param connection the server's state of the request's connection, if it keeps one.
   * @param next when given, a request no route matches is passed to it (Express's `next`)
   *   instead of answered 404, and gets no access line.
   */
  serve(req: IncomingMessage, res: ResponseTarget, connection?: ConnectionState, next?: () => void): void {
    const start = performance.now();
    this.#inFlight++;
    // The generation the request starts on serves it to the end, across a reload.
    const generation = this.#runtime.current;
    generation.acquire();
    this.#handle(req, res, start, generation, connection, next).catch((err) => {
      this.#log.event('error', `internal error: ${describe(err)}`);
      if (!res.headersSent) plain(res, 500, 'internal server error'); else res.destroy();
      this.#settled(generation);
    });
  }

  #settled(generation: RoutesGeneration): void {
    generation.release();
    if (--this.#inFlight === 0 && this.#drained) this.#drained();
  }

  /**
   * The authority (`hello.spin.internal`) of a service-chained request: one a guest of this
   * handler sent to `<component>.spin.internal`, which its host forwarded here with
   * `SERVICE_CHAINING_HEADER: <secret> <authority>` (host/http-outbound/service-chaining.ts).
   * The header is removed from every request, so no guest ever sees it; one without this
   * handler's secret (a client forging it) is ignored, and the request routed as any other.
   */
  #chainedAuthority(req: IncomingMessage): string | undefined {
    const value = req.headers[SERVICE_CHAINING_HEADER];
    if (value === undefined) return undefined;
    delete req.headers[SERVICE_CHAINING_HEADER];
    setRawHeaders(req, withoutHeader(req.rawHeaders, SERVICE_CHAINING_HEADER));
    if (typeof value !== 'string' || this.#chainingSecret === undefined) return undefined;
    const space = value.indexOf(' ');
    const secret = Buffer.from(value.slice(0, Math.max(space, 0)));
    const expected = Buffer.from(this.#chainingSecret);
    if (secret.length !== expected.length || !timingSafeEqual(secret, expected)) return undefined;
    return value.slice(space + 1);
  }

  /** An embedder's server: the listener's address is the request's local one. */
  #learnAddress(req: IncomingMessage): void {
    const { localAddress, localPort } = req.socket;
    if (localAddress === undefined || localPort === undefined) return;
    this.info.host = localAddress.startsWith('::ffff:') ? localAddress.slice(7) : localAddress;
    this.info.port = localPort;
  }

  async #handle(req: IncomingMessage, res: ResponseTarget, start: number, generation: RoutesGeneration,
    connection: ConnectionState | undefined, next: (() => void) | undefined): Promise<void> {
    const requestId = this.nextRequestId();
    const span = this.#tracer?.startRequest(req.method ?? '', req.url ?? '/', req.headers);
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
        setRawHeaders(req, withHost(req.rawHeaders, absolute.host)); // what the executors read
      }
    }
    const chained = this.#chainedAuthority(req);
    // Node's own check (`requireHostHeader`) would answer 400 without a request id or access line.
    const noHost = req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor === 1;
    let match: RouteMatch | null | undefined;
    let route: PreparedRoute | undefined;
    if (chained !== undefined) {
      // Service chaining (Spin's `OutboundHttpInterceptor`): straight to the component, no router.
      const target = serviceChainingTarget(chained);
      route = target === undefined ? undefined : generation.chainTargets.get(target);
      if (route) match = syntheticMatch(route.component.id, url.split('?')[0]!);
      req.headers.host = chained;
      setRawHeaders(req, withHost(req.rawHeaders, chained));
    } else if (!noHost) {
      match = generation.router.match(url);
      route = match ? generation.routes.get(match.route) : undefined;
    }
    let error: string | undefined;
    let delegated = false;
    let unsentStatus: number | undefined;
    if (this.#draining) res.shouldKeepAlive = false;
    try {
      if (noHost) {
        // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400.
        error = 'the HTTP/1.1 request has no Host header';
        res.shouldKeepAlive = false;
        plain(res, 400, 'Bad Request: no Host header', { 'X-Request-Id': requestId });
      } else if ((!match || !route) && next !== undefined && chained === undefined) {
        delegated = true; // an embedder's next handler (Express) answers it
      } else if (!match || !route) {
        res.setHeader('X-Request-Id', requestId);
        if (chained !== undefined) plain(res, 404, `service chaining: no HTTP component is named by ${chained}`);
        else plain(res, 404, `no route matches ${url.split('?')[0]}`);
      } else {
        checkContentLength(req, this.#maxBody);
        if (this.info.port === 0) this.#learnAddress(req);
        const invocation = new RequestInvocation(requestId, req, res,
          { route: route.route, component: route.component, match }, this.info, this.#maxBody, this.#log, span, chained !== undefined);
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
    if (delegated) {
      this.#settled(generation);
      next!();
      return;
    }
    const log = this.#log;
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
      this.#onRequest?.(record);
      span?.end(record);
      this.#settled(generation);
    };
    if (res.writableFinished || res.destroyed) finish(); else res.once('close', finish);
  }

  /**
   * Stops keeping connections alive and waits for the requests in flight to finish, at most
   * `graceMs`. Resolves true when they all finished in time.
   */
  async drain(graceMs: number): Promise<boolean> {
    this.#draining = true;
    if (this.#inFlight === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), graceMs);
      this.#drained = () => { clearTimeout(timer); resolve(true); };
    });
  }

  /**
   * Stops the worker pools (requests still running or waiting fail: `WASMLET_ERR_POOL_CLOSED`,
   * answered 503) and removes staged files. Idempotent.
   */
  close(): Promise<void> {
    this.#draining = true;
    this.#closing ??= this.#runtime.close();
    return this.#closing;
  }
}

/** `rawHeaders` (name, value, ...) with every Host line replaced by one `Host: host`, first. */
function withHost(rawHeaders: readonly string[], host: string): string[] {
  return ['Host', host, ...withoutHeader(rawHeaders, 'host')];
}

/** `rawHeaders` (name, value, ...) without the lines named `name` (lower-case). */
/**
 * Replaces `req.rawHeaders`: a property definition, since on an `Http2ServerRequest` (under
 * `createHandler` on `node:http2`) it is a getter and an assignment throws.
 */
function setRawHeaders(req: IncomingMessage, rawHeaders: string[]): void {
  Object.defineProperty(req, 'rawHeaders', { value: rawHeaders, configurable: true, writable: true, enumerable: true });
}

function withoutHeader(rawHeaders: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== name) out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
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
