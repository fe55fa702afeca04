// Prometheus metrics of `wasmlet serve` through prom-client, in a registry of their own (never
// prom-client's global one). The HTTP server feeds the request counters through
// {@link ServeMetrics.requestFinished}, the worker pools feed instance, timeout and trap counters
// through the engine's `PoolObserver`, and gauges (queue depth, workers, worker memory) are read
// from the running server when scraped. Names follow Prometheus' conventions (base units: seconds,
// bytes; `_total` counters); Spin exposes no Prometheus endpoint of its own (it exports OTel
// metrics), so these names are wasmlet's.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolObserver } from '../../engine/pool-observer.ts';
import type { AccessRecord } from '../http/access-log.ts';
import type { RunningHttpServer } from '../http/server.ts';
import { componentOfUnit } from '../http/routes-runtime.ts';

/** Bucket bounds of `wasmlet_http_request_duration_seconds`, in seconds (1 ms .. 30 s). */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The label value of `route` and `component` for a request no route matched. */
export const NO_ROUTE = '-';

/** The metrics of one `wasmlet serve` process (see the README's "Metrics" for the list). */
export class ServeMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  /** Give it to the server's pools (`HttpServerOptions.poolObserver`). */
  readonly poolObserver: PoolObserver;
  readonly #requests: Counter<'route' | 'component' | 'status'>;
  readonly #duration: Histogram<'route' | 'component'>;
  #server: RunningHttpServer | undefined;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry }); // process_* and nodejs_*: CPU, RSS, event-loop lag, GC
    this.#requests = new Counter({
      name: 'wasmlet_http_requests_total', help: 'HTTP requests answered, by matched route, component and status the client got',
      labelNames: ['route', 'component', 'status'], registers,
    });
    this.#duration = new Histogram({
      name: 'wasmlet_http_request_duration_seconds', help: 'Time from a request\'s arrival to the end of its response',
      labelNames: ['route', 'component'], buckets: LATENCY_BUCKETS_SECONDS, registers,
    });
    const instances = new Counter({
      name: 'wasmlet_instances_created_total', help: 'Guest instances created (one per invocation that started running)',
      labelNames: ['component'], registers,
    });
    const timeouts = new Counter({
      name: 'wasmlet_timeouts_total', help: 'Invocations stopped (or never started) at their deadline',
      labelNames: ['component'], registers,
    });
    const traps = new Counter({
      name: 'wasmlet_traps_total', help: 'Invocations whose guest trapped', labelNames: ['component'], registers,
    });
    this.poolObserver = {
      jobStarted: (unit) => instances.inc({ component: componentOfUnit(unit) }),
      jobSettled: (unit, code) => {
        if (code === 'WASMLET_ERR_TIMEOUT') timeouts.inc({ component: componentOfUnit(unit) });
        else if (code === 'WASMLET_ERR_TRAP') traps.inc({ component: componentOfUnit(unit) });
      },
    };
    const metrics = this;
    new Gauge({
      name: 'wasmlet_queue_depth', help: 'Invocations waiting for a worker, per component', labelNames: ['component'], registers,
      collect() {
        this.reset();
        for (const { stats } of metrics.#server?.poolStats() ?? []) {
          for (const [unit, { queued }] of Object.entries(stats.units)) this.inc({ component: componentOfUnit(unit) }, queued);
        }
      },
    });
    new Gauge({
      name: 'wasmlet_workers', help: 'Worker threads running guests, per pool (wagi: core modules; wasi-http: components)',
      labelNames: ['pool'], registers,
      collect() {
        this.reset();
        for (const { pool, stats } of metrics.#server?.poolStats() ?? []) this.set({ pool }, stats.workers);
      },
    });
    const memory = (name: string, help: string, field: 'heapUsedBytes' | 'externalBytes') => new Gauge({
      name, help, labelNames: ['pool', 'worker'], registers,
      async collect() {
        this.reset();
        for (const { pool, workers } of await metrics.#server?.workerMemory() ?? []) {
          for (const w of workers) this.set({ pool, worker: String(w.worker) }, w[field]);
        }
      },
    });
    memory('wasmlet_worker_heap_used_bytes', 'V8 heap in use per worker thread', 'heapUsedBytes');
    memory('wasmlet_worker_external_memory_bytes', 'Memory outside the V8 heap per worker thread, chiefly guests\' Wasm linear memories', 'externalBytes');
  }

  /** Where the gauges read the pools from, once the server is listening. */
  attach(server: RunningHttpServer): void {
    this.#server = server;
  }

  /** Counts one finished request (the server's access record). */
  requestFinished(record: AccessRecord): void {
    const labels = { route: record.route ?? NO_ROUTE, component: record.component ?? NO_ROUTE };
    this.#requests.inc({ ...labels, status: String(record.status) });
    this.#duration.observe(labels, record.durationMs / 1000);
  }

  /** The text exposition format (`Content-Type`: {@link ServeMetrics.contentType}). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
