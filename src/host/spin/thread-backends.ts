// The connections of one worker thread to the app's stores and databases, opened on first use and
// shared by every instance on that thread (a SQLite file or Redis connection per label, not per
// request). Built once per thread by its owner, never at module level; specs are plain data, so
// each thread opens its own from the same locked app (connections cannot cross threads). The
// Redis client is imported only when a Redis store is first opened: an app on the embedded
// default never loads it.
import type { KeyValueBackendSpec } from '../kv/open-backend.ts';
import { openSqliteKeyValueBackend } from '../kv/sqlite-store.ts';
import type { KeyValueBackend } from '../kv/store.ts';
import { RedisConnectionPool, type RedisLease } from './redis-client.ts';
import type { SqliteConnectionOptions } from '../sqlite/connection.ts';
import { createSqliteDatabases, type SqliteDatabases } from '../sqlite/databases.ts';

/** One thread's backends, keyed by their spec (two labels on one file share nothing but the file). */
export class SpinThreadBackends {
  #kv = new Map<string, Promise<KeyValueBackend>>();
  #sqlite = new Map<string, SqliteDatabases>();
  #redis = new Map<string, RedisConnectionPool>();

  /**
   * This thread's backend for `spec`, opened now if it is the first use (a SQLite file and its
   * parent directories are created then). Rejects with a `KeyValueError` (`other`) when it cannot
   * open (and forgets the failure, so a later call retries).
   */
  keyValue(spec: KeyValueBackendSpec): Promise<KeyValueBackend> {
    const key = JSON.stringify(spec);
    let backend = this.#kv.get(key);
    if (backend === undefined) {
      backend = spec.type === 'spin'
        ? Promise.resolve().then(() => openSqliteKeyValueBackend(spec))
        : import('../kv/redis-store.ts').then((m) => m.openRedisKeyValueBackend(spec));
      this.#kv.set(key, backend);
      backend.catch(() => { if (this.#kv.get(key) === backend) this.#kv.delete(key); });
    }
    return backend;
  }

  /** This thread's database opener for `spec` (one connection, opened on the first `open`). */
  sqlite(spec: SqliteConnectionOptions): SqliteDatabases {
    const key = JSON.stringify(spec);
    let dbs = this.#sqlite.get(key);
    if (dbs === undefined) {
      dbs = createSqliteDatabases({ databases: { db: spec }, allowed: ['db'] });
      this.#sqlite.set(key, dbs);
    }
    return dbs;
  }

  /**
   * A connection of this thread to `address` for one guest `open` (`fermyon:spin/redis`): an idle
   * one, or a new one. Release it when the guest drops the handle or the instance ends.
   * @throws Error when Redis cannot be reached (within `REDIS_CONNECT_TIMEOUT_MS`).
   */
  redis(address: string): Promise<RedisLease> {
    let pool = this.#redis.get(address);
    if (pool === undefined) {
      pool = new RedisConnectionPool(address);
      this.#redis.set(address, pool);
    }
    return pool.acquire();
  }
  /** Closes every connection (tests; a worker thread's end closes them anyway). */
  async close(): Promise<void> {
    const kv = [...this.#kv.values()];
    this.#kv.clear();
    const redis = [...this.#redis.values()];
    this.#redis.clear();
    await Promise.all(redis.map((p) => p.close()));
    for (const dbs of this.#sqlite.values()) dbs.close();
    this.#sqlite.clear();
    await Promise.all(kv.map((b) => b.then((backend) => backend.close(), () => {})));
  }
}
