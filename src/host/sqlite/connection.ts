// One database of `fermyon:spin/sqlite@2.0.0`: `execute(statement, parameters)` on a `node:sqlite`
// connection, following spinframework/spin `crates/sqlite-inproc/src/lib.rs` (`execute_query`:
// one statement, positional parameters, every column of every row converted; the result capped
// at `MAX_HOST_BUFFERED_BYTES`; `ATTACH` of a file denied by an authorizer) and
// `crates/factor-sqlite/src/host.rs`. Like the key-value backend (`../kv/sqlite-store.ts`), a
// connection belongs to one thread: each worker opens its own on the same file; WAL, a busy
// timeout and `synchronous = NORMAL` (a committed write survives a process kill).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { constants, DatabaseSync, type StatementSync } from 'node:sqlite';
import { fromNodeSqliteError, SqliteError, sqliteIo } from './sqlite-error.ts';
import { fromCell, toBindable, valueBytes, type QueryResult, type RowResult, type SqliteValue } from './value.ts';

/** Options of {@link openSqliteConnection}. */
export interface SqliteConnectionOptions {
  /** The database file (created with its parent directories if missing), or `':memory:'`. */
  path: string;
  /** `'normal'` (default: survives a process kill) or `'full'` (also survives power loss). */
  synchronous?: 'normal' | 'full';
  /** How long a statement waits for another connection's lock before failing with `io`, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /** Largest result, in bytes (approximate host memory). Default 128 MiB, Spin's `MAX_HOST_BUFFERED_BYTES`. */
  maxResultBytes?: number;
  /** Allow `ATTACH` of files (Spin's `allow_attach_file`, default false: only `''` and `':memory:'`). */
  allowAttachFile?: boolean;
}

/** Spin's `MAX_HOST_BUFFERED_BYTES` (spinframework/spin `crates/world/src/lib.rs`). */
export const DEFAULT_MAX_RESULT_BYTES = 128 * 1024 * 1024;

/** An open database. */
export interface SqliteConnection {
  /**
   * Runs ONE statement with positional parameters (`?`, `?NNN`) and returns its columns and rows
   * (empty for a statement that returns none). Rejects with a `SqliteError`: `io(message)` for an
   * SQL error, a constraint, a malformed parameter, more than one statement, or a result over
   * `maxResultBytes`; `database-full` for SQLITE_FULL; `invalid-connection` after `close()`.
   */
  execute(statement: string, parameters: readonly SqliteValue[]): Promise<QueryResult>;
  /** Rows changed by the last INSERT/UPDATE/DELETE (Spin 3's `changes`). */
  changes(): number;
  /** Rowid of the last successful INSERT (Spin 3's `last-insert-rowid`). */
  lastInsertRowid(): bigint;
  /** Closes the connection; later calls are `invalid-connection`. Closing twice is a no-op. */
  close(): void;
}

const STATEMENT_CACHE = 64;

/** True when `tail` holds only whitespace, comments and semicolons. */
function isEmptyTail(tail: string): boolean {
  return tail.replace(/--[^\n]*(\n|$)|\/\*[\s\S]*?(\*\/|$)|[\s;]+/g, '') === '';
}

/**
 * Opens `options.path` (creating it) for this thread. Throws a `SqliteError` (`io`) when the
 * file cannot be opened or is not a database.
 */
export function openSqliteConnection(options: SqliteConnectionOptions): SqliteConnection {
  const maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  let db: DatabaseSync;
  try {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw sqliteIo(`cannot open database ${JSON.stringify(options.path)}: ${(err as Error).message}`, err);
  }
  try {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  } catch (err) {
    db.close();
    throw sqliteIo(`cannot open database ${JSON.stringify(options.path)}: ${(err as Error).message}`, err);
  }
  if (!options.allowAttachFile) {
    db.setAuthorizer((action, file) =>
      action === constants.SQLITE_ATTACH && file !== '' && file !== ':memory:' && file !== null ? constants.SQLITE_DENY : constants.SQLITE_OK);
  }
  // node:sqlite binds missing parameters as NULL; rusqlite (Spin) refuses a count mismatch. It
  // exposes no `sqlite3_bind_parameter_count`, so the count is read once per statement from its
  // bytecode: the largest `Variable` opcode operand (SQLite docs, "The SQLite Bytecode Engine").
  const cache = new Map<string, { st: StatementSync; params: number | undefined }>();
  const paramCount = (sql: string): number | undefined => {
    try {
      const ex = db.prepare(`EXPLAIN ${sql}`);
      let max = 0;
      for (const op of ex.iterate() as IterableIterator<{ opcode: string; p1: number }>) if (op.opcode === 'Variable' && op.p1 > max) max = op.p1;
      return max;
    } catch {
      return undefined;
    }
  };
  let changes = 0;
  let lastRowid = 0n;

  const prepare = (sql: string): { st: StatementSync; params: number | undefined } => {
    const hit = cache.get(sql);
    if (hit) {
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const st = db.prepare(sql);
    // node:sqlite compiles the first statement and ignores the rest; Spin (rusqlite) refuses it.
    const first = st.sourceSQL;
    const at = sql.indexOf(first);
    if (at < 0 || !isEmptyTail(sql.slice(at + first.length))) throw sqliteIo('multiple statements provided: execute runs one statement');
    st.setReadBigInts(true);
    st.setReturnArrays(true);
    const entry = { st, params: paramCount(first) };
    cache.set(sql, entry);
    if (cache.size > STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
    return entry;
  };

  return {
    async execute(statement: string, parameters: readonly SqliteValue[]): Promise<QueryResult> {
      if (!db.isOpen) throw new SqliteError({ tag: 'invalid-connection' });
      if (typeof statement !== 'string') throw sqliteIo('statement must be a string');
      const params = parameters.map((p, i) => toBindable(p, i + 1));
      try {
        const { st, params: want } = prepare(statement);
        if (want !== undefined && want !== params.length) throw sqliteIo(`wrong number of parameters: the statement takes ${want}, got ${params.length}`);
        const columns = st.columns().map((c) => c.name);
        const rows: RowResult[] = [];
        if (columns.length === 0) {
          const r = st.run(...params);
          changes = Number(r.changes);
          lastRowid = BigInt(r.lastInsertRowid);
          return { columns, rows };
        }
        let bytes = 0;
        for (const cells of st.iterate(...params) as IterableIterator<unknown[]>) {
          const values = cells.map(fromCell);
          for (const v of values) bytes += valueBytes(v);
          if (bytes > maxResultBytes) throw sqliteIo(`query result exceeds limit of ${maxResultBytes} bytes`);
          rows.push({ values });
        }
        // A statement with columns may still write (`INSERT ... RETURNING`).
        return { columns, rows };
      } catch (err) {
        throw fromNodeSqliteError(err);
      }
    },
    changes: () => changes,
    lastInsertRowid: () => lastRowid,
    close(): void {
      if (db.isOpen) db.close();
      cache.clear();
    },
  };
}
