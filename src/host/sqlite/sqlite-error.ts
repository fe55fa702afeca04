// The `error` variant of `fermyon:spin/sqlite@2.0.0` (spinframework/spin
// `wit/deps/spin@2.0.0/sqlite.wit`), with Spin's mapping from `crates/factor-sqlite/src/host.rs`
// (`access-denied` for a label the component was not granted, `no-such-database` for a label no
// database is configured for) and `crates/sqlite-inproc/src/lib.rs` (every SQLite failure is
// `io(message)`). wasmlet also answers `database-full` for SQLITE_FULL (disk or size limit full)
// and `invalid-connection` for a closed connection.

import { WitError, isWitError } from '../wit-error.ts';

/** The WIT `error` variant value in jco's shape (`{ tag, val }`). */
export type SqliteErrorPayload =
  | { tag: 'no-such-database' }
  | { tag: 'access-denied' }
  | { tag: 'invalid-connection' }
  | { tag: 'database-full' }
  | { tag: 'io'; val: string };

/** A guest-facing SQLite error: its `payload` is the WIT `error` value (see wit-error.ts). */
export class SqliteError extends WitError<SqliteErrorPayload> {
  override readonly name = 'SqliteError';
}

/** `io(message)`. */
export function sqliteIo(message: string, cause?: unknown): SqliteError {
  return new SqliteError({ tag: 'io', val: message }, cause === undefined ? undefined : { cause });
}

/** True when `err` is a {@link SqliteError} (by shape, in case of duplicate module copies). */
export function isSqliteError(err: unknown): err is SqliteError {
  return err instanceof SqliteError || isWitError(err, 'SqliteError');
}

/** SQLITE_FULL, the primary result code (the low byte of an extended code). */
const SQLITE_FULL = 13;

/** A `node:sqlite` failure as the guest's error: `database-full` for SQLITE_FULL, else `io`. */
export function fromNodeSqliteError(err: unknown): SqliteError {
  if (isSqliteError(err)) return err;
  const errcode = (err as { errcode?: unknown }).errcode;
  if (typeof errcode === 'number' && (errcode & 0xff) === SQLITE_FULL) return new SqliteError({ tag: 'database-full' }, { cause: err });
  return sqliteIo(err instanceof Error ? err.message : String(err), err);
}
