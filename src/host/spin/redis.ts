// `fermyon:spin/redis@2.0.0` (spinframework/spin `wit/deps/spin@2.0.0/redis.wit`): outbound Redis
// for components, over node-redis (`@redis/client`), as Spin's `crates/factor-outbound-redis/src/host.rs`
// does it: `open(address)` is refused with `invalid-address` unless `allowed_outbound_hosts` allows
// the address (`redis://host:port`; no port: 6379), and the commands map one to one (`publish`,
// `get`, `set`, `incr`, `del`, `sadd`, `smembers`, `srem`, and `execute` with binary arguments and
// Spin's reply mapping: nil, status, int64, binary). Each `open` gets a connection of its own, as in
// Spin, leased from the thread's idle connections (SpinThreadBackends.redis) and handed back when
// the guest drops the handle or the instance ends; one whose guest used `execute` for a command
// outside the typed set is closed instead (redis-client.ts), so no guest sees another's SELECT,
// MULTI or SUBSCRIBE. An instance holds at most {@link MAX_REDIS_CONNECTIONS_PER_INSTANCE}
// connections at once (`too-many-connections` past it). Every call suspends the guest through JSPI
// (transpile.ts).
import type { AllowedHost } from '../http-outbound/allowed-hosts.ts';
import { isOutboundAllowed } from '../http-outbound/allowed-hosts.ts';
import { isServiceChainingDomain } from '../http-outbound/service-chaining.ts';
import { WitError } from '../wit-error.ts';
import type { RedisLease } from './redis-client.ts';
import type { SpinThreadBackends } from './thread-backends.ts';

/** The WIT `error` variant of `fermyon:spin/redis@2.0.0`, in jco's shape. */
export type RedisErrorPayload =
  | { tag: 'invalid-address' }
  | { tag: 'too-many-connections' }
  | { tag: 'type-error' }
  | { tag: 'other'; val: string };

/** A guest-facing outbound Redis error; jco hands its `payload` to the guest as the `err`. */
export class RedisError extends WitError<RedisErrorPayload> {
  override readonly name = 'RedisError';
}

/** `redis-parameter` and `redis-result` of the WIT, in jco's shape. */
export type RedisParameter = { tag: 'int64'; val: bigint } | { tag: 'binary'; val: Uint8Array };
export type RedisResult =
  | { tag: 'nil' }
  | { tag: 'status'; val: string }
  | { tag: 'int64'; val: bigint }
  | { tag: 'binary'; val: Uint8Array };

/** What a thread's Redis client must do for this interface: one raw command, binary-safe. */
export interface RedisCommands {
  /** Sends one command; replies as RESP2 gives them (Buffer, number or decimal string, array, null). */
  send(args: Array<string | Buffer>): Promise<unknown>;
}

/**
 * Connections one instance may hold open at once (opened and not yet dropped); the next `open`
 * fails with `too-many-connections`. Spin's per-instance connection table has the same capacity
 * (spinframework/spin `crates/factor-outbound-redis/src/lib.rs`: `spin_resource_table::Table::new(1024)`,
 * full -> `Error::TooManyConnections` in `host.rs`).
 */
export const MAX_REDIS_CONNECTIONS_PER_INSTANCE = 1024;

/**
 * Commands `execute` may send and still leave the connection fit for the next `open`: the typed
 * methods' own commands, which read or write keys but never the connection's state. Any other
 * (SELECT, MULTI, WATCH, SUBSCRIBE, CLIENT, AUTH, HELLO, ...) taints the connection.
 */
const STATELESS_COMMANDS: ReadonlySet<string> = new Set(['PUBLISH', 'GET', 'SET', 'INCR', 'DEL', 'SADD', 'SMEMBERS', 'SREM']);

function other(err: unknown): RedisError {
  return new RedisError({ tag: 'other', val: err instanceof Error ? err.message : String(err) });
}

/**
 * Checks `address` against the grants and returns it for the thread's client.
 * @throws RedisError `invalid-address` when it is not a `redis://` / `rediss://` URL or not allowed.
 */
function checkAddress(address: string, allowed: readonly AllowedHost[]): string {
  let url: URL;
  try { url = new URL(address); } catch { throw new RedisError({ tag: 'invalid-address' }); }
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') throw new RedisError({ tag: 'invalid-address' });
  const port = url.port === '' ? undefined : Number(url.port);
  // `*.spin.internal` names components (HTTP service chaining), never a Redis: no DNS lookup, even under `*://*:*`.
  if (isServiceChainingDomain(url.hostname)) throw new RedisError({ tag: 'invalid-address' });
  if (!isOutboundAllowed(allowed, { scheme, host: url.hostname, ...(port === undefined ? {} : { port }) })) {
    throw new RedisError({ tag: 'invalid-address' });
  }
  return address;
}

function toBytes(reply: unknown): Uint8Array {
  if (reply instanceof Uint8Array) return new Uint8Array(reply.buffer, reply.byteOffset, reply.byteLength);
  if (typeof reply === 'string') return new TextEncoder().encode(reply);
  throw new RedisError({ tag: 'type-error' });
}

function toInt(reply: unknown): bigint {
  if (typeof reply === 'number' || typeof reply === 'bigint') return BigInt(reply);
  if (typeof reply === 'string' && /^-?\d+$/.test(reply)) return BigInt(reply);
  throw new RedisError({ tag: 'type-error' });
}

/**
 * Spin's `redis_result` mapping of one reply: nil; an integer as `int64`; a simple string (the
 * client gives those as JS strings) as `status`; a bulk string as `binary`; an array flattened,
 * each element mapped the same way (Spin: `Value::Bulk` -> one result per element).
 */
export function toRedisResults(reply: unknown): RedisResult[] {
  if (reply === null || reply === undefined) return [{ tag: 'nil' }];
  if (Array.isArray(reply)) return reply.flatMap(toRedisResults);
  if (typeof reply === 'number' || typeof reply === 'bigint') return [{ tag: 'int64', val: BigInt(reply) }];
  if (typeof reply === 'string') return [{ tag: 'status', val: reply }];
  if (reply instanceof Uint8Array) return [{ tag: 'binary', val: toBytes(reply) }];
  throw new RedisError({ tag: 'type-error' });
}

/** The `connection` resource class jco's glue expects. */
export interface SpinRedisConnectionClass {
  open(address: string): Promise<object>;
}

/**
 * Builds the interface object of one instance: `{ Connection }`, and `close` to release the
 * connections the guest left open (call it when the instance retires). `allowed` is the
 * component's `allowed_outbound_hosts`; `maxConnections` caps the connections the instance holds
 * at once (default {@link MAX_REDIS_CONNECTIONS_PER_INSTANCE}). Calls reject with a
 * {@link RedisError} (the WIT `error`), never trap: `too-many-connections` when an `open` would
 * pass the cap.
 */
export function createSpinRedis(
  allowed: readonly AllowedHost[],
  backends: SpinThreadBackends,
  maxConnections: number = MAX_REDIS_CONNECTIONS_PER_INSTANCE,
): { imports: { Connection: SpinRedisConnectionClass }; close(): void } {
  const leased = new Set<RedisLease>();
  let opening = 0; // opens waiting for a connection count against the cap too
  let closed = false;
  class Connection {
    readonly #client: RedisLease;
    private constructor(client: RedisLease) { this.#client = client; }
    static async open(address: string): Promise<Connection> {
      const checked = checkAddress(address, allowed);
      if (leased.size + opening >= maxConnections) throw new RedisError({ tag: 'too-many-connections' });
      let lease: RedisLease;
      opening++;
      try { lease = await backends.redis(checked); } catch (err) { throw other(err); } finally { opening--; }
      // The instance retired while this open waited: the connection is not the guest's to keep.
      if (closed) { lease.release(); throw other(new Error('instance closed')); }
      leased.add(lease);
      return new Connection(lease);
    }
    async #send(args: Array<string | Buffer>): Promise<unknown> {
      try { return await this.#client.send(args); } catch (err) { throw other(err); }
    }
    async publish(channel: string, payload: Uint8Array): Promise<void> {
      await this.#send(['PUBLISH', channel, Buffer.from(payload)]);
    }
    async get(key: string): Promise<Uint8Array | undefined> {
      const reply = await this.#send(['GET', key]);
      return reply === null || reply === undefined ? undefined : toBytes(reply);
    }
    async set(key: string, value: Uint8Array): Promise<void> {
      await this.#send(['SET', key, Buffer.from(value)]);
    }
    async incr(key: string): Promise<bigint> {
      try { return toInt(await this.#client.send(['INCR', key])); } catch (err) {
        // Redis answers a non-integer value with `ERR value is not an integer or out of range`.
        if (err instanceof RedisError) throw err;
        throw /not an integer/i.test(String((err as Error)?.message)) ? new RedisError({ tag: 'type-error' }) : other(err);
      }
    }
    async del(keys: string[]): Promise<number> {
      return Number(toInt(await this.#send(['DEL', ...keys])));
    }
    async sadd(key: string, values: string[]): Promise<number> {
      return Number(toInt(await this.#send(['SADD', key, ...values])));
    }
    async smembers(key: string): Promise<string[]> {
      const reply = await this.#send(['SMEMBERS', key]);
      if (!Array.isArray(reply)) throw new RedisError({ tag: 'type-error' });
      return reply.map((m) => Buffer.from(toBytes(m)).toString('utf8'));
    }
    async srem(key: string, values: string[]): Promise<number> {
      return Number(toInt(await this.#send(['SREM', key, ...values])));
    }
    async execute(command: string, args: RedisParameter[]): Promise<RedisResult[]> {
      const wire = args.map((a) => (a.tag === 'int64' ? String(a.val) : Buffer.from(a.val)));
      // Before sending: a command cut short (instance retired mid-call) may still have run.
      if (!STATELESS_COMMANDS.has(command.toUpperCase())) this.#client.taint();
      return toRedisResults(await this.#send([command, ...wire]));
    }
    /** The guest dropped the handle: the connection goes back to the thread's idle ones (closed if tainted). */
    [Symbol.dispose](): void {
      leased.delete(this.#client);
      this.#client.release();
    }
  }
  return {
    imports: { Connection },
    close() {
      closed = true;
      for (const lease of leased) lease.release();
      leased.clear();
    },
  };
}
