// Turns a LockedApp's HTTP routes into ready executors before the first request: each component is
// read, inspected, memory-capped and compiled once (per content hash), registered with the worker
// pool with its pre-built per-component data (env, preopens), and wrapped in its route's executor.
// WebAssembly components (wasi-http) are transpiled once into the disk cache
// (`$WASMLET_CACHE_DIR`, else `.wasmlet/cache/` under the app dir: util/cache-dir.ts; the locked app's `cacheDir`) and served
// by a second pool of the same size whose workers load them from that cache and hold a few
// requests each, of one component at a time.
// A pool is started only when a route needs it: idle worker threads hold tens of MB each.
// Nothing here runs per request.
import { readFileSync } from 'node:fs';
import type { LockedApp, LockedComponent, LockedHttpRoute } from '../../app/locked-app.ts';
import { detectWasmKind } from '../../engine/binary.ts';
import { CompileCache } from '../../engine/compile-cache.ts';
import { stageFileMounts } from '../../engine/file-mounts.ts';
import { prepareModule } from '../../engine/prepare-module.ts';
import { WorkerPool } from '../../engine/pool.ts';
import type { PoolObserver } from '../../engine/pool-observer.ts';
import type { PreparedComponent } from '../../engine/component/transpile.ts';
import { prepareP1Guest } from '../../engine/p1-guest.ts';
import { isWasmletError, WasmletError } from '../../util/errors.ts';
import { workerEntry } from '../../util/worker-entry.ts';
import type { HttpExecutor } from './executor.ts';
import { Router } from './router.ts';
import { WagiExecutor } from './wagi.ts';
import type { WagiUnitConfig } from './wagi-worker.ts';
import { WasiHttpExecutor } from './wasi-http.ts';
import { componentUnit, memoryLimitOf } from '../component-unit.ts';
export { spinHostOptions } from '../component-unit.ts';

/**
 * Requests one worker holds at once for a component route. A guest suspended on I/O (JSPI: body
 * bytes, an outbound response, a slow client) lets the thread run another, and the next request
 * is already there when one ends (no idle round trip through the main thread). More does not help
 * a CPU-bound guest (a componentize-js `handle` is ~3 ms of CPU): it only adds latency, and each
 * in-flight instance holds ~10 MB of linear memory. Concurrent requests share a worker only when
 * they are for the same component (the pool never mixes units on a worker), so a guest past its
 * deadline, whose worker is terminated, takes down no other component's requests.
 */
export const WASI_HTTP_CONCURRENCY = 2;

/** The pool API wants a module per unit; component workers load theirs from the unit config. */
const PLACEHOLDER_MODULE = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

/** A route with everything a request needs. */
export interface PreparedRoute {
  route: LockedHttpRoute;
  component: LockedComponent;
  executor: HttpExecutor;
}

/** Options of {@link prepareRoutes}. */
export interface PrepareRoutesOptions {
  /** Worker threads of each pool (WAGI, components). */
  workers: number;
  /** Requests allowed to wait for the WAGI pool (default: the pool's, 64 per worker). */
  maxQueue?: number;
  /** Invocation deadline, in ms, for components without `limits.timeout`. */
  defaultTimeoutMs: number;
  /** Told when invocations start and settle, by both pools (metrics); units as {@link componentOfUnit} reads them. */
  poolObserver?: PoolObserver;
}

/** The pool kinds routes run on: `wagi` (core modules) and `wasi-http` (components). */
export type PoolKind = 'wagi' | 'wasi-http';

/** The component id of a pool unit name (`<component>#<entrypoint>` or `<component>#wasi-http`). */
export function componentOfUnit(unit: string): string {
  const i = unit.lastIndexOf('#');
  return i < 0 ? unit : unit.slice(0, i);
}

/** Prepared routes and the pools that run them. */
export interface PreparedRoutes {
  /** The public routes, keyed by route text, as the router reports it. */
  routes: Map<string, PreparedRoute>;
  /**
   * Service chaining targets (`http://<id>.spin.internal`), by component id: each component's
   * first HTTP trigger, public or private (Spin keeps one trigger config per component).
   */
  chainTargets: Map<string, PreparedRoute>;
  /** Worker threads started per executor kind (0 for a kind no route uses). */
  workerThreads: { wagi: number; wasiHttp: number };
  /** The pools started, by kind (for gauges and the dashboard). */
  pools: { kind: PoolKind; pool: WorkerPool }[];
  /** Stops the pools (queued and running jobs fail with `WASMLET_ERR_POOL_CLOSED`) and removes staged files. */
  close(): Promise<void>;
}

/**
 * Prepares every HTTP route of `app`, starting a worker pool per executor kind the routes use
 * (WAGI, wasi-http) and registering each component with its pool.
 * @throws WasmletError `WASMLET_ERR_EXECUTOR_UNSUPPORTED` (blame user) for a WAGI route whose
 *   source is a component or a `wasi-http` route whose source is a core module;
 *   `WASMLET_ERR_COMPONENT_NOT_HTTP` for a component without `wasi:http/incoming-handler`;
 *   `WASMLET_ERR_COMPONENT_INVALID` when jco cannot transpile it; `WASMLET_ERR_WORKER_START`;
 *   `WASMLET_ERR_READ_SOURCE` when a source cannot be read; engine errors from inspection,
 *   the memory cap and compilation.
 */
export async function prepareRoutes(app: LockedApp, options: PrepareRoutesOptions): Promise<PreparedRoutes> {
  const { defaultTimeoutMs } = options;
  const cache = new CompileCache();
  const routes = new Map<string, PreparedRoute>();
  const chainTargets = new Map<string, PreparedRoute>();
  const add = (prepared: PreparedRoute) => {
    if (!prepared.route.private) routes.set(prepared.route.route, prepared);
    if (!chainTargets.has(prepared.component.id)) chainTargets.set(prepared.component.id, prepared);
  };
  const units = new Set<string>();
  const cleanups: (() => void)[] = [];
  const cleanup = () => { for (const c of cleanups.splice(0)) c(); };
  const pools: WorkerPool[] = [];
  const starting: Promise<void>[] = [];
  // The workers start (import the handler) while this thread compiles or transpiles the
  // components; units registered meanwhile reach them before their first job.
  const startPool = (pool: WorkerPool): WorkerPool => {
    pools.push(pool);
    const started = pool.start();
    started.catch(() => {}); // awaited below
    starting.push(started);
    return pool;
  };
  const closePools = async () => { await Promise.all(pools.map((p) => p.close())); };
  let pool: WorkerPool | undefined;
  let componentPool: WorkerPool | undefined;
  const preparedOnce = new Map<string, Promise<PreparedComponent>>();
  try {
    for (const route of app.triggers.http) {
      const component = app.components[route.component];
      if (!component) {
        throw new WasmletError('WASMLET_ERR_UNKNOWN_COMPONENT',
          `route '${route.route}' names component '${route.component}', which the app does not define`, { blame: 'user' });
      }
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(component.source);
      } catch (err) {
        throw new WasmletError('WASMLET_ERR_READ_SOURCE',
          `cannot read component '${component.id}' source ${component.source}: ${(err as Error).message}`, { blame: 'user', cause: err });
      }
      const kind = component.binary?.kind ?? detectWasmKind(bytes); // resolved at load
      const type = route.executor.type === 'auto' ? (kind === 'module' ? 'wagi' : 'wasi-http') : route.executor.type;
      const timeoutMs = component.limits.timeoutMs ?? defaultTimeoutMs;
      if (type === 'wasi-http') {
        if (kind !== 'component') {
          throw new WasmletError('WASMLET_ERR_EXECUTOR_UNSUPPORTED',
            `route '${route.route}': the wasi-http executor runs WebAssembly components, but component '${component.id}' is a core module; use executor = { type = "wagi" }`,
            { blame: 'user' });
        }
        const unit = `${component.id}#wasi-http`;
        componentPool ??= startPool(new WorkerPool({
          handler: workerEntry(import.meta.url, './wasi-http-worker'),
          size: options.workers,
          concurrency: WASI_HTTP_CONCURRENCY,
          maxQueue: options.maxQueue,
          observer: options.poolObserver,
        }));
        if (!units.has(unit)) {
          units.add(unit);
          const files = stageFileMounts(component.files);
          cleanups.push(files.cleanup);
          componentPool.register(unit, PLACEHOLDER_MODULE, await componentUnit(app, component, bytes, files.preopens, preparedOnce, checkHttpExport));
        }
        add({ route, component, executor: new WasiHttpExecutor({ pool: componentPool, unit, timeoutMs }) });
        continue;
      }
      if (kind !== 'module') {
        throw new WasmletError('WASMLET_ERR_EXECUTOR_UNSUPPORTED',
          `route '${route.route}': the WAGI executor runs WASI preview1 core modules, but component '${component.id}' is a WebAssembly component`,
          { blame: 'user' });
      }
      pool ??= startPool(new WorkerPool({
        handler: workerEntry(import.meta.url, './wagi-worker'),
        size: options.workers,
        maxQueue: options.maxQueue,
        admitByExpectedWait: true,
        observer: options.poolObserver,
      }));
      const entrypoint = route.executor.entrypoint ?? '_start';
      const unit = `${component.id}#${entrypoint}`;
      if (!units.has(unit)) {
        units.add(unit);
        const maxMemoryBytes = component.limits.memoryBytes;
        const { module } = await prepareModule(bytes, {
          cache, recycleMemory: true, memoryLimitBy: memoryLimitOf(component),
          ...(maxMemoryBytes === undefined ? {} : { maxMemoryBytes }),
        });
        checkWagiImports(component, module);
        const files = stageFileMounts(component.files);
        cleanups.push(files.cleanup);
        const config: WagiUnitConfig = { env: { ...component.environment }, preopens: files.preopens, entrypoint };
        pool.register(unit, module, config);
      }
      const executor = new WagiExecutor({
        pool, unit, argv: route.executor.argv, timeoutMs,
      });
      add({ route, component, executor });
    }
    await Promise.all(starting);
  } catch (err) {
    cleanup();
    await closePools();
    throw err;
  }
  return {
    routes,
    chainTargets,
    workerThreads: { wagi: pool?.size ?? 0, wasiHttp: componentPool?.size ?? 0 },
    pools: [...(pool ? [{ kind: 'wagi' as const, pool }] : []), ...(componentPool ? [{ kind: 'wasi-http' as const, pool: componentPool }] : [])],
    close: async () => { await closePools(); cleanup(); },
  };
}

/**
 * Refuses, at load, a WAGI module that imports what the WASI preview1 host does not provide (it
 * would fail every request), naming the component and the import.
 * @throws WasmletError `WASMLET_ERR_UNKNOWN_IMPORT` (blame user).
 */
function checkWagiImports(component: LockedComponent, module: WebAssembly.Module): void {
  try {
    prepareP1Guest(module);
  } catch (err) {
    if (!isWasmletError(err) || err.code !== 'WASMLET_ERR_UNKNOWN_IMPORT') throw err;
    throw new WasmletError(err.code, `component '${component.id}': ${err.message}`, { blame: 'user', cause: err });
  }
}

/** A wasi-http route's component must export the incoming handler. */
function checkHttpExport(component: LockedComponent, prepared: PreparedComponent): void {
  if (!prepared.exports.some((e) => /^wasi:http\/incoming-handler@0\.2\.\d+/.test(e))) {
    throw new WasmletError('WASMLET_ERR_COMPONENT_NOT_HTTP',
      `component '${component.id}' does not export wasi:http/incoming-handler@0.2.x, so it cannot serve HTTP; build it for the wasi:http/proxy world`,
      { blame: 'user' });
  }
}

/**
 * One generation of an app's HTTP routes: its router, prepared routes and worker pools, and a
 * count of the requests using it. A retired generation stops its pools once its last request
 * has finished, so a request never loses its worker to a reload.
 */
export class RoutesGeneration {
  readonly app: LockedApp;
  readonly router: Router;
  /** Keyed by route text, as {@link router} reports it. */
  readonly routes: Map<string, PreparedRoute>;
  /** Service chaining targets by component id (see {@link PreparedRoutes.chainTargets}). */
  readonly chainTargets: Map<string, PreparedRoute>;
  readonly workerThreads: { readonly wagi: number; readonly wasiHttp: number };
  /** Its pools, by kind (for gauges). */
  readonly pools: readonly { kind: PoolKind; pool: WorkerPool }[];
  readonly #close: () => Promise<void>;
  #inFlight = 0;
  #retired: Promise<void> | undefined;
  #closed: Promise<void> | undefined;
  #idle: (() => void) | undefined;

  constructor(app: LockedApp, router: Router, prepared: PreparedRoutes) {
    this.app = app;
    this.router = router;
    this.routes = prepared.routes;
    this.chainTargets = prepared.chainTargets;
    this.workerThreads = prepared.workerThreads;
    this.pools = prepared.pools;
    this.#close = prepared.close;
  }

  /** A request starts using this generation (it must {@link release} it when it has finished). */
  acquire(): void { this.#inFlight++; }

  /** A request that {@link acquire}d this generation has finished. */
  release(): void {
    if (--this.#inFlight === 0 && this.#idle) this.#idle();
  }

  /**
   * No new request will use this generation: resolves once the requests already using it have
   * finished and its pools are stopped. Idempotent.
   */
  retire(): Promise<void> {
    this.#retired ??= (this.#inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { this.#idle = resolve; }))
      .then(() => this.close());
    return this.#retired;
  }

  /** Stops its pools now: requests still running on them fail (`WASMLET_ERR_POOL_CLOSED`). Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }
}

/**
 * The routes a server answers from, swappable while it serves (`wasmlet watch`): requests take
 * the {@link current} generation when they arrive and keep it until they finish; {@link swap}
 * prepares a whole new generation first and only then makes it current.
 */
export class RoutingRuntime {
  readonly #options: PrepareRoutesOptions;
  #current: RoutesGeneration;
  /** The swap in progress, if any: swaps run one at a time, in call order. */
  #swapping: Promise<unknown> = Promise.resolve();
  /** Retired generations whose requests have not all finished yet. */
  readonly #retiring = new Set<RoutesGeneration>();
  #closing = false;

  private constructor(options: PrepareRoutesOptions, first: RoutesGeneration) {
    this.#options = options;
    this.#current = first;
  }

  /**
   * Prepares `app`'s routes (see {@link prepareRoutes}) as the first generation.
   * @throws WasmletError `WASMLET_ERR_ROUTE` for routes that overlap, and what
   *   {@link prepareRoutes} throws.
   */
  static async start(app: LockedApp, options: PrepareRoutesOptions): Promise<RoutingRuntime> {
    return new RoutingRuntime(options, await prepareGeneration(app, options));
  }

  /** The generation new requests use. */
  get current(): RoutesGeneration { return this.#current; }

  /**
   * Replaces the app: `app` is prepared and validated completely first (routes, binaries,
   * imports, worker pools started); if that throws, nothing changed and the current app keeps
   * serving. Then new requests go to the new generation at once (one assignment), while requests
   * already running finish on the old one, whose pools stop after its last request.
   * Resolves once the new generation is current (not when the old one has drained).
   * @throws what {@link start} throws; `WASMLET_ERR_POOL_CLOSED` once {@link close} was called.
   */
  swap(app: LockedApp): Promise<void> {
    const next = this.#swapping.then(async () => {
      if (this.#closing) throw new WasmletError('WASMLET_ERR_POOL_CLOSED', 'the server is shutting down: the app was not reloaded');
      const generation = await prepareGeneration(app, this.#options);
      const old = this.#current;
      this.#current = generation;
      this.#retiring.add(old);
      void old.retire().finally(() => this.#retiring.delete(old));
    });
    this.#swapping = next.catch(() => {});
    return next;
  }

  /**
   * Stops every generation's pools now, the current one and the retired ones still draining
   * (the server calls it after its own grace period for in-flight requests).
   */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#swapping;
    await Promise.all([this.#current, ...this.#retiring].map((g) => g.close()));
  }
}

async function prepareGeneration(app: LockedApp, options: PrepareRoutesOptions): Promise<RoutesGeneration> {
  // A private route has no public route: only service chaining reaches it.
  const router = Router.build(app.triggers.http.filter((r) => !r.private).map((r) => ({ route: r.route, component: r.component })));
  return new RoutesGeneration(app, router, await prepareRoutes(app, options));
}
