// wasmlet's `group` extension of the Redis trigger: instead of SUBSCRIBE (every replica gets every
// message), read the Redis Stream whose key is the trigger's `channel` as one consumer of the
// consumer group `group`, so each message is handled by one replica (Redis Streams:
// https://redis.io/docs/latest/develop/data-types/streams/#consumer-groups).
//
//   producer:  XADD <channel> * payload <bytes>        (the field must be named `payload`)
//   replica:   XGROUP CREATE <channel> <group> 0 MKSTREAM   once (BUSYGROUP: another made it)
//              loop: XAUTOCLAIM <channel> <group> <me> <claim_timeout> 0-0 COUNT 1
//                    (take over entries another consumer read but never acknowledged: it died)
//                    XREADGROUP GROUP <group> <me> COUNT 1 BLOCK 1000 STREAMS <channel> >
//                    each entry in order: run the handler, then XACK
//
// The group starts at `0`, so entries added before any replica started are handled too. A
// consumer is named `<hostname>-<pid>-<random>`: a restarted replica is a new consumer, and what
// its previous life left unacknowledged is claimed after `claim_timeout` like any dead replica's.
// `claim_timeout` must be longer than a handler's longest run (its deadline, `limits.timeout`), or
// a live replica's slow entry is claimed and run a second time. Delivery is at least once: a replica killed after its handler ran but before XACK has that entry
// handled again by another replica. A handler's error, trap or timeout is logged and the entry
// acknowledged (it would fail again); an entry whose handler could not run (the pool shutting
// down) stays pending for another replica.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createClient, RESP_TYPES } from '@redis/client';
import { DEFAULT_CLAIM_TIMEOUT_MS, type LockedRedisTrigger } from '../../app/locked-app.ts';
import { isWasmletError, WasmletError } from '../../util/errors.ts';
import type { EventRuntime } from '../event-runtime.ts';
import { describeFailure, redactAddress, type TriggerLog } from '../event-log.ts';
import { reconnectDelayMs, type RedisSubscription } from './pubsub-subscriber.ts';

/**
 * Entries read (or claimed) per round trip: one, so an entry is pending under this consumer only
 * while its handler runs, and `claim_timeout` needs to exceed one handler's run, not a batch's
 * (with a batch, entries waiting behind a slow one were claimed by another replica and ran twice).
 */
const BATCH = 1;
/** How long one XREADGROUP waits for new entries, in ms (also how soon `stop` is noticed). */
const BLOCK_MS = 1000;
/** The stream entry field that holds the message bytes. */
export const STREAM_PAYLOAD_FIELD = 'payload';

type Entry = [id: Buffer, fields: Buffer[] | null];

/** This process's consumer name in a group. */
export function consumerName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts consuming `trigger`'s stream (it has a `group`) and running each entry through `runtime`,
 * one at a time in stream order. Redis going away is logged, retried with backoff, and resumed.
 * @throws WasmletError `WASMLET_ERR_REDIS_TRIGGER` (blame user) when the address cannot be parsed.
 */
export function consumeRedisStream(trigger: LockedRedisTrigger, runtime: EventRuntime, log: TriggerLog): RedisSubscription {
  const where = redactAddress(trigger.address);
  const key = trigger.channel;
  const group = trigger.group!;
  const me = consumerName();
  const claimMs = trigger.claimTimeoutMs ?? DEFAULT_CLAIM_TIMEOUT_MS;
  let client;
  try {
    client = createClient({
      url: trigger.address,
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: (n: number) => reconnectDelayMs(n) },
      commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
    });
  } catch (err) {
    throw new WasmletError('WASMLET_ERR_REDIS_TRIGGER', `Redis trigger address ${where} is invalid: ${(err as Error).message} — write redis://host:port`, { blame: 'user', cause: err });
  }
  const c = client;
  const fields = { stream: key, group, consumer: me };
  let stopped = false;
  let connectedOnce = false;
  let down = false;
  let stopResolve!: () => void;
  // Resolves when `stop` is called; the loop's waits (connecting, backoff) race against it.
  const stopping = new Promise<void>((resolve) => { stopResolve = resolve; });
  // node-redis retries a failed connection itself and reports each try here; `connect()` does not
  // return meanwhile. One line per outage, as pubsub-subscriber.ts does (the loop says when it is back).
  c.on('error', (err: Error) => {
    if (down || stopped) return;
    down = true;
    log.event('error', `redis trigger: connection to ${where} ${connectedOnce ? 'lost' : 'failed'}: ${describeFailure(err)}; reconnecting`, fields);
  });
  c.on('ready', () => { connectedOnce = true; down = false; });
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => { readyResolve = resolve; });

  const handle = async (entries: Entry[]): Promise<void> => {
    for (const [rawId, values] of entries) {
      if (stopped) return;
      const id = rawId.toString();
      if (values === null) { await c.sendCommand(['XACK', key, group, id]); continue; } // trimmed away meanwhile
      let payload: Buffer | undefined;
      for (let i = 0; i + 1 < values.length; i += 2) if (values[i]!.toString() === STREAM_PAYLOAD_FIELD) payload = values[i + 1];
      if (payload === undefined) {
        log.event('error', `redis trigger: stream '${key}' entry ${id} has no '${STREAM_PAYLOAD_FIELD}' field; acknowledged without running`, { ...fields, message: id });
      } else {
        try {
          await runtime.invoke(trigger.component, { kind: 'redis', payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) }, `${key}#${id}`);
        } catch (err) {
          // Not run at all (shutting down, worker lost): leave it pending for another consumer.
          if (!isWasmletError(err) || err.blame !== 'guest') {
            log.event('error', `redis trigger: stream '${key}' entry ${id} not handled: ${describeFailure(err)}; left pending`, { ...fields, message: id });
            return;
          }
          log.event('error', `redis trigger: component '${trigger.component}' failed on stream '${key}' entry ${id}: ${describeFailure(err)}`,
            { ...fields, message: id, component: trigger.component });
        }
      }
      await c.sendCommand(['XACK', key, group, id]);
    }
  };

  const loop = async (): Promise<void> => {
    let failures = 0;
    let grouped = false;
    while (!stopped) {
      try {
        if (!c.isOpen) {
          // While Redis is unreachable connect() keeps retrying until destroy(), which `stop` calls.
          const connected = c.connect();
          connected.catch(() => {});
          await Promise.race([connected, stopping]);
          if (stopped) break;
        }
        if (!grouped) {
          try {
            await c.sendCommand(['XGROUP', 'CREATE', key, group, '0', 'MKSTREAM']);
          } catch (err) {
            if (!/BUSYGROUP/.test((err as Error).message)) throw err;
          }
          grouped = true;
          log.event('info', `redis trigger: reading stream '${key}' as consumer ${me} of group '${group}' on ${where}`, fields);
          readyResolve();
        }
        if (failures > 0) log.event('info', `redis trigger: reconnected to ${where}; reading stream '${key}' again`, fields);
        failures = 0;
        const claimed = await c.sendCommand(['XAUTOCLAIM', key, group, me, String(claimMs), '0-0', 'COUNT', String(BATCH)]) as [Buffer, Entry[]];
        if (claimed[1].length > 0) {
          log.event('info', `redis trigger: claimed ${claimed[1].length} unacknowledged entr${claimed[1].length === 1 ? 'y' : 'ies'} of stream '${key}' idle for ${claimMs} ms or more`, fields);
          await handle(claimed[1]);
        }
        const read = await c.sendCommand(['XREADGROUP', 'GROUP', group, me, 'COUNT', String(BATCH), 'BLOCK', String(BLOCK_MS), 'STREAMS', key, '>']) as [Buffer, Entry[]][] | null;
        if (read !== null) for (const [, entries] of read) await handle(entries);
      } catch (err) {
        if (stopped) break;
        if (/NOGROUP/.test((err as Error).message)) grouped = false; // the stream was deleted: make it again
        // A lost connection was already reported by the 'error' listener.
        if (failures++ === 0 && !down) log.event('error', `redis trigger: stream '${key}' on ${where}: ${describeFailure(err)}; retrying`, fields);
        await Promise.race([sleep(reconnectDelayMs(failures)), stopping]);
      }
    }
  };
  const destroyQuietly = (): void => {
    if (c.isOpen) try { c.destroy(); } catch { /* already closed */ }
  };
  const running = loop();
  return {
    ready,
    async stop() {
      stopped = true;
      stopResolve();
      // Not connected: only destroy() ends node-redis's reconnect attempts (an entry whose handler
      // is running cannot be acknowledged anyway and stays pending). Connected: let the running
      // handler finish and acknowledge its entry before closing.
      if (!c.isReady) destroyQuietly();
      await running.catch(() => {});
      destroyQuietly();
    },
  };
}
