// The embedding API: a wasmlet app mounted inside an existing Node server. `loadApp` reads the
// manifest and prepares the app exactly as `wasmlet serve` does (the same loader, the same request
// handler: triggers/http/app-handler.ts), minus the listener: the embedder's server hands requests
// in through `createHandler(app)` (`node:http`, Express, Fastify's raw req/res) or `app.fetch`
// (Hono and other fetch-style frameworks). Nothing here prints or exits: failures are thrown
// (loading) or answered as statuses (requests), and logs go to the callbacks the embedder gives.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadApp as loadLockedApp } from '../app/loader.ts';
import type { AccessRecord, ServerLog } from '../triggers/http/access-log.ts';
import { AppRequestHandler } from '../triggers/http/app-handler.ts';
import { DEFAULT_SHUTDOWN_GRACE_MS } from '../triggers/http/limits.ts';
import { defaultWorkerCount } from '../triggers/http/server.ts';
import { WasmletError } from '../util/errors.ts';
import { FetchResponse, toIncomingMessage, type FetchClient } from './fetch-exchange.ts';

export type { AccessRecord } from '../triggers/http/access-log.ts';
export type { FetchClient } from './fetch-exchange.ts';

/** Where an embedded app's log lines go. Each callback is optional; by default nothing is logged. */
export interface EmbeddedAppLog {
  /** One finished request (routed or answered by wasmlet; not one passed to `next`). */
  access?(record: AccessRecord): void;
  /** One line a guest wrote to stderr, with its request id and component. */
  guestStderr?(requestId: string, component: string, line: string): void;
  /** One line a component guest wrote to stdout (a WAGI guest's stdout is its response). */
  guestStdout?(requestId: string, component: string, line: string): void;
  /** A host event (an internal error while answering a request). */
  event?(level: 'info' | 'error', message: string, fields?: Record<string, string | number>): void;
}

/**
 * Options of {@link loadApp}: `wasmlet serve`'s, without the listener. Sizes in bytes, durations
 * in ms.
 */
export interface LoadAppOptions {
  /** A Spin-shaped runtime config file (`serve --runtime-config-file`). Default: none. */
  runtimeConfigFile?: string;
  /**
   * Where the default key-value store and SQLite database live (`serve --state-dir`). Default:
   * the runtime config's `state_dir`, else `.wasmlet/` in the app directory.
   */
  stateDir?: string;
  /** Environment the variables providers read (`SPIN_VARIABLE_*`). Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Worker threads of each pool (WAGI, components). Default: one per core, at least 2. */
  workers?: number;
  /** Request body limit; larger gets 413. Default 10 MiB (`serve --max-body`). */
  maxBodyBytes?: number;
  /** Requests of one component that may wait for a worker (`serve --max-queue`). Default: no count limit. */
  maxQueue?: number;
  /** Deadline of one request for components without `limits.timeout`. Default 30 000 (`serve --timeout`). */
  defaultTimeoutMs?: number;
  /** Log callbacks. Default: nothing is logged. */
  log?: EmbeddedAppLog;
}

/**
 * A Node request handler: `node:http`'s `(req, res)`, Express middleware `(req, res, next)`, or
 * Fastify's raw `(request.raw, reply.raw)`.
 */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/** A loaded app, ready to answer requests. Create it with {@link loadApp}. */
export class WasmletApp {
  /** The app's name (`[application] name`). */
  readonly name: string;
  /** Its HTTP routes, as written in the manifest. */
  readonly routes: readonly string[];
  readonly #handler: AppRequestHandler;
  #closing: Promise<boolean> | undefined;

  /** @internal use {@link loadApp}. */
  constructor(name: string, routes: readonly string[], handler: AppRequestHandler) {
    this.name = name;
    this.routes = routes;
    this.#handler = handler;
  }

  /**
   * Answers a fetch `Request`, routed by its URL's path (and query), as `wasmlet serve` would.
   * Resolves once the response head is ready; the body streams. Never rejects for a guest or
   * host failure (those are statuses: 404 no route, 413, 500, 502, 503, 504, with
   * `X-Request-Id`); rejects only when the response was cut before its head (`request.signal`
   * aborted).
   * @param client the client's address when the framework knows it (CGI `REMOTE_ADDR`, Spin's
   *   `spin-client-addr`); default: empty.
   */
  fetch(request: Request, client?: FetchClient): Promise<Response> {
    const res = new FetchResponse(request.method === 'HEAD');
    const onAbort = () => res.destroy();
    request.signal.addEventListener('abort', onAbort, { once: true });
    // An embedder may reuse one long-lived signal for many requests: do not pile listeners on it.
    res.once('close', () => request.signal.removeEventListener('abort', onAbort));
    this.#handler.serve(toIncomingMessage(request, client), res);
    return res.response;
  }

  /** @internal the handler {@link createHandler} wraps. */
  serveNode(req: IncomingMessage, res: ServerResponse, next: (() => void) | undefined): void {
    this.#handler.serve(req, res, undefined, next);
  }

  /**
   * Drains: requests in flight may finish (at most `graceMs`, default 10 000), then the worker
   * pools stop (their threads keep the process alive until then); requests after that get 503.
   * Resolves true when every request finished in time. Idempotent.
   */
  close(graceMs: number = DEFAULT_SHUTDOWN_GRACE_MS): Promise<boolean> {
    this.#closing ??= (async () => {
      const inTime = await this.#handler.drain(graceMs);
      await this.#handler.close();
      return inTime;
    })();
    return this.#closing;
  }
}

/**
 * Loads the app at `path` (a directory holding `wasmlet.toml` or `spin.toml`, a manifest file, or
 * one `.wasm` served on `/...`) and prepares it as `wasmlet serve` does: manifest and runtime
 * config validated, host services resolved, components compiled or transpiled (cached), worker
 * pools started. It opens no port.
 * @throws WasmletError `WASMLET_ERR_MANIFEST` (an invalid manifest or runtime config, a store label
 *   with no backend, a required variable with no value; the message lists every problem),
 *   `WASMLET_ERR_ROUTE`, `WASMLET_ERR_EXECUTOR_UNSUPPORTED`, `WASMLET_ERR_COMPONENT_NOT_HTTP`,
 *   `WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED`, `WASMLET_ERR_MEMORY_LIMIT`,
 *   `WASMLET_ERR_READ_SOURCE`, `WASMLET_ERR_WORKER_START`, `WASMLET_ERR_INVALID_OPTIONS`.
 */
export async function loadApp(path: string, options: LoadAppOptions = {}): Promise<WasmletApp> {
  if (options.workers !== undefined && !(Number.isSafeInteger(options.workers) && options.workers >= 1)) {
    throw new WasmletError('WASMLET_ERR_INVALID_OPTIONS', `workers must be a whole number >= 1, got ${options.workers}`, { blame: 'user' });
  }
  const locked = await loadLockedApp(path, {
    ...(options.runtimeConfigFile === undefined ? {} : { runtimeConfigFile: options.runtimeConfigFile }),
    ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const handler = await AppRequestHandler.create({
    app: locked,
    log: serverLog(options.log ?? {}),
    workers: options.workers ?? defaultWorkerCount(),
    maxQueue: options.maxQueue,
    maxBodyBytes: options.maxBodyBytes,
    defaultTimeoutMs: options.defaultTimeoutMs,
  });
  return new WasmletApp(locked.name, locked.triggers.http.filter((r) => !r.private).map((r) => r.route), handler);
}

/**
 * A Node handler answering requests with `app` ({@link NodeHandler}). A path no route matches is
 * passed to `next` when one is given (Express: the next middleware), else answered 404. Mounted
 * under a prefix (`expressApp.use('/wasm', handler)`), routes match the path below it (Express
 * strips the prefix from `req.url`). Mount it before body parsers: it reads the raw body.
 */
export function createHandler(app: WasmletApp): NodeHandler {
  return (req, res, next) => app.serveNode(req, res, next === undefined ? undefined : () => next());
}

function serverLog(log: EmbeddedAppLog): ServerLog {
  return {
    access: (record) => log.access?.(record),
    guestOutput: (stream, requestId, component, line) =>
      (stream === 'stderr' ? log.guestStderr : log.guestStdout)?.(requestId, component, line),
    event: (level, message, fields) => log.event?.(level, message, fields),
  };
}
