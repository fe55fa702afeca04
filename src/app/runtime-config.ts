// Spin's runtime config file (`spin up --runtime-config-file`), the part wasmlet implements: where
// key-value stores and SQLite databases live, and variables providers. Parsed strictly into plain
// data; nothing is opened or created here. Shapes from spinframework/spin:
// `crates/runtime-config/src/lib.rs` (state_dir, default stores), `crates/factor-key-value/src/
// runtime_config/spin.rs` + `crates/key-value-spin`, `crates/key-value-redis` (`[key_value_store.
// <label>]`), `crates/sqlite/src/lib.rs` (`[sqlite_database.<label>]`), `crates/runtime-config/
// src/variables.rs` + `crates/variables-env`, `crates/variables-static` (`[[variables_provider]]`).
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { LockedKeyValueBackend, LockedSqliteBackend } from './locked-app.ts';
import { checkSpinId } from './manifest/parse-manifest.ts';
import { Diagnostics, isTable, parseTomlFile, throwIfAny, type Table } from './manifest/diagnostics.ts';

/** A `[[variables_provider]]` entry. */
export type VariablesProviderConfig =
  /**
   * `type = "env"`: `<PREFIX>_<NAME upper-cased>` from the environment, then from the dotenv file
   * (same key). `prefix` default `SPIN_VARIABLE`; `dotenvPath` absolute, absent: no dotenv file.
   */
  | { type: 'env'; prefix?: string; dotenvPath?: string }
  /** `type = "static"`: fixed `values` by variable name (Spin `StaticVariablesProvider`). */
  | { type: 'static'; values: Record<string, string> };

/** A parsed runtime config: plain data. */
export interface RuntimeConfig {
  /** Absolute path of the file; absent when there is none. */
  path?: string;
  /** `state_dir`, absolute; the `--state-dir` flag wins over it. */
  stateDir?: string;
  keyValueStores: Record<string, LockedKeyValueBackend>;
  sqliteDatabases: Record<string, LockedSqliteBackend>;
  /** Consulted in order, before the built-in env and `.env` providers. */
  variablesProviders: VariablesProviderConfig[];
}

/** The runtime config when no file is given. */
export function emptyRuntimeConfig(): RuntimeConfig {
  return { keyValueStores: {}, sqliteDatabases: {}, variablesProviders: [] };
}

/** File name of the default key-value store in the state dir (Spin `DEFAULT_SPIN_STORE_FILENAME`). */
export const DEFAULT_KEY_VALUE_FILE = 'sqlite_key_value.db';
/** File name of the default SQLite database in the state dir (Spin `DEFAULT_SQLITE_DB_FILENAME`). */
export const DEFAULT_SQLITE_FILE = 'sqlite_db.db';
/** SQLite's name for a database that lives in memory: a `type = "spin"` entry without `path`. */
export const IN_MEMORY = ':memory:';

const TOP_KEYS = ['key_value_store', 'sqlite_database', 'variables_provider', 'config_provider', 'state_dir'];
/** Spin runtime-config keys wasmlet does not implement, and what to do instead. */
const UNSUPPORTED_TOP: Record<string, string> = {
  log_dir: 'wasmlet writes no log files — remove it (guest output goes to the server\'s stderr)',
  llm_compute: 'wasmlet has no AI models — remove it',
  client_tls: 'is not supported by wasmlet yet — remove it',
  outbound_http: 'is not supported by wasmlet yet — remove it',
  outbound_redis: 'is not supported by wasmlet yet — remove it',
  outbound_mysql: 'is not supported by wasmlet yet — remove it',
  outbound_pg: 'is not supported by wasmlet yet — remove it',
  outbound_mqtt: 'is not supported by wasmlet yet — remove it',
  max_instance_memory: 'use the manifest\'s [component.<id>.limits] memory instead',
};

/**
 * Parses a runtime config file:
 * - `state_dir = "dir"`: where default stores live (relative: to this file's directory).
 * - `[key_value_store.<label>]` `type = "spin"` (optional `path`: a SQLite file, relative to this
 *   file's directory; absent: in memory) or `type = "redis"` (`url = "redis://host:port"`).
 * - `[sqlite_database.<label>]` `type = "spin"` (optional `path`, same rules; optional
 *   `allow_attach_file = true`).
 * - `[[variables_provider]]` (or Spin's older `[[config_provider]]`) `type = "env"` (optional
 *   `prefix`, default `SPIN_VARIABLE`; optional `dotenv_path`, relative to this file's directory)
 *   or `type = "static"` (`values = { name = "value" }`).
 * Labels are kebab-case or snake_case, as in the manifest. Every unknown key or table is an error.
 * Spin differences: Spin resolves a relative sqlite `path` and `dotenv_path` against the current
 * directory; wasmlet against the file's directory, like Spin's key-value `path`.
 * @param source TOML text.
 * @param filePath its path.
 * @throws ManifestError (`WASMLET_ERR_MANIFEST`, blame user) naming the file, with one
 *   `path:line: message` per problem.
 */
export function parseRuntimeConfig(source: string, filePath: string): RuntimeConfig {
  const absPath = resolve(filePath);
  const base = dirname(absPath);
  const at = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const root = parseTomlFile(source, absPath);
  const d = new Diagnostics(source);
  const out: RuntimeConfig = { path: absPath, ...emptyRuntimeConfig() };

  for (const key of Object.keys(root)) {
    if (Object.hasOwn(UNSUPPORTED_TOP, key)) d.add([key], `\`${key}\` ${UNSUPPORTED_TOP[key]}`);
  }
  d.unknownKeys(Object.fromEntries(Object.entries(root).filter(([k]) => !Object.hasOwn(UNSUPPORTED_TOP, k))), [], TOP_KEYS);

  const stateDir = d.string(root, 'state_dir', [], false);
  if (stateDir === '') d.add(['state_dir'], '`state_dir` must not be empty — remove it to use the default (.wasmlet in the app directory)');
  else if (stateDir !== undefined) out.stateDir = at(stateDir);

  const labelled = (key: 'key_value_store' | 'sqlite_database', each: (label: string, t: Table, type: string | undefined, path: string[]) => void) => {
    const tables = d.table(root, key, []);
    if (!tables) return;
    for (const [label, t] of Object.entries(tables)) {
      const path = [key, label];
      if (checkSpinId(label, '-') && checkSpinId(label, '_')) {
        d.add(path, `label \`${label}\` must be kebab-case or snake_case, as in the manifest (e.g. "default", "my-store")`);
        continue;
      }
      if (!isTable(t)) { d.add(path, `\`${key}.${label}\` must be a table — write [${key}.${label}] with type = "..."`); continue; }
      each(label, t, d.string(t, 'type', path, true), path);
    }
  };

  labelled('key_value_store', (label, t, type, path) => {
    if (type === 'spin') {
      d.unknownKeys(t, path, ['type', 'path']);
      const p = d.string(t, 'path', path, false);
      out.keyValueStores[label] = { type: 'sqlite', path: p === undefined ? IN_MEMORY : at(p) };
    } else if (type === 'redis') {
      d.unknownKeys(t, path, ['type', 'url']);
      const url = d.string(t, 'url', path, true);
      if (url !== undefined) {
        if (!isRedisUrl(url)) d.add([...path, 'url'], `\`key_value_store.${label}.url\` must be a redis:// or rediss:// URL — e.g. url = "redis://localhost:6379"`);
        else out.keyValueStores[label] = { type: 'redis', url };
      }
    } else if (type !== undefined) {
      d.add([...path, 'type'], `key-value store type \`${type}\` is not supported — use "spin" (SQLite file) or "redis"`);
    }
  });

  labelled('sqlite_database', (label, t, type, path) => {
    if (type === 'spin') {
      d.unknownKeys(t, path, ['type', 'path', 'allow_attach_file']);
      const p = d.string(t, 'path', path, false);
      const db: LockedSqliteBackend = { type: 'sqlite', path: p === undefined ? IN_MEMORY : at(p) };
      const attach = t.allow_attach_file;
      if (attach !== undefined && typeof attach !== 'boolean') d.add([...path, 'allow_attach_file'], '`allow_attach_file` must be true or false');
      else if (attach === true) db.allowAttachFile = true;
      out.sqliteDatabases[label] = db;
    } else if (type !== undefined) {
      d.add([...path, 'type'], `SQLite database type \`${type}\` is not supported — use "spin" (a local SQLite file)`);
    }
  });

  for (const key of ['variables_provider', 'config_provider'] as const) {
    const list = root[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) { d.add([key], `\`${key}\` must be an array of tables — write [[${key}]]`); continue; }
    list.forEach((p, i) => {
      const path = [key, i];
      if (!isTable(p)) { d.add(path, `each \`${key}\` must be a table — write [[${key}]]`); return; }
      const type = d.string(p, 'type', path, true);
      if (type === 'env') {
        d.unknownKeys(p, path, ['type', 'prefix', 'dotenv_path']);
        const cfg: VariablesProviderConfig = { type: 'env' };
        const prefix = d.string(p, 'prefix', path, false);
        const dotenv = d.string(p, 'dotenv_path', path, false);
        if (prefix !== undefined) cfg.prefix = prefix;
        if (dotenv !== undefined) cfg.dotenvPath = at(dotenv);
        out.variablesProviders.push(cfg);
      } else if (type === 'static') {
        d.unknownKeys(p, path, ['type', 'values']);
        const values = d.table(p, 'values', path) ?? {};
        if (p.values === undefined) d.add(path, 'a static provider needs `values = { name = "value" }`');
        const cfg: VariablesProviderConfig = { type: 'static', values: {} };
        for (const [name, v] of Object.entries(values)) {
          if (typeof v === 'string') cfg.values[name] = v;
          else d.add([...path, 'values', name], `static variable \`${name}\` must be a string — quote it`);
        }
        out.variablesProviders.push(cfg);
      } else if (type !== undefined) {
        d.add([...path, 'type'], `variables provider type \`${type}\` is not supported — use "env" or "static"`);
      }
    });
  }

  throwIfAny(d, absPath);
  return out;
}

function isRedisUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    return false;
  }
}
