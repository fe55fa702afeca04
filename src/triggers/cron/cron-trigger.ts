// The cron trigger, shaped as Spin's cron trigger plugin (fermyon/spin-trigger-cron `src/lib.rs`):
// each `[[trigger.cron]]` runs its component's `handle-cron-event` with `{ timestamp }` (seconds
// since the Unix epoch, as the plugin's `SystemTime::now()...as_secs()`) on every tick of its
// `cron_expression`, read as the plugin's scheduler reads it (app/manifest/event-triggers.ts
// `CRON_OPTIONS`: seconds field first, UTC), scheduled by croner.
//
// Overlap: a tick that comes while the previous run of the same trigger is still going is
// skipped and logged, never queued (the plugin's scheduler would start a second instance; wasmlet
// does not stack runs of a slow job). A failed run (error, trap, timeout) is logged; the schedule
// goes on.
import { Cron } from 'croner';
import type { LockedCronTrigger } from '../../app/locked-app.ts';
import { CRON_OPTIONS } from '../../app/manifest/event-triggers.ts';
import type { EventRuntime } from '../event-runtime.ts';
import { describeFailure, type TriggerLog } from '../event-log.ts';

/** The running schedules of an app. */
export interface CronSchedules {
  /** Stops every schedule and waits for runs in progress. */
  stop(): Promise<void>;
}

/** Options of {@link startCronTriggers}. */
export interface CronTriggerOptions {
  /** The clock, in ms since the epoch (tests). Default `Date.now`. */
  now?: () => number;
}

/** Starts one croner job per trigger. */
export function startCronTriggers(triggers: readonly LockedCronTrigger[], runtime: EventRuntime, log: TriggerLog,
  options: CronTriggerOptions = {}): CronSchedules {
  const now = options.now ?? Date.now;
  const jobs: { job: Cron; running: () => Promise<void> | undefined }[] = [];
  for (const trigger of triggers) {
    let running: Promise<void> | undefined;
    const fields = { trigger: trigger.id, component: trigger.component };
    const tick = () => {
      const timestamp = Math.floor(now() / 1000);
      if (running !== undefined) {
        log.event('error', `cron trigger '${trigger.id}': tick at ${new Date(timestamp * 1000).toISOString()} skipped, the previous run of component '${trigger.component}' is still going`, fields);
        return;
      }
      running = runtime.invoke(trigger.component, { kind: 'cron', timestamp }, `${trigger.id}@${timestamp}`)
        .catch((err: unknown) => {
          log.event('error', `cron trigger '${trigger.id}': component '${trigger.component}' failed: ${describeFailure(err)}`, fields);
        })
        .finally(() => { running = undefined; });
    };
    jobs.push({ job: new Cron(trigger.cronExpression, { ...CRON_OPTIONS }, tick), running: () => running });
    log.event('info', `cron trigger '${trigger.id}': component '${trigger.component}' on "${trigger.cronExpression}" (UTC)`, fields);
  }
  return {
    async stop() {
      for (const { job } of jobs) job.stop();
      await Promise.all(jobs.map(({ running }) => running()));
    },
  };
}
