// The Redis key-value backend, for scaled-out deployments (N stateless replicas sharing state), as
// spinframework/spin `crates/key-value-redis/src/store.rs` does it: keys are used as given (the
// store label is not part of the key: every label on one Redis URL shares its keyspace, as in
// Spin), values are Redis strings (binary-safe), `increment` is `INCRBY` (the value is decimal
// text, so data moves between Spin and wasmlet), batches are `MGET` / `MSET` / `DEL`. Where wasmlet
// differs: compare-and-swap is one Lua script (compare and set run atomically on the server; Spin
// uses WATCH/MULTI on a connection per CAS), and key listings use `SCAN` (Spin: `KEYS *`, which
// blocks the server).
//
// Client: node-redis (`@redis/client` 5, the core of the `redis` package), chosen over ioredis 6 by
// measurement: the same get+set loop (64 B values) in one process, both clients with the failure
// options below, medians of 5 interleaved rounds of 20000 ops on an idle 2-core box: 7.9k vs 6.4k
// ops/s with one call in flight (1.2x), 79k vs 29k with 32 in flight (2.7x), because node-redis
// writes every command issued in one tick with one socket write (ioredis's `enableAutoPipelining`
// reached 36k at 32 in flight but dropped to 4.6k with one).
// Its failure behaviour is plain options, as needed here: `disableOfflineQueue` (a call while
// disconnected fails at once, and calls in flight when the connection drops fail instead of being
// resent), `connectTimeout`, and a `reconnectStrategy` that keeps reconnecting in the background,
// so calls work again once Redis is back. Its own command `timeout` covers only the wait to be
// written, not the reply (`commands-queue.js`: "The timeout covers only the wait to be sent"), so a
// server that hangs would hang the call: the reply deadline is wasmlet's (`withDeadline`). Every
// command goes through `sendCommand` with binary replies (`BLOB_STRING` -> Buffer) and integer
// replies as decimal text (`NUMBER` -> String: exact past 2^53 for `INCRBY`).
import { createHash } from 'node:crypto';
import { createClient, RESP_TYPES } from '@redis/client';
import { isKeyValueError, kvOther } from './kv-error.ts';
import { checkDelta, checkKey, checkStoredValue, checkValue, resolveLimits, type KeyValueLimits } from './limits.ts';
import type { KeyPage, KeyValueBackend, KeyValueStore } from './store.ts';
import { loopDeadline } from '../../util/loop-deadline.ts';

/** Options of {@link openRedisKeyValueBackend}. */
export interface RedisKeyValueOptions {
  /** `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS), as Spin's runtime config `url`. */
  url: string;
  /** Longest wait for a TCP connection (and for `open` to find the client ready), in ms. Default 2000. */
  connectTimeoutMs?: number;
  /** Longest wait for one command's reply, in ms. Default 2000. */
  commandTimeoutMs?: number;
  /** Longest pause between reconnection attempts, in ms. Default 500. */
  maxReconnectDelayMs?: number;
  limits?: Partial<KeyValueLimits>;
}

// Atomic compare-and-swap. ARGV[1] '1': only if absent; else only if the value equals ARGV[2].
// Lua strings are byte strings, so the comparison is binary-exact.
const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if cur then return 0 end
elseif cur ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3])
return 1`;
const CAS_SHA = createHash('sha1').update(CAS_SCRIPT).digest('hex');

/** What the store needs of the client: raw commands (binary-safe arguments and replies). */
interface Commands {
  send(args: Array<string | Buffer>): Promise<unknown>;
}

/** `host:port/db` of a Redis URL, without credentials (for logs and messages). */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `Redis at ${u.hostname}:${u.port || '6379'}${u.pathname && u.pathname !== '/' ? u.pathname : ''}`;
  } catch {
    return 'Redis (unparsable URL)';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A Buffer reply as a plain `Uint8Array` over the same bytes (`undefined` for a nil reply). */
function bytes(b: unknown): Uint8Array | undefined {
  if (b === null || b === undefined) return undefined;
  if (!(b instanceof Uint8Array)) throw kvOther(`unexpected reply from Redis: ${typeof b}`);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function asBuffer(v: Uint8Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Keys from a SCAN reply; a key that is not UTF-8 (another client wrote it) is `other`, as in Spin. */
function decodeKeys(raw: Buffer[]): string[] {
  return raw.map((k) => {
    try {
      return utf8.decode(k);
    } catch {
      throw kvOther(`a key in Redis is not valid UTF-8 (hex ${k.subarray(0, 32).toString('hex')}...)`);
    }
  });
}

/**
 * `p`, or a rejection once `ms` of event-loop time pass without its settling (the reply deadline
 * of a command; util/loop-deadline.ts: a neighbour guest blocking the thread does not use it up).
 */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = loopDeadline(ms, () => reject(new Error(`no reply within ${ms} ms`)));
    p.then((v) => { deadline.clear(); resolve(v); }, (err: unknown) => { deadline.clear(); reject(err); });
  });
}

/** One `SCAN cursor COUNT n` round: the next cursor (`'0'` when done) and the keys. */
async function scan(c: Commands, cursor: string, count: number): Promise<[string, string[]]> {
  const [next, keys] = await c.send(['SCAN', cursor, 'COUNT', String(count)]) as [Buffer, Buffer[]];
  return [next.toString(), decodeKeys(keys)];
}

/**
 * Opens the Redis backend: one client (one TCP connection, pipelined) for every store opened from
 * it. Connects in the background and keeps reconnecting; `open` waits up to `connectTimeoutMs` for
 * the connection and rejects with `other` if Redis is not reachable. Throws `other` synchronously
 * only for a URL the client cannot parse.
 */
export function openRedisKeyValueBackend(options: RedisKeyValueOptions): KeyValueBackend {
  const limits = resolveLimits(options.limits);
  const connectTimeout = options.connectTimeoutMs ?? 2000;
  const maxDelay = options.maxReconnectDelayMs ?? 500;
  const summary = describeUrl(options.url);
  let client;
  try {
    client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        // Per attempt; an attempt timed out by a blocked thread is retried within `ready`'s deadline.
        connectTimeout,
        reconnectStrategy: (retries: number) => Math.min(25 * 2 ** Math.min(retries, 10), maxDelay),
      },
      commandOptions: {
        typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.NUMBER]: String },
      },
    });
  } catch (err) {
    throw kvOther(`invalid Redis URL: ${(err as Error).message}`, err);
  }
  let lastError: Error | undefined;
  // Without a listener an 'error' event would throw; the calls report failures instead.
  client.on('error', (err: Error) => { lastError = err; });
  // Resolves once connected; the reconnect strategy retries until then (or until close()).
  client.connect().catch((err: Error) => { lastError = err; });
  const c = client;
  const commandTimeout = options.commandTimeoutMs ?? 2000;
  const commands: Commands = { send: (args) => withDeadline(c.sendCommand(args), commandTimeout) };
  let closed = false;

  const ready = (): Promise<void> => {
    if (c.isReady) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const deadline = loopDeadline(connectTimeout, () => {
        c.off('ready', onReady);
        reject(kvOther(`${summary} is unreachable${lastError ? `: ${lastError.message}` : ''}`));
      });
      const onReady = (): void => { deadline.clear(); resolve(); };
      c.once('ready', onReady);
    });
  };

  return {
    summary,
    async open(label: string): Promise<KeyValueStore> {
      if (closed) throw kvOther('the key-value backend is closed');
      await ready();
      return new RedisStore(commands, label, limits, summary, () => closed);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      c.destroy();
    },
  };
}

class RedisStore implements KeyValueStore {
  readonly label: string;
  #c: Commands;
  #limits: KeyValueLimits;
  #summary: string;
  #backendClosed: () => boolean;
  #closed = false;

  constructor(c: Commands, label: string, limits: KeyValueLimits, summary: string, backendClosed: () => boolean) {
    this.#c = c;
    this.label = label;
    this.#limits = limits;
    this.#summary = summary;
    this.#backendClosed = backendClosed;
  }

  /** Runs `fn`; maps every failure that is not already a KeyValueError to `other`. */
  async #run<T>(op: string, fn: (c: Commands) => Promise<T>): Promise<T> {
    if (this.#closed || this.#backendClosed()) throw kvOther('the key-value store is closed');
    try {
      return await fn(this.#c);
    } catch (err) {
      if (isKeyValueError(err)) throw err;
      throw kvOther(`${this.#summary}: ${op}: ${(err as Error).message}`, err);
    }
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.#run('get', async (c) => {
      checkKey(key, this.#limits);
      const v = bytes(await c.send(['GET', key]));
      checkStoredValue(v, this.#limits);
      return v;
    });
  }

  set(key: string, value: Uint8Array): Promise<void> {
    return this.#run('set', async (c) => {
      checkKey(key, this.#limits);
      checkValue(value, this.#limits);
      await c.send(['SET', key, asBuffer(value)]);
    });
  }

  delete(key: string): Promise<void> {
    return this.#run('delete', async (c) => {
      checkKey(key, this.#limits);
      await c.send(['DEL', key]);
    });
  }

  exists(key: string): Promise<boolean> {
    return this.#run('exists', async (c) => {
      checkKey(key, this.#limits);
      return Number(await c.send(['EXISTS', key])) === 1;
    });
  }

  getKeys(): Promise<string[]> {
    return this.#run('get-keys', async (c) => {
      const all: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await scan(c, cursor, 1000);
        all.push(...keys);
        cursor = next;
      } while (cursor !== '0');
      // SCAN may return a key twice (when the table is rehashed meanwhile).
      return [...new Set(all)];
    });
  }

  listKeys(cursor?: string, limit = 1000): Promise<KeyPage> {
    return this.#run('list-keys', async (c) => {
      if (cursor !== undefined && !/^[0-9]{1,20}$/.test(cursor)) throw kvOther('list-keys: invalid cursor');
      const n = Math.max(1, Math.min(Math.trunc(limit) || 1000, 100_000));
      const [next, keys] = await scan(c, cursor ?? '0', n);
      return { keys, cursor: next === '0' ? undefined : next };
    });
  }

  increment(key: string, delta: bigint): Promise<bigint> {
    return this.#run('increment', async (c) => {
      checkKey(key, this.#limits);
      checkDelta(delta);
      // Integer replies arrive as decimal text: exact past 2^53.
      return BigInt(String(await c.send(['INCRBY', key, delta.toString()])));
    });
  }

  compareAndSwap(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    return this.#run('compare-and-swap', async (c) => {
      checkKey(key, this.#limits);
      checkValue(value, this.#limits);
      const args = [key, expected === undefined ? '1' : '0', expected === undefined ? Buffer.alloc(0) : asBuffer(expected), asBuffer(value)];
      let r: unknown;
      try {
        r = await c.send(['EVALSHA', CAS_SHA, '1', ...args]);
      } catch (err) {
        // First use on this server (or after SCRIPT FLUSH / a restart): load it with EVAL.
        if (!/NOSCRIPT/.test((err as Error).message)) throw err;
        r = await c.send(['EVAL', CAS_SCRIPT, '1', ...args]);
      }
      return Number(r) === 1;
    });
  }

  getMany(keys: readonly string[]): Promise<Array<[string, Uint8Array | undefined]>> {
    return this.#run('get-many', async (c) => {
      for (const k of keys) checkKey(k, this.#limits);
      if (keys.length === 0) return [];
      const values = await c.send(['MGET', ...keys]) as unknown[];
      return keys.map((k, i): [string, Uint8Array | undefined] => {
        const v = bytes(values[i]);
        checkStoredValue(v, this.#limits);
        return [k, v];
      });
    });
  }

  setMany(entries: ReadonlyArray<readonly [string, Uint8Array]>): Promise<void> {
    return this.#run('set-many', async (c) => {
      for (const [k, v] of entries) { checkKey(k, this.#limits); checkValue(v, this.#limits); }
      if (entries.length === 0) return;
      await c.send(['MSET', ...entries.flatMap(([k, v]) => [k, asBuffer(v)])]);
    });
  }

  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#run('delete-many', async (c) => {
      for (const k of keys) checkKey(k, this.#limits);
      if (keys.length === 0) return;
      await c.send(['DEL', ...keys]);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
