// The embedded key-value backend: one SQLite file through `node:sqlite` (built into Node 24, no
// native build), in Spin's own schema so a `sqlite_key_value.db` made by `spin up` works here and
// back: spinframework/spin `crates/key-value-spin/src/store.rs` (table `spin_key_value (store,
// key, value)`, upsert with `ON CONFLICT(store, key)`, increment stored as `i64::to_le_bytes`).
//
// Concurrency: `DatabaseSync` is synchronous and per thread, so every worker thread opens its own
// backend (its own connection) on the same file. WAL lets readers run beside the one writer;
// `busy_timeout` makes a writer wait for the lock instead of failing; read-modify-write
// (increment, batches) runs in `BEGIN IMMEDIATE`, which takes the write lock before reading, so
// two threads cannot both read the old value. A compare-and-swap is one `UPDATE ... WHERE
// value = ?` / `INSERT ... ON CONFLICT DO NOTHING` statement, which SQLite runs under the write
// lock as a whole: atomic without an explicit transaction.
//
// Durability: `synchronous = NORMAL` in WAL mode (the default here): a commit is in the WAL file
// (the OS page cache) before the call returns, so it survives the process being killed (`kill
// -9`) right after; only an OS crash or power loss can lose the last commits (SQLite docs,
// "PRAGMA synchronous"). `FULL` adds an fsync of the WAL per commit, for power-loss durability,
// at the cost of a disk flush per write. Spin leaves rusqlite's defaults (rollback journal,
// FULL); the WAL mode set here is persistent in the file, which Spin then also uses.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { isKeyValueError, kvOther } from './kv-error.ts';
import { checkDelta, checkKey, checkStoredValue, checkValue, resolveLimits, S64_MAX, S64_MIN, type KeyValueLimits } from './limits.ts';
import type { KeyPage, KeyValueBackend, KeyValueStore } from './store.ts';

/** Options of {@link openSqliteKeyValueBackend}. */
export interface SqliteKeyValueOptions {
  /** The database file (created with its parent directories if missing), or `':memory:'`. */
  path: string;
  /** `'normal'` (default: survives a process kill) or `'full'` (also survives power loss). */
  synchronous?: 'normal' | 'full';
  /** How long a write waits for another connection's lock before failing with `other`, in ms. Default 5000. */
  busyTimeoutMs?: number;
  limits?: Partial<KeyValueLimits>;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS spin_key_value (
  store TEXT NOT NULL,
  key   TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (store, key)
)`;

/** The prepared statements of one connection. */
interface Statements {
  get: StatementSync;
  upsert: StatementSync;
  del: StatementSync;
  keys: StatementSync;
  pageFirst: StatementSync;
  pageAfter: StatementSync;
  casUpdate: StatementSync;
  casInsert: StatementSync;
}

/** The connection shared by the stores one backend opens (one thread). */
interface Connection {
  db: DatabaseSync;
  st: Statements;
  limits: KeyValueLimits;
}

/**
 * Opens the embedded backend on `options.path`: one connection for this thread (call it once per
 * worker thread; connections are not shareable). Creates Spin's table if missing, switches the file
 * to WAL. Synchronous: throws a `KeyValueError` (`other`) when the file cannot be opened (not a
 * database, no permission, directory cannot be created).
 */
export function openSqliteKeyValueBackend(options: SqliteKeyValueOptions): KeyValueBackend {
  const limits = resolveLimits(options.limits);
  let db: DatabaseSync;
  try {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw kvOther(`cannot open key-value database ${JSON.stringify(options.path)}: ${(err as Error).message}`, err);
  }
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec(SCHEMA);
  } catch (err) {
    db.close();
    throw kvOther(`cannot prepare key-value database ${JSON.stringify(options.path)}: ${(err as Error).message}`, err);
  }
  const st: Statements = {
    get: db.prepare('SELECT value FROM spin_key_value WHERE store = ? AND key = ?'),
    upsert: db.prepare('INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?) ON CONFLICT(store, key) DO UPDATE SET value = excluded.value'),
    del: db.prepare('DELETE FROM spin_key_value WHERE store = ? AND key = ?'),
    keys: db.prepare('SELECT key FROM spin_key_value WHERE store = ?'),
    pageFirst: db.prepare('SELECT key FROM spin_key_value WHERE store = ? ORDER BY key LIMIT ?'),
    pageAfter: db.prepare('SELECT key FROM spin_key_value WHERE store = ? AND key > ? ORDER BY key LIMIT ?'),
    casUpdate: db.prepare('UPDATE spin_key_value SET value = ? WHERE store = ? AND key = ? AND value = ?'),
    casInsert: db.prepare('INSERT INTO spin_key_value (store, key, value) VALUES (?, ?, ?) ON CONFLICT(store, key) DO NOTHING'),
  };
  for (const s of [st.keys, st.pageFirst, st.pageAfter]) s.setReturnArrays(true);
  const conn: Connection = { db, st, limits };
  return {
    summary: options.path === ':memory:' ? 'a temporary in-memory SQLite store' : `SQLite ${JSON.stringify(options.path)}`,
    async open(label: string): Promise<KeyValueStore> {
      if (!db.isOpen) throw kvOther('the key-value backend is closed');
      return new SqliteStore(conn, label);
    },
    async close(): Promise<void> {
      if (db.isOpen) db.close();
    },
  };
}

/** Bytes from a stored cell: BLOB as is; TEXT (another tool wrote it) as its UTF-8. */
function cellBytes(cell: unknown): Uint8Array | undefined {
  if (cell === undefined || cell === null) return undefined;
  if (cell instanceof Uint8Array) return cell;
  if (typeof cell === 'string') return new Uint8Array(Buffer.from(cell, 'utf8'));
  return new Uint8Array(Buffer.from(String(cell), 'utf8'));
}

/** Spin's increment encoding: 8 bytes, little-endian two's complement. */
function encodeI64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, n, true);
  return out;
}

class SqliteStore implements KeyValueStore {
  readonly label: string;
  #conn: Connection;
  #closed = false;

  constructor(conn: Connection, label: string) {
    this.#conn = conn;
    this.label = label;
  }

  /** Runs `fn` against the open connection; maps any non-KeyValueError to `other`. */
  #run<T>(op: string, fn: (c: Connection) => T): Promise<T> {
    if (this.#closed || !this.#conn.db.isOpen) return Promise.reject(kvOther('the key-value store is closed'));
    try {
      return Promise.resolve(fn(this.#conn));
    } catch (err) {
      if (isKeyValueError(err)) return Promise.reject(err);
      return Promise.reject(kvOther(`sqlite ${op}: ${(err as Error).message}`, err));
    }
  }

  /** `fn` inside `BEGIN IMMEDIATE` (the write lock is taken before anything is read). */
  #write<T>(c: Connection, fn: () => T): T {
    c.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      c.db.exec('COMMIT');
      return out;
    } catch (err) {
      if (c.db.isTransaction) c.db.exec('ROLLBACK');
      throw err;
    }
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.#run('get', (c) => {
      checkKey(key, c.limits);
      const value = cellBytes(c.st.get.get(this.label, key)?.value);
      checkStoredValue(value, c.limits);
      return value;
    });
  }

  set(key: string, value: Uint8Array): Promise<void> {
    return this.#run('set', (c) => {
      checkKey(key, c.limits);
      checkValue(value, c.limits);
      c.st.upsert.run(this.label, key, value);
    });
  }

  delete(key: string): Promise<void> {
    return this.#run('delete', (c) => {
      checkKey(key, c.limits);
      c.st.del.run(this.label, key);
    });
  }

  exists(key: string): Promise<boolean> {
    return this.#run('exists', (c) => {
      checkKey(key, c.limits);
      return c.st.get.get(this.label, key) !== undefined;
    });
  }

  getKeys(): Promise<string[]> {
    return this.#run('get-keys', (c) => (c.st.keys.all(this.label) as unknown as [string][]).map((r) => r[0]));
  }

  listKeys(cursor?: string, limit = 1000): Promise<KeyPage> {
    return this.#run('list-keys', (c) => {
      const n = Math.max(1, Math.min(Math.trunc(limit) || 1000, 100_000));
      const rows = (cursor === undefined ? c.st.pageFirst.all(this.label, n) : c.st.pageAfter.all(this.label, cursor, n)) as unknown as [string][];
      const keys = rows.map((r) => r[0]);
      return { keys, cursor: keys.length === n ? keys[n - 1] : undefined };
    });
  }

  increment(key: string, delta: bigint): Promise<bigint> {
    return this.#run('increment', (c) => {
      checkKey(key, c.limits);
      checkDelta(delta);
      return this.#write(c, () => {
        const old = cellBytes(c.st.get.get(this.label, key)?.value);
        let current = 0n;
        if (old !== undefined) {
          // Spin panics here ("incorrect length"); wasmlet answers `other`.
          if (old.byteLength !== 8) throw kvOther(`increment: the value of ${JSON.stringify(key)} is not a counter (${old.byteLength} bytes, want 8: a little-endian i64)`);
          current = new DataView(old.buffer, old.byteOffset, 8).getBigInt64(0, true);
        }
        const next = current + delta;
        if (next < S64_MIN || next > S64_MAX) throw kvOther('increment: the result overflows a signed 64-bit integer');
        c.st.upsert.run(this.label, key, encodeI64(next));
        return next;
      });
    });
  }

  compareAndSwap(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    return this.#run('compare-and-swap', (c) => {
      checkKey(key, c.limits);
      checkValue(value, c.limits);
      // Spin's `swap` with no current value upserts (overwriting a concurrent insert); wasmlet
      // inserts only if still absent, so a lost race is reported.
      const r = expected === undefined ? c.st.casInsert.run(this.label, key, value) : c.st.casUpdate.run(value, this.label, key, expected);
      return Number(r.changes) === 1;
    });
  }

  getMany(keys: readonly string[]): Promise<Array<[string, Uint8Array | undefined]>> {
    return this.#run('get-many', (c) => {
      for (const k of keys) checkKey(k, c.limits);
      if (keys.length === 0) return [];
      // One read transaction: every value from the same snapshot.
      c.db.exec('BEGIN');
      try {
        const out = keys.map((k): [string, Uint8Array | undefined] => {
          const v = cellBytes(c.st.get.get(this.label, k)?.value);
          checkStoredValue(v, c.limits);
          return [k, v];
        });
        c.db.exec('COMMIT');
        return out;
      } catch (err) {
        if (c.db.isTransaction) c.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  setMany(entries: ReadonlyArray<readonly [string, Uint8Array]>): Promise<void> {
    return this.#run('set-many', (c) => {
      for (const [k, v] of entries) { checkKey(k, c.limits); checkValue(v, c.limits); }
      if (entries.length === 0) return;
      this.#write(c, () => { for (const [k, v] of entries) c.st.upsert.run(this.label, k, v); });
    });
  }

  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#run('delete-many', (c) => {
      for (const k of keys) checkKey(k, c.limits);
      if (keys.length === 0) return;
      this.#write(c, () => { for (const k of keys) c.st.del.run(this.label, k); });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
