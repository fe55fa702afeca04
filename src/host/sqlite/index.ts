// SQLite host backend for `fermyon:spin/sqlite@2.0.0`: connections on `node:sqlite`, one file per
// label, Spin's value conversions and errors. Guest bindings are built on this elsewhere.
export { openSqliteConnection, DEFAULT_MAX_RESULT_BYTES, type SqliteConnection, type SqliteConnectionOptions } from './connection.ts';
export { createSqliteDatabases, type SqliteDatabases, type SqliteDatabasesOptions } from './databases.ts';
export { SqliteError, isSqliteError, sqliteIo, type SqliteErrorPayload } from './sqlite-error.ts';
export type { QueryResult, RowResult, SqliteValue } from './value.ts';
