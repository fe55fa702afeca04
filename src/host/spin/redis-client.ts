// The thread's connections for outbound Redis (`fermyon:spin/redis`), per address: each guest
// `open` leases a connection of its own (as Spin opens one per `open`, so a guest's blocking
// command, BLPOP or a long EVAL, holds only its own), and a released one is kept idle for the next
// `open` on the thread instead of a new TCP connection per message. A connection whose guest ran a
// command that can change the connection's own state (`execute` of anything but the typed safe
// set: SELECT, MULTI, SUBSCRIBE, CLIENT REPLY OFF, AUTH, ...) is tainted and closed on release,
// never handed to the next `open`: Spin opens a fresh connection per `open`
// (spinframework/spin `crates/factor-outbound-redis/src/host.rs`), so one guest's session state
// never reaches another's. Failure behaviour as the Redis key-value
// backend's (src/host/kv/redis-store.ts): calls fail at once while disconnected
// (`disableOfflineQueue`) and the client keeps reconnecting in the background; replies keep bulk
// strings binary (Buffer) and integers as numbers, as `execute` hands them to the guest.
import { createClient, RESP_TYPES } from '@redis/client';
import { loopDeadline, type LoopDeadline } from '../../util/loop-deadline.ts';
import type { RedisCommands } from './redis.ts';

/**
 * Longest wait for the first connection, in ms; past it `open` fails with `other`. Counted as
 * event-loop time (util/loop-deadline.ts): a neighbour guest holding this worker's thread does
 * not use it up. It also bounds each socket connect attempt, which node-redis retries within it
 * (an attempt that timed out while the thread was blocked costs one retry, not the `open`).
 */
export const REDIS_CONNECT_TIMEOUT_MS = 2000;

/** An open client: its commands and the way to close it. */
export interface RedisThreadClient extends RedisCommands {
  /** False while the connection is down (an idle one is then not handed out again). */
  isReady(): boolean;
  close(): Promise<void>;
}

/**
 * Connects to `address` (`redis://[user:pass@]host[:port][/db]`), waiting up to
 * {@link REDIS_CONNECT_TIMEOUT_MS} for the first connection.
 * @throws Error when the URL cannot be parsed or Redis does not answer in time (the caller maps
 *   it to the WIT `other`).
 */
export async function connectRedis(address: string): Promise<RedisThreadClient> {
  const client = createClient({
    url: address,
    disableOfflineQueue: true,
    socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy: (n: number) => Math.min(25 * 2 ** Math.min(n, 10), 500) },
    commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
  });
  client.on('error', () => {}); // reported by the calls; without a listener it would throw
  let deadline: LoopDeadline | undefined;
  try {
    await Promise.race([client.connect(), new Promise((_, reject) => {
      deadline = loopDeadline(REDIS_CONNECT_TIMEOUT_MS,
        () => reject(new Error(`Redis at ${address.replace(/\/\/[^@/]*@/, '//')} did not answer within ${REDIS_CONNECT_TIMEOUT_MS} ms`)));
    })]);
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    deadline?.clear();
  }
  return {
    send: (args) => client.sendCommand(args),
    isReady: () => client.isReady,
    close: async () => { client.destroy(); },
  };
}

/** Idle connections kept per address per thread, at most (more are closed on release). */
export const MAX_IDLE_REDIS_CONNECTIONS = 8;

/**
 * A leased connection: its commands, `taint` to mark its session state as the guest's own, and
 * `release` to hand it back (idempotent). After `release`, `send` rejects: a released lease never
 * reaches the connection the next `open` may hold.
 */
export interface RedisLease extends RedisCommands {
  /** The guest may have changed the connection's state (db, transaction, subscriptions, auth, reply mode): close it on release. */
  taint(): void;
  release(): void;
}

/** One address's connections on one thread. */
export class RedisConnectionPool {
  readonly #address: string;
  readonly #idle: RedisThreadClient[] = [];
  #closed = false;
  constructor(address: string) { this.#address = address; }

  /**
   * An idle connection (never a tainted one: those are closed on release), or a new one.
   * @throws as {@link connectRedis}.
   */
  async acquire(): Promise<RedisLease> {
    let client = this.#idle.pop();
    // An idle connection that went down (Redis restarted) is replaced, not handed to a guest.
    while (client !== undefined && !client.isReady()) { void client.close(); client = this.#idle.pop(); }
    client ??= await connectRedis(this.#address);
    let released = false;
    let tainted = false;
    return {
      send: (args) => (released ? Promise.reject(new Error('Redis connection already released')) : client.send(args)),
      taint: () => { tainted = true; },
      release: () => {
        if (released) return;
        released = true;
        if (tainted || this.#closed || this.#idle.length >= MAX_IDLE_REDIS_CONNECTIONS) void client.close();
        else this.#idle.push(client);
      },
    };
  }

  /** Closes the idle connections; leased ones close when released. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#idle.splice(0).map((c) => c.close()));
  }
}
