// Key-value host backends: the `KeyValueStore` interface, the embedded SQLite backend (default;
// Spin's `sqlite_key_value.db` schema) and the Redis backend. Guest bindings
// (`fermyon:spin/key-value@2.0.0`, `wasi:keyvalue/*@0.2.0-draft2`) are built on these elsewhere.
export type { KeyPage, KeyValueBackend, KeyValueStore } from './store.ts';
export { KeyValueError, isKeyValueError, kvOther, type KeyValueErrorPayload } from './kv-error.ts';
export { DEFAULT_MAX_KEY_BYTES, DEFAULT_MAX_VALUE_BYTES, resolveLimits, type KeyValueLimits } from './limits.ts';
export { openSqliteKeyValueBackend, type SqliteKeyValueOptions } from './sqlite-store.ts';
export { openRedisKeyValueBackend, type RedisKeyValueOptions } from './redis-store.ts';
export { openKeyValueBackend, type KeyValueBackendSpec } from './open-backend.ts';
