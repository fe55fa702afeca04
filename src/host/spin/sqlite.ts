// `fermyon:spin/sqlite@2.0.0` (spinframework/spin `wit/deps/spin@2.0.0/sqlite.wit`) over
// src/host/sqlite. Grants as Spin's `crates/factor-sqlite/src/host.rs` (`open_impl`): a label
// outside the component's `sqlite_databases` is `access-denied`, except that a label the app
// knows nowhere is `no-such-database` (as key-value.ts does for stores). `open` and `execute`
// suspend the guest through JSPI (transpile.ts).
import { fromNodeSqliteError, SqliteError } from '../sqlite/sqlite-error.ts';
import type { SqliteConnection } from '../sqlite/connection.ts';
import type { QueryResult, SqliteValue } from '../sqlite/value.ts';
import type { SpinHostOptions } from './options.ts';
import type { SpinThreadBackends } from './thread-backends.ts';
import { traced, type HostCallTracer } from '../../util/trace-context.ts';

/** The `connection` resource class jco's glue expects. */
export interface SpinConnectionClass {
  open(label: string): Promise<object>;
}

/**
 * Builds the interface object of one instance: `{ Connection }`. `close` ends the handles the
 * guest left open (the thread's connection stays). Calls reject with a `SqliteError`.
 */
export function createSpinSqlite(options: SpinHostOptions, backends: SpinThreadBackends, tracer?: HostCallTracer): { imports: { Connection: SpinConnectionClass }; close(): void } {
  const granted = new Set(options.sqliteDatabases ?? []);
  const known = new Set(options.knownSqliteDatabases ?? []);
  const specs = options.sqliteBackends ?? {};
  const open = new Set<SqliteConnection>();

  class Connection {
    #conn: SqliteConnection;
    private constructor(conn: SqliteConnection) {
      this.#conn = conn;
    }

    static async open(label: string): Promise<Connection> {
      if (!granted.has(label)) throw new SqliteError({ tag: known.has(label) ? 'access-denied' : 'no-such-database' });
      const spec = Object.hasOwn(specs, label) ? specs[label] : undefined;
      if (spec === undefined) throw new SqliteError({ tag: 'no-such-database' });
      return traced(tracer, 'spin_sqlite.open', 'internal', { 'db.system': 'sqlite', 'db.namespace': label }, async () => {
        try {
          const conn = await backends.sqlite(spec).open('db');
          open.add(conn);
          return new Connection(conn);
        } catch (err) {
          throw fromNodeSqliteError(err);
        }
      });
    }

    execute(statement: string, parameters: SqliteValue[]): Promise<QueryResult> {
      // The statement text, not its parameters (they may hold user data), as OTel's db.query.text.
      return traced(tracer, 'spin_sqlite.execute', 'internal', { 'db.system': 'sqlite', 'db.query.text': statement }, async () => {
        try { return await this.#conn.execute(statement, parameters); } catch (err) { throw fromNodeSqliteError(err); }
      });
    }

    [Symbol.dispose](): void {
      open.delete(this.#conn);
      this.#conn.close();
    }
  }

  return {
    imports: { Connection },
    close() {
      for (const conn of open) conn.close();
      open.clear();
    },
  };
}
