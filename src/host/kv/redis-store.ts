// The Redis key-value backend, for scaled-out deployments (N stateless replicas sharing state), as
// spinframework/spin `crates/key-value-redis/src/store.rs` does it: keys are used as given (the
// store label is not part of the key: every label on one Redis URL shares its keyspace, as in
// Spin), values are Redis strings (binary-safe), `increment` is `INCRBY` (the value is decimal
// text, so data moves between Spin and wasmlet), batches are `MGET` / `MSET` / `DEL`. Where wasmlet
// differs: compare-and-swap is one Lua script (compare and set run atomically on the server; Spin
// uses WATCH/MULTI on a connection per CAS), and key listings use `SCAN` (Spin: `KEYS *`, which
// blocks the server).
//
// Client: ioredis, chosen over node-redis because its failure behaviour is plain options:
// `enableOfflineQueue: false` (a call while disconnected fails at once instead of queueing),
// `maxRetriesPerRequest: 0` (a call in flight when the connection drops fails instead of being
// resent), `commandTimeout` (a server that hangs fails the call), `connectTimeout`, and a
// `retryStrategy` that keeps reconnecting in the background, so calls work again once Redis is
// back; `stringNumbers` keeps 64-bit `INCRBY` replies exact; `defineCommand` runs a Lua script by
// EVALSHA with EVAL fallback.
import { Redis } from 'ioredis';
import { isKeyValueError, kvOther } from './kv-error.ts';
import { checkDelta, checkKey, checkStoredValue, checkValue, resolveLimits, type KeyValueLimits } from './limits.ts';
import type { KeyPage, KeyValueBackend, KeyValueStore } from './store.ts';

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

interface CasClient extends Redis {
  wasmletCas(key: string, absent: string, expected: Buffer, value: Buffer): Promise<string | number>;
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

/** A Buffer reply as a plain `Uint8Array` over the same bytes. */
function bytes(b: Buffer | null | undefined): Uint8Array | undefined {
  return b === null || b === undefined ? undefined : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
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
 * Opens the Redis backend: one client (one TCP connection, pipelined) for every store opened from
 * it. Connects in the background and keeps reconnecting; `open` waits up to `connectTimeoutMs` for
 * the connection and rejects with `other` if Redis is not reachable. Throws `other` synchronously
 * only for a URL ioredis cannot parse.
 */
export function openRedisKeyValueBackend(options: RedisKeyValueOptions): KeyValueBackend {
  const limits = resolveLimits(options.limits);
  const connectTimeout = options.connectTimeoutMs ?? 2000;
  const maxDelay = options.maxReconnectDelayMs ?? 500;
  let client: CasClient;
  try {
    client = new Redis(options.url, {
      connectTimeout,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(25 * 2 ** Math.min(times, 10), maxDelay),
      stringNumbers: true,
      lazyConnect: false,
    }) as CasClient;
  } catch (err) {
    throw kvOther(`invalid Redis URL: ${(err as Error).message}`, err);
  }
  client.defineCommand('wasmletCas', { numberOfKeys: 1, lua: CAS_SCRIPT });
  let lastError: Error | undefined;
  // Without a listener ioredis prints every connection error; the calls report them instead.
  client.on('error', (err: Error) => { lastError = err; });
  let closed = false;
  const summary = describeUrl(options.url);

  const ready = (): Promise<void> => {
    if (client.status === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        reject(kvOther(`${summary} is unreachable${lastError ? `: ${lastError.message}` : ''}`));
      }, connectTimeout);
      const onReady = (): void => { clearTimeout(timer); resolve(); };
      client.once('ready', onReady);
    });
  };

  return {
    summary,
    async open(label: string): Promise<KeyValueStore> {
      if (closed) throw kvOther('the key-value backend is closed');
      await ready();
      return new RedisStore(client, label, limits, summary, () => closed);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      client.disconnect();
    },
  };
}

class RedisStore implements KeyValueStore {
  readonly label: string;
  #client: CasClient;
  #limits: KeyValueLimits;
  #summary: string;
  #backendClosed: () => boolean;
  #closed = false;

  constructor(client: CasClient, label: string, limits: KeyValueLimits, summary: string, backendClosed: () => boolean) {
    this.#client = client;
    this.label = label;
    this.#limits = limits;
    this.#summary = summary;
    this.#backendClosed = backendClosed;
  }

  /** Runs `fn`; maps every failure that is not already a KeyValueError to `other`. */
  async #run<T>(op: string, fn: (c: CasClient) => Promise<T>): Promise<T> {
    if (this.#closed || this.#backendClosed()) throw kvOther('the key-value store is closed');
    try {
      return await fn(this.#client);
    } catch (err) {
      if (isKeyValueError(err)) throw err;
      throw kvOther(`${this.#summary}: ${op}: ${(err as Error).message}`, err);
    }
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.#run('get', async (c) => {
      checkKey(key, this.#limits);
      const v = bytes(await c.getBuffer(key));
      checkStoredValue(v, this.#limits);
      return v;
    });
  }

  set(key: string, value: Uint8Array): Promise<void> {
    return this.#run('set', async (c) => {
      checkKey(key, this.#limits);
      checkValue(value, this.#limits);
      await c.set(key, asBuffer(value));
    });
  }

  delete(key: string): Promise<void> {
    return this.#run('delete', async (c) => {
      checkKey(key, this.#limits);
      await c.del(key);
    });
  }

  exists(key: string): Promise<boolean> {
    return this.#run('exists', async (c) => {
      checkKey(key, this.#limits);
      return Number(await c.exists(key)) === 1;
    });
  }

  getKeys(): Promise<string[]> {
    return this.#run('get-keys', async (c) => {
      const all: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await c.scanBuffer(cursor, 'COUNT', 1000);
        all.push(...decodeKeys(keys));
        cursor = next.toString();
      } while (cursor !== '0');
      // SCAN may return a key twice (when the table is rehashed meanwhile).
      return [...new Set(all)];
    });
  }

  listKeys(cursor?: string, limit = 1000): Promise<KeyPage> {
    return this.#run('list-keys', async (c) => {
      if (cursor !== undefined && !/^[0-9]{1,20}$/.test(cursor)) throw kvOther('list-keys: invalid cursor');
      const n = Math.max(1, Math.min(Math.trunc(limit) || 1000, 100_000));
      const [next, keys] = await c.scanBuffer(cursor ?? '0', 'COUNT', n);
      const nextCursor = next.toString();
      return { keys: decodeKeys(keys), cursor: nextCursor === '0' ? undefined : nextCursor };
    });
  }

  increment(key: string, delta: bigint): Promise<bigint> {
    return this.#run('increment', async (c) => {
      checkKey(key, this.#limits);
      checkDelta(delta);
      // `stringNumbers`: the reply is decimal text, exact past 2^53.
      return BigInt(await c.incrby(key, delta.toString()));
    });
  }

  compareAndSwap(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    return this.#run('compare-and-swap', async (c) => {
      checkKey(key, this.#limits);
      checkValue(value, this.#limits);
      const r = await c.wasmletCas(key, expected === undefined ? '1' : '0', expected === undefined ? Buffer.alloc(0) : asBuffer(expected), asBuffer(value));
      return Number(r) === 1;
    });
  }

  getMany(keys: readonly string[]): Promise<Array<[string, Uint8Array | undefined]>> {
    return this.#run('get-many', async (c) => {
      for (const k of keys) checkKey(k, this.#limits);
      if (keys.length === 0) return [];
      const values = await c.mgetBuffer(...keys);
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
      await c.mset(...entries.flatMap(([k, v]) => [k, asBuffer(v)]));
    });
  }

  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#run('delete-many', async (c) => {
      for (const k of keys) checkKey(k, this.#limits);
      if (keys.length === 0) return;
      await c.del(...keys);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
