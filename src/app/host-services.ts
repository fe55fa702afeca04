// The per-app part of wasmlet's host services (Spin's factors' `configure_app`): reads the runtime
// config, gives every key-value store and SQLite label a backend, and resolves component
// variables. Plain data in, plain data out; nothing is opened or created (backends do that when a
// component first uses them).
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LockedApp } from './locked-app.ts';
import { locateKey } from './manifest/locate-key.ts';
import { ManifestError, type ManifestDiagnostic } from './manifest/manifest-error.ts';
import type { ParsedManifest } from './manifest/parse-manifest.ts';
import {
  DEFAULT_KEY_VALUE_FILE, DEFAULT_SQLITE_FILE, emptyRuntimeConfig, parseRuntimeConfig, type RuntimeConfig,
} from './runtime-config.ts';
import { buildProviders, resolveAppVariables, resolveComponentVariables, variableDiagnostics } from './variables.ts';
import { resolveTemplate, templateNames } from './template.ts';
import { resolveAllowedHostTemplates } from './allowed-host-templates.ts';
import { WasmletError } from '../util/errors.ts';

/** Options of `loadApp` for host services. */
export interface LoadOptions {
  /** A Spin-shaped runtime config file (runtime-config.ts); default: none. */
  runtimeConfigFile?: string;
  /**
   * Directory of the default stores (`sqlite_key_value.db`, `sqlite_db.db`); relative: to the
   * current directory. Default: the runtime config's `state_dir`, else `<app dir>/.wasmlet`.
   */
  stateDir?: string;
  /**
   * The state directory when neither `stateDir` nor the runtime config names one (default
   * `<app dir>/.wasmlet`). `serve --from-registry` passes `.wasmlet` in the current directory, so
   * an app's data outlives the cached copy of one version of it.
   */
  defaultStateDir?: string;
  /** Environment the variables providers read; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Reads and parses the runtime config file, or the empty config when there is none. */
export async function loadRuntimeConfig(file: string | undefined): Promise<RuntimeConfig> {
  if (file === undefined) return emptyRuntimeConfig();
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new WasmletError('WASMLET_ERR_MANIFEST', `runtime config file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}) — check the --runtime-config-file path`,
      { blame: 'user', cause: err });
  }
  return parseRuntimeConfig(text, path);
}

/**
 * Fills `app.stateDir`, `app.backends` and each component's `variables` / `secretVariables`.
 * Backends: the runtime config's `[key_value_store.*]` / `[sqlite_database.*]`, plus `default`
 * when not configured: SQLite files `<stateDir>/sqlite_key_value.db` and `<stateDir>/sqlite_db.db`
 * (spinframework/spin `crates/runtime-config/src/lib.rs`, `crates/sqlite/src/lib.rs`).
 * Templated `allowed_outbound_hosts` entries are resolved and parsed (allowed-host-templates.ts).
 * @param parsed the parsed manifest (undefined for a bare `.wasm`: no labels, no variables).
 * @param manifestText its source, to give problems their lines.
 * @throws ManifestError listing every label without a backend ("unknown key_value_stores label
 *   `x` for component `y`", Spin `factor-key-value` wording), every required variable without
 *   a value (at the allowed_outbound_hosts entries that use it, if any, else at `[variables]`) and
 *   every templated entry that resolves to an invalid one; ManifestError for an invalid runtime
 *   config or dotenv file.
 */
export async function resolveHostServices(app: LockedApp, parsed: ParsedManifest | undefined, manifestText: string,
  options: LoadOptions): Promise<void> {
  const config = await loadRuntimeConfig(options.runtimeConfigFile);
  app.stateDir = options.stateDir !== undefined ? resolve(options.stateDir)
    : config.stateDir ?? (options.defaultStateDir !== undefined ? resolve(options.defaultStateDir) : join(app.dir, '.wasmlet'));
  app.backends = {
    keyValueStores: { default: { type: 'sqlite', path: join(app.stateDir, DEFAULT_KEY_VALUE_FILE) }, ...config.keyValueStores },
    sqliteDatabases: { default: { type: 'sqlite', path: join(app.stateDir, DEFAULT_SQLITE_FILE) }, ...config.sqliteDatabases },
  };

  const problems: ManifestDiagnostic[] = [];
  const problem = (path: (string | number)[], message: string) => {
    const line = manifestText === '' ? undefined : locateKey(manifestText, path);
    problems.push(line === undefined ? { message } : { line, message });
  };
  for (const c of Object.values(app.components)) {
    for (const label of c.keyValueStores) {
      if (!Object.hasOwn(app.backends.keyValueStores, label)) {
        problem(['component', c.id, 'key_value_stores'], `unknown key_value_stores label \`${label}\` for component \`${c.id}\``
          + ` — use "default", or define [key_value_store.${label}] in the runtime config (--runtime-config-file)`);
      }
    }
    for (const label of c.sqliteDatabases) {
      if (!Object.hasOwn(app.backends.sqliteDatabases, label)) {
        problem(['component', c.id, 'sqlite_databases'], `unknown sqlite_databases label \`${label}\` for component \`${c.id}\``
          + ` — use "default", or define [sqlite_database.${label}] in the runtime config (--runtime-config-file)`);
      }
    }
  }

  if (parsed) {
    const providers = buildProviders({ configured: config.variablesProviders, env: options.env ?? process.env, appDir: app.dir });
    const missing = resolveComponentVariables(app.components, parsed.templates, parsed.variables, providers);
    const hostTemplates = Object.values(parsed.hostTemplates).flat();
    const values = missing.length === 0 && (hostTemplates.length > 0 || parsed.triggerTemplates.length > 0)
      ? resolveAppVariables(parsed.variables, providers).values : new Map<string, string>();
    // `{{ variable }}` entries of allowed_outbound_hosts; a required variable one uses is reported there.
    for (const p of resolveAllowedHostTemplates(app.components, parsed.hostTemplates, parsed.variables, values, missing)) {
      problem(['component', p.component, 'allowed_outbound_hosts'], p.message);
    }
    const usedByHosts = new Set(hostTemplates.flatMap((t) => templateNames(t.parts)));
    problems.push(...variableDiagnostics(missing.filter((p) => !usedByHosts.has(p.variable)),
      (name) => locateKey(manifestText, ['variables', name])));
    // Redis trigger `address` / `channel` templates (Spin's trigger-redis resolves them the same way).
    if (missing.length === 0 && parsed.triggerTemplates.length > 0) {
      for (const t of parsed.triggerTemplates) {
        const trigger = app.triggers.redis![t.index]!;
        trigger.address = resolveTemplate(t.address, (v) => values.get(v)!);
        trigger.channel = resolveTemplate(t.channel, (v) => values.get(v)!);
      }
    }
  }
  if (problems.length > 0) {
    const byLine = [...problems].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
    throw new ManifestError(app.manifestPath ?? app.dir, byLine);
  }
}
