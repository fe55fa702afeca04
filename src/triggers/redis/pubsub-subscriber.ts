// Spin's Redis trigger (spinframework/spin `crates/trigger-redis/src/lib.rs`): one subscriber
// connection per address, SUBSCRIBE to every channel a trigger names, each message handed to the
// trigger's component on a fresh instance. Messages of one (trigger, channel) are handled one at a
// time, in order (serial-queue.ts); channels run independently. A handler's error or trap is
// logged with the channel and a message id and the subscription goes on.
//
// Connection loss: node-redis reconnects with backoff (RECONNECT_BACKOFF) and subscribes again to
// every channel once connected; both are logged. Redis pub/sub delivers a message only to
// subscribers connected when it is published: messages published while wasmlet is disconnected
// are lost (Redis's contract, not a wasmlet choice).
import { createClient, RESP_TYPES } from '@redis/client';
import type { LockedRedisTrigger } from '../../app/locked-app.ts';
import { WasmletError } from '../../util/errors.ts';
import type { EventRuntime } from '../event-runtime.ts';
import { describeFailure, redactAddress, type TriggerLog } from '../event-log.ts';
import { SerialQueue } from './serial-queue.ts';

/** Reconnection delay after `n` failed attempts, in ms: 50 ms doubling, at most 2 s. */
export function reconnectDelayMs(n: number): number {
  return Math.min(50 * 2 ** Math.min(n, 6), 2000);
}

/** Wait between SUBSCRIBE attempts the server refused (e.g. NOPERM from an ACL), in ms. */
export const SUBSCRIBE_RETRY_MS = 2000;

/** A running subscription of one address; `stop` ends it. */
export interface RedisSubscription {
  /**
   * Resolves once every channel's SUBSCRIBE was acknowledged (messages published after it are
   * received), or when the subscription is stopped first. Never rejects: failures are logged.
   */
  readonly ready: Promise<void>;
  /** Unsubscribes, drops queued messages (logged) and waits for the running handlers. */
  stop(): Promise<void>;
}

interface Delivery { id: string; payload: Uint8Array }

/**
 * Subscribes to the channels of `triggers` (all of one `address`, pub/sub mode) and runs each
 * message through `runtime`. Connecting is in the background: Redis down at start is logged and
 * retried, like a connection lost later.
 * @throws WasmletError `WASMLET_ERR_REDIS_TRIGGER` (blame user) when the address cannot be parsed.
 */
export function subscribeRedis(address: string, triggers: readonly LockedRedisTrigger[], runtime: EventRuntime, log: TriggerLog): RedisSubscription {
  const where = redactAddress(address);
  let client;
  try {
    client = createClient({
      url: address,
      socket: { connectTimeout: 2000, reconnectStrategy: (n: number) => reconnectDelayMs(n) },
      commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
    });
  } catch (err) {
    throw new WasmletError('WASMLET_ERR_REDIS_TRIGGER', `Redis trigger address ${where} is invalid: ${(err as Error).message} — write redis://host:port`, { blame: 'user', cause: err });
  }
  const c = client;
  let connectedOnce = false;
  let down = false;
  let stopped = false;
  c.on('error', (err: Error) => {
    if (down || stopped) return; // one line per outage, not one per retry
    down = true;
    log.event('error', `redis trigger: connection to ${where} lost: ${err.message}; reconnecting`, { address: where });
  });
  c.on('ready', () => {
    if (connectedOnce && down) log.event('info', `redis trigger: reconnected to ${where}; subscriptions resumed (messages published meanwhile are lost)`, { address: where });
    connectedOnce = true;
    down = false;
  });

  const queues: SerialQueue<Delivery>[] = [];
  const listeners = new Map<string, ((message: Buffer) => void)[]>();
  for (const trigger of triggers) {
    let seq = 0;
    const queue = new SerialQueue<Delivery>(async ({ id, payload }) => {
      try {
        await runtime.invoke(trigger.component, { kind: 'redis', payload }, id);
      } catch (err) {
        log.event('error', `redis trigger: component '${trigger.component}' failed on channel '${trigger.channel}' message ${id}: ${describeFailure(err)}`,
          { channel: trigger.channel, message: id, component: trigger.component });
      }
    });
    queues.push(queue);
    const onMessage = (message: Buffer) => {
      const id = `${trigger.channel}#${++seq}`;
      const payload = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
      if (!queue.push({ id, payload })) {
        log.event('error', `redis trigger: channel '${trigger.channel}' has too many messages waiting for component '${trigger.component}'; dropped message ${id}`,
          { channel: trigger.channel, message: id });
      }
    };
    const list = listeners.get(trigger.channel) ?? [];
    list.push(onMessage);
    listeners.set(trigger.channel, list);
  }
  // Never rejects: a refused SUBSCRIBE (an ACL without the channel: NOPERM) is logged and retried
  // every SUBSCRIBE_RETRY_MS until it succeeds or the trigger stops.
  let wakeRetry: (() => void) | undefined;
  const ready = (async () => {
    // connect() resolves once connected; until then the reconnect strategy keeps trying.
    await c.connect();
    const pending = new Map(listeners);
    while (!stopped) {
      try {
        for (const [channel, list] of pending) {
          await c.subscribe(channel, (message: Buffer) => { for (const l of list) l(message); }, true);
          pending.delete(channel);
        }
        log.event('info', `redis trigger: subscribed to ${[...listeners.keys()].map((ch) => `'${ch}'`).join(', ')} on ${where}`, { address: where });
        return;
      } catch (err) {
        if (stopped) return;
        log.event('error', `redis trigger: cannot subscribe on ${where}: ${describeFailure(err)}; retrying in ${SUBSCRIBE_RETRY_MS} ms`, { address: where });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, SUBSCRIBE_RETRY_MS);
          wakeRetry = () => { clearTimeout(timer); resolve(); };
        });
        wakeRetry = undefined;
      }
    }
  })().catch((err: unknown) => {
    if (!stopped) log.event('error', `redis trigger: cannot subscribe on ${where}: ${describeFailure(err)}`, { address: where });
  });
  return {
    ready,
    async stop() {
      stopped = true;
      wakeRetry?.();
      c.destroy();
      const dropped = (await Promise.all(queues.map((q) => q.stop()))).reduce((a, b) => a + b, 0);
      if (dropped > 0) log.event('error', `redis trigger: ${dropped} queued message(s) on ${where} dropped at shutdown`, { address: where });
    },
  };
}
