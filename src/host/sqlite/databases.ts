// Opening databases by label, as a component's `connection.open(label)` does: spinframework/spin
// `crates/factor-sqlite/src/host.rs` (`open_impl`): a label the component was not granted in
// `sqlite_databases` is `access-denied`; a granted label with no database configured is
// `no-such-database`. One file per label; one connection per label per thread, shared by the
// handles opened from it.
import { openSqliteConnection, type SqliteConnection, type SqliteConnectionOptions } from './connection.ts';
import { SqliteError } from './sqlite-error.ts';
import type { QueryResult, SqliteValue } from './value.ts';

/** Options of {@link createSqliteDatabases} (structured-clone data). */
export interface SqliteDatabasesOptions {
  /** Label -> where its database lives (e.g. `default` -> `<state-dir>/sqlite_db.db`). */
  databases: Readonly<Record<string, SqliteConnectionOptions>>;
  /** The labels the component may open (its `sqlite_databases`). */
  allowed: readonly string[];
}

/** The databases one thread can open for one component. */
export interface SqliteDatabases {
  /**
   * Opens `label`: a handle on this thread's connection to its file (opened on first use). Rejects
   * with a `SqliteError`: `access-denied`, `no-such-database`, or `io` when the file cannot be
   * opened.
   */
  open(label: string): Promise<SqliteConnection>;
  /** Closes every connection; handles then answer `invalid-connection`. */
  close(): void;
}

/** Builds the per-thread database opener. Opens nothing until `open` is called. */
export function createSqliteDatabases(options: SqliteDatabasesOptions): SqliteDatabases {
  const allowed = new Set(options.allowed);
  const open = new Map<string, SqliteConnection>();
  let closed = false;
  return {
    async open(label: string): Promise<SqliteConnection> {
      if (!allowed.has(label)) throw new SqliteError({ tag: 'access-denied' });
      const spec = Object.hasOwn(options.databases, label) ? options.databases[label] : undefined;
      if (!spec) throw new SqliteError({ tag: 'no-such-database' });
      if (closed) throw new SqliteError({ tag: 'invalid-connection' });
      let conn = open.get(label);
      if (!conn) {
        conn = openSqliteConnection(spec);
        open.set(label, conn);
      }
      return handle(conn);
    },
    close(): void {
      closed = true;
      for (const c of open.values()) c.close();
      open.clear();
    },
  };
}

/** A handle that can be closed on its own without closing the shared connection. */
function handle(conn: SqliteConnection): SqliteConnection {
  let closed = false;
  return {
    execute(statement: string, parameters: readonly SqliteValue[]): Promise<QueryResult> {
      if (closed) return Promise.reject(new SqliteError({ tag: 'invalid-connection' }));
      return conn.execute(statement, parameters);
    },
    changes: () => conn.changes(),
    lastInsertRowid: () => conn.lastInsertRowid(),
    close(): void { closed = true; },
  };
}
