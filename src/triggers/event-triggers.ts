// The non-HTTP triggers of one app (Redis, cron), started together on one event pool
// (event-runtime.ts), beside the HTTP server of the same `wasmlet serve` process.
import type { LockedApp } from '../app/locked-app.ts';
import { prepareEventRuntime } from './event-runtime.ts';
import type { TriggerLog } from './event-log.ts';
import { startCronTriggers, type CronTriggerOptions } from './cron/cron-trigger.ts';
import { startRedisTriggers } from './redis/redis-trigger.ts';

/** Options of {@link startEventTriggers}. */
export interface EventTriggerOptions extends CronTriggerOptions {
  /** Worker threads of the event pool. */
  workers: number;
  /** Deadline of one event in ms, for components without `limits.timeout`. */
  defaultTimeoutMs: number;
  log: TriggerLog;
}

/** The running event triggers. */
export interface RunningEventTriggers {
  /** Redis triggers and cron schedules started. */
  readonly counts: { redis: number; cron: number };
  /** Resolves once every Redis trigger is subscribed (or reading its stream) the first time. */
  readonly ready: Promise<void>;
  /** Stops reading and scheduling, waits for running handlers, then stops the pool. */
  close(): Promise<void>;
}

/**
 * Prepares the components of the app's Redis and cron triggers and starts the triggers; returns
 * undefined when the app has none.
 * @throws as `prepareEventRuntime` and `startRedisTriggers` (nothing is left running).
 */
export async function startEventTriggers(app: LockedApp, options: EventTriggerOptions): Promise<RunningEventTriggers | undefined> {
  const redis = app.triggers.redis ?? [];
  const cron = app.triggers.cron ?? [];
  const runtime = await prepareEventRuntime(app, options);
  if (runtime === undefined) return undefined;
  let subscriptions;
  try {
    subscriptions = startRedisTriggers(redis, runtime, options.log);
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const schedules = startCronTriggers(cron, runtime, options.log, options);
  return {
    counts: { redis: redis.length, cron: cron.length },
    ready: Promise.all(subscriptions.map((s) => s.ready)).then(() => undefined), // never rejects: each `ready` logs its failures
    async close() {
      await Promise.all([...subscriptions.map((s) => s.stop()), schedules.stop()]);
      await runtime.close();
    },
  };
}
