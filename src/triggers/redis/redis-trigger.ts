// Starts every `[[trigger.redis]]` of an app: the pub/sub triggers grouped by address (one
// subscriber connection each, as Spin does), and one stream consumer per `group` trigger.
import type { LockedRedisTrigger } from '../../app/locked-app.ts';
import type { EventRuntime } from '../event-runtime.ts';
import type { TriggerLog } from '../event-log.ts';
import { subscribeRedis, type RedisSubscription } from './pubsub-subscriber.ts';
import { consumeRedisStream } from './stream-consumer.ts';

/**
 * Starts the Redis triggers; the returned subscriptions are live (connecting in the background).
 * @throws WasmletError `WASMLET_ERR_REDIS_TRIGGER` for an address that cannot be parsed (nothing
 *   is left running then).
 */
export function startRedisTriggers(triggers: readonly LockedRedisTrigger[], runtime: EventRuntime, log: TriggerLog): RedisSubscription[] {
  const byAddress = new Map<string, LockedRedisTrigger[]>();
  const started: RedisSubscription[] = [];
  try {
    for (const t of triggers) {
      if (t.group !== undefined) { started.push(consumeRedisStream(t, runtime, log)); continue; }
      byAddress.set(t.address, [...(byAddress.get(t.address) ?? []), t]);
    }
    for (const [address, list] of byAddress) started.push(subscribeRedis(address, list, runtime, log));
  } catch (err) {
    for (const s of started) s.stop().catch(() => {}); // nothing runs yet: stopping is closing the client
    throw err;
  }
  return started;
}
