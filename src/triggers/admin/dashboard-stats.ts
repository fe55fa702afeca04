// What the admin dashboard shows, kept in fixed-size rings so memory stays bounded however long the
// server runs: per route, requests per second over the last minute and the latencies of its latest
// requests (for percentiles); recent errors with their request ids; the tail of the server log.
import type { LockedApp } from '../../app/locked-app.ts';
import type { AccessRecord } from '../http/access-log.ts';
import { NO_ROUTE } from './metrics.ts';

/** Options of {@link DashboardStats}; counts, not bytes. */
export interface DashboardStatsOptions {
  /** Latencies kept per route for percentiles (the latest ones); default 1024. */
  latencySamples?: number;
  /** Errors kept (the latest); default 50. */
  errors?: number;
  /** Log lines kept (the latest); default 200. */
  logLines?: number;
  /** Clock in ms since the epoch (tests); default `Date.now`. */
  now?: () => number;
}

/** Seconds of per-second request counts kept (the chart's width). */
export const SERIES_SECONDS = 60;
/** Seconds `rps` averages over (complete seconds before the current one). */
export const RPS_WINDOW_SECONDS = 5;

/** One route's row on the dashboard. */
export interface RouteSnapshot {
  /** As written in the manifest; {@link NO_ROUTE} for requests no route matched. */
  route: string;
  component: string;
  /** `wagi`, `wasi-http` or `auto` (as the manifest says). */
  executor: string;
  /** Requests finished since start. */
  total: number;
  /** Of those, answered with status >= 500. */
  errors: number;
  /** Requests per second over the last {@link RPS_WINDOW_SECONDS} complete seconds. */
  rps: number;
  /** Latency percentiles in ms over the route's latest requests (undefined before the first). */
  p50?: number;
  p90?: number;
  p99?: number;
}

/** One failed request: a status >= 500, or any answer the server logged an error reason for. */
export interface ErrorSnapshot {
  /** ISO time it finished. */
  time: string;
  requestId: string;
  method: string;
  path: string;
  route?: string;
  status: number;
  error?: string;
}

/** What `/api/status` returns. */
export interface DashboardSnapshot {
  app: { name: string; version?: string };
  /** ISO time the stats started. */
  startedAt: string;
  routes: RouteSnapshot[];
  /** All requests per second for the last {@link SERIES_SECONDS} complete seconds, oldest first. */
  series: number[];
  errors: ErrorSnapshot[];
  /** Latest log lines, oldest first, without newlines. */
  logs: string[];
}

/** A ring of the latest `capacity` items. */
class Ring<T> {
  readonly #items: T[] = [];
  readonly #capacity: number;
  #next = 0;
  constructor(capacity: number) { this.#capacity = capacity; }
  push(item: T): void {
    if (this.#items.length < this.#capacity) this.#items.push(item);
    else this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.#capacity;
  }
  /** Oldest first. */
  toArray(): T[] {
    return this.#items.length < this.#capacity ? this.#items.slice() : [...this.#items.slice(this.#next), ...this.#items.slice(0, this.#next)];
  }
}

/** Requests per second, one cell per second in a ring indexed by the epoch second. */
class PerSecond {
  readonly #counts = new Float64Array(SERIES_SECONDS + 1);
  readonly #seconds = new Float64Array(SERIES_SECONDS + 1).fill(-1);
  add(second: number): void {
    const i = second % this.#counts.length;
    if (this.#seconds[i] !== second) { this.#seconds[i] = second; this.#counts[i] = 0; }
    this.#counts[i]!++;
  }
  at(second: number): number {
    const i = second % this.#counts.length;
    return this.#seconds[i] === second ? this.#counts[i]! : 0;
  }
}

interface RouteState {
  snapshot: Pick<RouteSnapshot, 'route' | 'component' | 'executor'>;
  total: number;
  errors: number;
  perSecond: PerSecond;
  latencies: Ring<number>;
}

/** Collects the dashboard's figures from access records and log text. */
export class DashboardStats {
  #app: LockedApp;
  #routes = new Map<string, RouteState>();
  readonly #all = new PerSecond();
  readonly #errors: Ring<ErrorSnapshot>;
  readonly #logs: Ring<string>;
  readonly #latencySamples: number;
  readonly #now: () => number;
  readonly #startedAt: number;
  #partialLine = '';

  constructor(app: LockedApp, options: DashboardStatsOptions = {}) {
    this.#app = app;
    this.#latencySamples = options.latencySamples ?? 1024;
    this.#errors = new Ring(options.errors ?? 50);
    this.#logs = new Ring(options.logLines ?? 200);
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    for (const r of app.triggers.http) {
      if (r.private) continue; // no public route: its chained requests are counted as they come
      this.#routes.set(r.route, this.#newRoute(r.route, r.component, r.executor.type));
    }
  }

  /**
   * The app was reloaded (`wasmlet watch`): its name and routes are shown from now on. A route it
   * still has with the same component and executor keeps its counts and latencies (as the
   * Prometheus series, labelled by route and component, go on); a route it no longer has, or now
   * gives to another component, starts again.
   */
  setApp(app: LockedApp): void {
    const before = this.#routes;
    this.#app = app;
    this.#routes = new Map();
    for (const r of app.triggers.http) {
      if (r.private) continue;
      const kept = before.get(r.route);
      const same = kept !== undefined && kept.snapshot.component === r.component && kept.snapshot.executor === r.executor.type;
      this.#routes.set(r.route, same ? kept : this.#newRoute(r.route, r.component, r.executor.type));
    }
    const unrouted = before.get(NO_ROUTE);
    if (unrouted !== undefined) this.#routes.set(NO_ROUTE, unrouted);
  }

  #newRoute(route: string, component: string, executor: string): RouteState {
    return { snapshot: { route, component, executor }, total: 0, errors: 0, perSecond: new PerSecond(), latencies: new Ring(this.#latencySamples) };
  }

  /** Counts one finished request (the server's access record). */
  requestFinished(record: AccessRecord): void {
    const now = this.#now();
    const second = Math.floor(now / 1000);
    let key = record.route ?? NO_ROUTE;
    let state = this.#routes.get(key);
    // A service-chained request carries the synthetic route `/...` of its target component: it
    // gets a row of its own rather than joining another component's public `/...` row.
    if (state && record.component !== undefined && state.snapshot.component !== record.component && key !== NO_ROUTE) {
      key = `${key} (${record.component})`;
      state = this.#routes.get(key);
    }
    if (!state) {
      state = this.#newRoute(key, record.component ?? NO_ROUTE, '-');
      this.#routes.set(key, state);
    }
    state.total++;
    state.perSecond.add(second);
    state.latencies.push(record.durationMs);
    this.#all.add(second);
    if (record.status >= 500) state.errors++;
    if (record.status >= 500 || record.error !== undefined) {
      this.#errors.push({
        time: new Date(now).toISOString(), requestId: record.requestId, method: record.method, path: record.path,
        status: record.status, ...(record.route === undefined ? {} : { route: record.route }),
        ...(record.error === undefined ? {} : { error: record.error }),
      });
    }
  }

  /** Takes log output (one or more lines, as the server log writes them) for the tail. */
  logText(text: string): void {
    const lines = (this.#partialLine + text).split('\n');
    this.#partialLine = lines.pop()!;
    for (const line of lines) this.#logs.push(line);
  }

  /** The dashboard's data now. */
  snapshot(): DashboardSnapshot {
    const second = Math.floor(this.#now() / 1000);
    const routes: RouteSnapshot[] = [];
    for (const state of this.#routes.values()) {
      if (state.snapshot.route === NO_ROUTE && state.total === 0) continue;
      let recent = 0;
      for (let s = second - RPS_WINDOW_SECONDS; s < second; s++) recent += state.perSecond.at(s);
      const sorted = state.latencies.toArray().sort((a, b) => a - b);
      routes.push({
        ...state.snapshot, total: state.total, errors: state.errors, rps: recent / RPS_WINDOW_SECONDS,
        ...(sorted.length === 0 ? {} : { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99) }),
      });
    }
    const series: number[] = [];
    for (let s = second - SERIES_SECONDS; s < second; s++) series.push(this.#all.at(s));
    return {
      app: { name: this.#app.name, ...(this.#app.version === undefined ? {} : { version: this.#app.version }) },
      startedAt: new Date(this.#startedAt).toISOString(),
      routes, series,
      errors: this.#errors.toArray().reverse(),
      logs: this.#logs.toArray(),
    };
  }
}

/** Nearest-rank percentile of ascending `sorted` (non-empty), `q` in (0, 1]. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
