// `[[trigger.redis]]`, `[application.trigger.redis]` and `[[trigger.cron]]`: checked strictly like
// the rest of the manifest. Shapes: Spin's Redis trigger (spinframework/spin
// `crates/trigger-redis/src/lib.rs`: `RedisTriggerConfig { component, channel, address }` and the
// app-wide `TriggerMetadata { address }`, both `{{ variable }}` templates resolved by the app's
// variables) and the cron plugin's (fermyon/spin-trigger-cron `src/lib.rs`: `CronTriggerConfig
// { component, cron_expression }`). wasmlet's extensions: `group` and `claim_timeout` (Redis
// Streams with a consumer group, see src/triggers/redis/stream-consumer.ts).
import { Cron } from 'croner';
import type { LockedCronTrigger, LockedRedisTrigger } from '../locked-app.ts';
import { parseTemplate, templateNames, type TemplatePart } from '../template.ts';
import { parseDuration } from '../../util/units.ts';
import { isWasmletError } from '../../util/errors.ts';
import { isTable, type Diagnostics, type Table } from './diagnostics.ts';
import type { TomlPath } from './locate-key.ts';
import type { ManifestVariables } from './parse-manifest.ts';

const REDIS_KEYS = ['id', 'component', 'channel', 'address', 'group', 'claim_timeout'];
const CRON_KEYS = ['id', 'component', 'cron_expression'];
const APP_TRIGGER_REDIS_KEYS = ['address'];

/** The templates of one Redis trigger, for the loader to resolve (index into `triggers.redis`). */
export interface RedisTriggerTemplates {
  index: number;
  address: TemplatePart[];
  channel: TemplatePart[];
}

/**
 * Croner options that read an expression as Spin's cron trigger does: `tokio-cron-scheduler`'s
 * `cron` crate grammar (6 fields from seconds, an optional 7th for the year; day-of-week 1-7 with
 * Sunday = 1, or names; a numeric `start/step` as well as a wildcard step), in UTC.
 */
export const CRON_OPTIONS = { mode: '6-or-7-parts', alternativeWeekdays: true, sloppyRanges: true, timezone: 'Etc/UTC' } as const;

/** Why `expression` is not a cron expression wasmlet reads, or undefined. */
export function cronExpressionProblem(expression: string): string | undefined {
  try {
    new Cron(expression, { ...CRON_OPTIONS, paused: true }).stop();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Checks a `{{ variable }}` template field: its syntax and that it names declared variables.
 * Returns the parts, or undefined after adding a diagnostic.
 */
function templateField(d: Diagnostics, value: string, path: TomlPath, vars: ManifestVariables): TemplatePart[] | undefined {
  const parts = parseTemplate(value);
  if ('error' in parts) { d.add(path, `${parts.error} — write {{ variable_name }}`); return undefined; }
  const unknown = templateNames(parts).filter((n) => !Object.hasOwn(vars.declared, n));
  if (unknown.length > 0) {
    d.add(path, `\`${unknown[0]}\` is not an application variable — declare it under [variables] (e.g. ${unknown[0]} = { default = "..." })`);
    return undefined;
  }
  return parts;
}

/**
 * Checks the Redis and cron triggers and returns them (address and channel still templates: see
 * `templates`). `triggerIdOf` and `componentOf` are parse-manifest's shared helpers (ids, component
 * references or inline components).
 */
export function checkEventTriggers(d: Diagnostics, application: Table | undefined, redis: Table[], cron: Table[], vars: ManifestVariables,
  triggerIdOf: (type: string, t: Table, path: TomlPath) => string,
  componentOf: (type: string, i: number, t: Table, path: TomlPath, triggerId: string) => string | undefined,
): { redis: LockedRedisTrigger[]; cron: LockedCronTrigger[]; templates: RedisTriggerTemplates[] } {
  const out = { redis: [] as LockedRedisTrigger[], cron: [] as LockedCronTrigger[], templates: [] as RedisTriggerTemplates[] };
  // [application.trigger.redis]
  let appAddress: string | undefined;
  const appTriggers = application === undefined ? undefined : d.table(application, 'trigger', ['application']);
  if (appTriggers) {
    for (const [type, table] of Object.entries(appTriggers)) {
      const path = ['application', 'trigger', type];
      if (type !== 'redis') {
        d.add(path, `[application.trigger.${type}] is not supported — wasmlet reads app-wide settings for the redis trigger only ([application.trigger.redis] address = "redis://...")`);
      } else if (!isTable(table)) {
        d.add(path, '`application.trigger.redis` must be a table — write [application.trigger.redis]');
      } else {
        d.unknownKeys(table, path, APP_TRIGGER_REDIS_KEYS);
        appAddress = d.string(table, 'address', path, false);
        if (appAddress !== undefined && templateField(d, appAddress, [...path, 'address'], vars) === undefined) appAddress = undefined;
      }
    }
  }

  redis.forEach((t, i) => {
    const path = ['trigger', 'redis', i] as const;
    d.unknownKeys(t, path, REDIS_KEYS);
    const id = triggerIdOf('redis', t, path);
    const component = componentOf('redis', i, t, path, id);
    const channel = d.string(t, 'channel', path, false);
    if (channel === undefined && t.channel === undefined) d.add(path, `trigger.redis[${i}] has no \`channel\` — add channel = "<name>"`);
    const own = d.string(t, 'address', path, false);
    const address = own ?? appAddress;
    if (address === undefined && t.address === undefined) {
      d.add(path, `trigger.redis[${i}] has no Redis address — add address = "redis://host:port" to it, or to [application.trigger.redis] for every Redis trigger`);
    }
    const group = d.string(t, 'group', path, false);
    if (group === '') d.add([...path, 'group'], '`group` must not be empty — name the consumer group, e.g. group = "workers"');
    let claimTimeoutMs: number | undefined;
    const claim = d.string(t, 'claim_timeout', path, false);
    if (claim !== undefined) {
      if (group === undefined) d.add([...path, 'claim_timeout'], '`claim_timeout` applies only with `group` (Redis Streams) — add group = "<name>" or remove it');
      try { claimTimeoutMs = parseDuration(claim); } catch (err) {
        if (!isWasmletError(err)) throw err;
        d.add([...path, 'claim_timeout'], `${err.message} — e.g. claim_timeout = "30s"`);
      }
    }
    const channelParts = channel === undefined ? undefined : templateField(d, channel, [...path, 'channel'], vars);
    const addressParts = address === undefined ? undefined
      : own === undefined ? parseTemplate(address) as TemplatePart[] : templateField(d, address, [...path, 'address'], vars);
    if (component === undefined || channelParts === undefined || addressParts === undefined || channel === undefined || address === undefined) return;
    out.templates.push({ index: out.redis.length, address: addressParts, channel: channelParts });
    out.redis.push({
      id, component, channel, address,
      ...(group === undefined || group === '' ? {} : { group }),
      ...(claimTimeoutMs === undefined ? {} : { claimTimeoutMs }),
    });
  });

  cron.forEach((t, i) => {
    const path = ['trigger', 'cron', i] as const;
    d.unknownKeys(t, path, CRON_KEYS);
    const id = triggerIdOf('cron', t, path);
    const component = componentOf('cron', i, t, path, id);
    const expression = d.string(t, 'cron_expression', path, false);
    if (expression === undefined) {
      if (t.cron_expression === undefined) d.add(path, `trigger.cron[${i}] has no \`cron_expression\` — add cron_expression = "*/5 * * * * *" (sec min hour day month weekday)`);
      return;
    }
    const why = cronExpressionProblem(expression);
    if (why !== undefined) {
      d.add([...path, 'cron_expression'], `invalid cron_expression ${JSON.stringify(expression)}: ${why} — write 6 or 7 fields: sec min hour day-of-month month day-of-week [year], e.g. "0 */5 * * * *"`);
      return;
    }
    if (component !== undefined) out.cron.push({ id, component, cronExpression: expression });
  });
  return out;
}
