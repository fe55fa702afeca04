// A backend from plain data, so each worker thread can open its own from the same spec (specs
// cross thread boundaries; connections cannot). The shapes follow Spin's runtime config
// `[key_value_store.<label>]` (`type = "spin"` with `path`, `type = "redis"` with `url`):
// spinframework/spin `crates/factor-key-value/src/runtime_config/spin.rs`.
import type { KeyValueLimits } from './limits.ts';
import { openRedisKeyValueBackend } from './redis-store.ts';
import { openSqliteKeyValueBackend } from './sqlite-store.ts';
import type { KeyValueBackend } from './store.ts';

/** Where a store lives (structured-clone data). */
export type KeyValueBackendSpec =
  | { type: 'spin'; path: string; synchronous?: 'normal' | 'full'; busyTimeoutMs?: number; limits?: Partial<KeyValueLimits> }
  | { type: 'redis'; url: string; connectTimeoutMs?: number; commandTimeoutMs?: number; maxReconnectDelayMs?: number; limits?: Partial<KeyValueLimits> };

/**
 * Opens the backend `spec` describes, for the calling thread. Throws a `KeyValueError` (`other`)
 * when a SQLite file cannot be opened or a Redis URL cannot be parsed (Redis itself is reached
 * lazily: see `openRedisKeyValueBackend`).
 */
export function openKeyValueBackend(spec: KeyValueBackendSpec): KeyValueBackend {
  switch (spec.type) {
    case 'spin': return openSqliteKeyValueBackend(spec);
    case 'redis': return openRedisKeyValueBackend(spec);
  }
}
