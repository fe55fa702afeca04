// The plain data one component's `fermyon:spin/*@2.0.0` host is built from (structured clone:
// it crosses to the worker threads). Filled by the trigger from the locked app.
import type { KeyValueBackendSpec } from '../kv/open-backend.ts';
import type { SqliteConnectionOptions } from '../sqlite/connection.ts';
import type { AllowedHost } from '../http-outbound/allowed-hosts.ts';

/** What one component may reach through `fermyon:spin/{key-value,sqlite,variables}@2.0.0`. */
export interface SpinHostOptions {
  /** The component's id, for error messages (Spin names it in `undefined`). */
  componentId: string;
  /** Resolved component variables, name (lower_snake) -> value. Default: none. */
  variables?: Readonly<Record<string, string>>;
  /** Key-value labels the component was granted (`key_value_stores`). Default: none. */
  keyValueStores?: readonly string[];
  /** SQLite labels the component was granted (`sqlite_databases`). Default: none. */
  sqliteDatabases?: readonly string[];
  /**
   * Labels the app knows (backends configured, or named by any component): opening one of these
   * without the grant is `access-denied`; any other label is `no-such-store` / `no-such-database`.
   */
  knownKeyValueStores?: readonly string[];
  knownSqliteDatabases?: readonly string[];
  /** Where each label lives (only granted labels need an entry). */
  keyValueBackends?: Readonly<Record<string, KeyValueBackendSpec>>;
  sqliteBackends?: Readonly<Record<string, SqliteConnectionOptions>>;
  /**
   * `allowed_outbound_hosts`, for `fermyon:spin/redis` (`redis://host:port` entries). Default:
   * none (every `open` is `invalid-address`). The component host passes the WASI host's list.
   */
  allowedOutboundHosts?: readonly AllowedHost[];
}
