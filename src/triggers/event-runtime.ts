// The invocation side shared by the event triggers (redis/, cron/): one worker pool of component
// workers (guest-event-worker.ts) and one unit per component a Redis or cron trigger names, each
// prepared once before the first event (transpiled into the disk cache, imports and handler
// export checked). Each event is one pool job: a fresh instance with the component's grants,
// memory cap (applied when prepared) and deadline (`limits.timeout`, else the server default).
// The pool's per-unit queues and worker caps keep one component's slow or looping handlers from
// taking every worker (engine/pool.ts, "Fairness between units").
import { readFileSync } from 'node:fs';
import type { LockedApp, LockedComponent } from '../app/locked-app.ts';
import { stageFileMounts } from '../engine/file-mounts.ts';
import { WorkerPool } from '../engine/pool.ts';
import { hasGuestEventExport, GUEST_EVENT_EXPORTS, type GuestEvent } from '../engine/component/guest-event.ts';
import type { PreparedComponent } from '../engine/component/transpile.ts';
import { WasmletError } from '../util/errors.ts';
import { workerEntry } from '../util/worker-entry.ts';
import { componentUnit } from './component-unit.ts';
import type { GuestEventInput } from './guest-event-worker.ts';
import type { TriggerLog } from './event-log.ts';
import { LineSplitter, type GuestOutputEvent } from './http/guest-output.ts';

/** Events one worker runs at once (handlers that wait on Redis or a store suspend through JSPI). */
export const EVENT_CONCURRENCY = 4;

/** The pool API wants a module per unit; component workers load theirs from the unit config. */
const PLACEHOLDER_MODULE = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

/** Runs one event of a component on the pool. */
export interface EventRuntime {
  /**
   * Runs `event` on a fresh instance of `componentId` (a component some trigger of the app names).
   * `eventId` (e.g. `jobs#17`, a stream entry id, a tick time) tags the guest's stdout/stderr lines
   * in the log, as a request id does for HTTP.
   * @throws WasmletError from the guest (`WASMLET_ERR_GUEST_HANDLER_ERROR`, `WASMLET_ERR_TRAP`,
   *   `WASMLET_ERR_TIMEOUT`) or the pool (`WASMLET_ERR_QUEUE_FULL`, `WASMLET_ERR_POOL_CLOSED`).
   */
  invoke(componentId: string, event: GuestEvent, eventId?: string): Promise<void>;
  /** Stops the pool (queued and running events fail with `WASMLET_ERR_POOL_CLOSED`) and removes staged files. */
  close(): Promise<void>;
}

/** Options of {@link prepareEventRuntime}. */
export interface EventRuntimeOptions {
  /** Worker threads of the pool. */
  workers: number;
  /** Deadline of one event in ms, for components without `limits.timeout`. */
  defaultTimeoutMs: number;
  /** Where the guest's stdout/stderr lines go (Spin logs a handler's output as it does HTTP's); dropped without. */
  log?: TriggerLog;
}

/**
 * Prepares every component the app's Redis and cron triggers name and starts their pool; returns
 * undefined when the app has no such trigger (no pool, no threads).
 * @throws WasmletError `WASMLET_ERR_READ_SOURCE`; `WASMLET_ERR_COMPONENT_NO_HANDLER` (blame user)
 *   for a component without the handler its trigger calls; `WASMLET_ERR_COMPONENT_IMPORT_UNSUPPORTED`;
 *   preparation errors; `WASMLET_ERR_WORKER_START`.
 */
export async function prepareEventRuntime(app: LockedApp, options: EventRuntimeOptions): Promise<EventRuntime | undefined> {
  const uses = new Map<string, Set<GuestEvent['kind']>>();
  for (const t of app.triggers.redis ?? []) (uses.get(t.component) ?? uses.set(t.component, new Set()).get(t.component)!).add('redis');
  for (const t of app.triggers.cron ?? []) (uses.get(t.component) ?? uses.set(t.component, new Set()).get(t.component)!).add('cron');
  if (uses.size === 0) return undefined;
  const pool = new WorkerPool({ handler: workerEntry(import.meta.url, './guest-event-worker'), size: options.workers, concurrency: EVENT_CONCURRENCY });
  const started = pool.start();
  started.catch(() => {}); // awaited below
  const cleanups: (() => void)[] = [];
  const timeouts = new Map<string, number>();
  const preparedOnce = new Map<string, Promise<PreparedComponent>>();
  try {
    for (const [id, kinds] of uses) {
      const component = app.components[id];
      if (component === undefined) {
        throw new WasmletError('WASMLET_ERR_UNKNOWN_COMPONENT', `a trigger names component '${id}', which the app does not define`, { blame: 'user' });
      }
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(component.source);
      } catch (err) {
        throw new WasmletError('WASMLET_ERR_READ_SOURCE', `cannot read component '${id}' source ${component.source}: ${(err as Error).message}`, { blame: 'user', cause: err });
      }
      const files = stageFileMounts(component.files);
      cleanups.push(files.cleanup);
      const check = (c: LockedComponent, prepared: PreparedComponent) => {
        for (const kind of kinds) {
          if (!hasGuestEventExport(prepared.exports, kind)) {
            throw new WasmletError('WASMLET_ERR_COMPONENT_NO_HANDLER',
              `component '${c.id}' is used by a ${kind} trigger but does not export ${GUEST_EVENT_EXPORTS[kind]} (it exports ${prepared.exports.join(', ') || 'nothing'}); `
              + `build it for ${kind === 'redis' ? "Spin's `spin-redis` world" : "the cron trigger's `spin-cron` world"}`, { blame: 'user' });
          }
        }
      };
      pool.register(id, PLACEHOLDER_MODULE, await componentUnit(app, component, bytes, files.preopens, preparedOnce, check));
      timeouts.set(id, component.limits.timeoutMs ?? options.defaultTimeoutMs);
    }
    await started;
    // Each unit loaded on a worker before the first event (see GuestEventInput `warm`).
    await Promise.all([...uses.keys()].map((unit) => pool.run({ unit, input: { kind: 'warm' } satisfies GuestEventInput })));
  } catch (err) {
    for (const c of cleanups.splice(0)) c();
    await pool.close();
    throw err;
  }
  return {
    async invoke(componentId, event, eventId = '-') {
      const guestOutput = options.log?.guestOutput;
      if (guestOutput === undefined) {
        await pool.run({ unit: componentId, input: event, timeoutMs: timeouts.get(componentId) });
        return;
      }
      const output = {
        stdout: new LineSplitter((line) => guestOutput('stdout', eventId, componentId, line)),
        stderr: new LineSplitter((line) => guestOutput('stderr', eventId, componentId, line)),
      };
      const onEvent = (e: unknown) => { const o = e as GuestOutputEvent; output[o.type]?.push(o.text); };
      try {
        await pool.run({ unit: componentId, input: event, timeoutMs: timeouts.get(componentId), onEvent });
      } finally {
        output.stdout.end();
        output.stderr.end();
      }
    },
    async close() {
      await pool.close();
      for (const c of cleanups.splice(0)) c();
    },
  };
}
