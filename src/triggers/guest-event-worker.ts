// The worker side of the event triggers (Redis messages, cron ticks): a pool handler (see
// engine/pool.ts) that runs one event on a fresh instance of the unit's component
// (engine/component/guest-event.ts), with the component's grants and the thread's backend
// connections. The main thread (redis/, cron/) decides order and concurrency; a job here is one
// event, and its deadline and memory cap are the pool's and the prepared component's.
import { componentFromWire } from '../engine/component-wire.ts';
import { handleGuestEvent, type GuestEvent } from '../engine/component/guest-event.ts';
import { SpinThreadBackends } from '../engine/component/component-host.ts';
import type { PreparedComponent } from '../engine/component/transpile.ts';
import type { PoolHandler } from '../engine/pool.ts';
import type { ComponentUnitConfig } from './component-unit.ts';
import { guestOutputSink } from './http/guest-output.ts';

/**
 * One event as the main thread sends it, or `warm`: only wait until the unit's component is loaded
 * on the worker (its jco module imported), so that the first event's deadline, and a stream
 * entry's time pending, do not include the load.
 */
export type GuestEventInput = GuestEvent | { kind: 'warm' };

/**
 * This thread's connections to the app's stores, databases and outbound Redis, shared by every
 * unit and event on the thread. Module state on purpose, as in wasi-http-worker.ts: the pool
 * imports this module once per worker thread, so module scope is the thread's scope.
 */
const threadBackends = new SpinThreadBackends();

interface Unit { prepared: Promise<PreparedComponent>; config: ComponentUnitConfig }

/** The pool handler the event triggers' workers import. */
export const poolHandler: PoolHandler = {
  needsEventLoop: true, // jco's glue (components): see PoolHandler.needsEventLoop
  load(_module, config) {
    const cfg = config as ComponentUnitConfig;
    const prepared = componentFromWire(cfg.component);
    prepared.catch(() => {}); // reported by the first run
    return { prepared, config: cfg } satisfies Unit;
  },
  async run(unit, input, emit) {
    const { prepared, config } = unit as Unit;
    const event = input as GuestEventInput;
    if (event.kind === 'warm') { await prepared; return null; }
    await handleGuestEvent(await prepared, event, {
      env: config.env, preopens: config.preopens, allowedOutboundHosts: config.allowedOutboundHosts,
      spin: { options: config.spin, backends: threadBackends },
      stdout: guestOutputSink('stdout', emit), stderr: guestOutputSink('stderr', emit),
    });
    return null;
  },
};
