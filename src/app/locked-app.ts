// The normalized, resolved form of an app: plain JSON-serializable data and the only thing the
// runtime reads (Spin's `LockedApp` idea). Built by `app/manifest` from `wasmlet.toml`/`spin.toml`.
import type { AllowedHost } from '../host/http-outbound/allowed-hosts.ts';

/** Spin's default WAGI argv template (`executor = { type = "wagi" }` without `argv`). */
export const DEFAULT_WAGI_ARGV = '${SCRIPT_NAME} ${ARGS}';

/**
 * How an HTTP route's component is invoked.
 * - `wagi`: a core module run as a CGI program (WAGI): request in env/stdin, response on stdout.
 * - `wasi-http`: a component exporting `wasi:http/incoming-handler`.
 * - `auto`: not decided yet; the loader resolves it by inspecting the binary (core module -> `wagi`,
 *   component -> `wasi-http`). A runtime that meets `auto` must do the same.
 */
export type ExecutorKind = 'wagi' | 'wasi-http' | 'auto';

/** The executor of one HTTP route. `argv`/`entrypoint` are set only for `wagi`. */
export interface LockedExecutor {
  type: ExecutorKind;
  /** WAGI argv template, split on spaces after substitution; default `${SCRIPT_NAME} ${ARGS}`. */
  argv?: string;
  /** WAGI entry export; default `_start`. */
  entrypoint?: string;
}

/** A read-only file or directory made visible to the guest. */
export interface LockedFileMount {
  /** Absolute host path (a file or a directory); it existed when the app was loaded. */
  hostPath: string;
  /** Absolute guest path, normalized (`/assets`, `/README.md`). */
  guestPath: string;
}

/** Resource limits of one component; absent means the server default. */
export interface LockedLimits {
  /** Cap on linear memory, in bytes. */
  memoryBytes?: number;
  /** Wall-clock deadline of one invocation, in milliseconds. */
  timeoutMs?: number;
}

/** Spin's `[component.x.build]`, kept for `wasmlet build`; the runtime ignores it. */
export interface LockedBuild {
  /** One or more shell commands (`sh -c`), run in order; the first failure stops the build. */
  command: string[];
  /** Directory the commands run in, relative to the manifest directory (never absolute). */
  workdir?: string;
  /** Globs (`src/**\/*.c`) whose changes make `wasmlet watch` rebuild, relative to the workdir. */
  watch: string[];
}

/** What a component's binary is, resolved once at load (the runtime never re-detects it). */
export interface LockedBinary {
  /** A WASI preview1 core module, or a WebAssembly component (WASI 0.2). */
  kind: 'module' | 'component';
  /** sha256 of the file's bytes as loaded, lowercase hex (64 chars). */
  sha256: string;
}

/** One component: a Wasm binary plus the capabilities granted to it (deny by default). */
export interface LockedComponent {
  id: string;
  /** Absolute path of the `.wasm` file. */
  source: string;
  /**
   * Kind and digest of `source`, set by `loadApp` for every component a trigger uses. Absent only
   * in an app built by hand or a component no trigger uses (the runtime then inspects the binary).
   */
  binary?: LockedBinary;
  description?: string;
  files: LockedFileMount[];
  environment: Record<string, string>;
  /**
   * `allowed_outbound_hosts`, parsed once at load (host/http-outbound/allowed-hosts.ts: Spin's
   * grammar and matching); each entry keeps its text in `source`. Empty: no outbound requests.
   */
  allowedOutboundHosts: AllowedHost[];
  /**
   * `key_value_stores`: labels the component may open (kebab-case or snake_case). Each one has a
   * backend in {@link LockedApp.backends} (checked at load).
   */
  keyValueStores: string[];
  /** `sqlite_databases`: labels the component may open; each has a backend in `backends`. */
  sqliteDatabases: string[];
  /**
   * Component `variables`, resolved at load: name (lower_snake) -> value, every `{{ app_var }}`
   * substituted (app/variables.ts). Values of {@link secretVariables} are secrets: never log them.
   */
  variables: Record<string, string>;
  /** Names in `variables` whose template uses a `secret = true` application variable. */
  secretVariables: string[];
  limits: LockedLimits;
  build?: LockedBuild;
}

/**
 * The route a service-chained request matches (Spin's `RouteMatch::synthetic`, spinframework/spin
 * `crates/http/src/routes.rs`: the whole path is the wildcard's), and the `route` of a private
 * trigger.
 */
export const SYNTHETIC_ROUTE = '/...';

/** One `[[trigger.http]]` entry. */
export interface LockedHttpRoute {
  /**
   * Spin route syntax: `/a/b`, `/users/:id`, `/static/...`, `/...`. For a {@link private} trigger,
   * {@link SYNTHETIC_ROUTE}: what its (chained) requests match.
   */
  route: string;
  /**
   * `route = { private = true }` (Spin's `HttpTriggerRouteConfig::Private`): the component has no
   * public route (the router never matches it) and is reachable only by service chaining
   * (`http://<component>.spin.internal`). Absent: a public route.
   */
  private?: true;
  /** Id of a key of {@link LockedApp.components}. */
  component: string;
  executor: LockedExecutor;
}

/**
 * One `[[trigger.redis]]` entry (Spin's `RedisTriggerConfig`, spinframework/spin
 * `crates/trigger-redis/src/lib.rs`), `{{ variables }}` resolved at load.
 */
export interface LockedRedisTrigger {
  /** The trigger's `id`, or `redis-trigger<n>`. */
  id: string;
  /** Id of a key of {@link LockedApp.components}. */
  component: string;
  /** Pub/sub channel (or, with {@link group}, the stream key) the trigger reads. */
  channel: string;
  /**
   * `redis://[user:pass@]host[:port][/db]`: the trigger's own `address`, else
   * `[application.trigger.redis] address`. May hold a password: never log it whole.
   */
  address: string;
  /**
   * wasmlet's extension: read the Redis Stream `channel` as consumer group `group` (each message
   * handled by one replica) instead of subscribing to the pub/sub channel. Absent: pub/sub.
   */
  group?: string;
  /**
   * With `group`: how long a message read by a replica may stay unacknowledged before another
   * replica claims it (XAUTOCLAIM), in ms. Default {@link DEFAULT_CLAIM_TIMEOUT_MS}.
   */
  claimTimeoutMs?: number;
}

/** Default `claim_timeout` of a `group` Redis trigger: 60 s. */
export const DEFAULT_CLAIM_TIMEOUT_MS = 60_000;

/** One `[[trigger.cron]]` entry (fermyon/spin-trigger-cron `CronTriggerConfig`). */
export interface LockedCronTrigger {
  /** The trigger's `id`, or `cron-trigger<n>`. */
  id: string;
  /** Id of a key of {@link LockedApp.components}. */
  component: string;
  /** `sec min hour day-of-month month day-of-week [year]`, checked at load; times in UTC. */
  cronExpression: string;
}

/** A whole app, ready to serve. */
export interface LockedApp {
  name: string;
  version?: string;
  description?: string;
  /** Absolute directory of the manifest (or of the bare `.wasm`). */
  dir: string;
  /** Absolute path of the manifest; absent for a bare `.wasm`. */
  manifestPath?: string;
  /**
   * Where prepared units (component transpile output) are cached: `$WASMLET_CACHE_DIR`, else
   * `<dir>/.wasmlet/cache` (util/cache-dir.ts), set by `loadApp`. Absent in an app built by hand
   * (the runtime then applies the same rule).
   */
  cacheDir?: string;
  components: Record<string, LockedComponent>;
  /** Triggers by type; `redis` and `cron` may be absent in an app built by hand (none). */
  triggers: { http: LockedHttpRoute[]; redis?: LockedRedisTrigger[]; cron?: LockedCronTrigger[] };
  /** Application `[variables]` as declared (no values: those are resolved per component). */
  variables: Record<string, LockedVariable>;
  /** Backends of every label the app may open: from the runtime config, else the defaults. */
  backends: LockedBackends;
  /** Absolute state directory (`--state-dir`; default `<app dir>/.wasmlet`). Nothing is created at load. */
  stateDir: string;
}

// ---- Host services (key-value, SQLite, variables): Spin's factor-key-value / factor-sqlite /
// ---- factor-variables app state, as plain data.

/** One application variable (Spin manifest `Variable`, `crates/manifest/src/schema/common.rs`). */
export interface LockedVariable {
  description?: string;
  /** True when a provider must supply a value (then there is no default). */
  required: boolean;
  /** The variable is sensitive: values derived from it are never logged. */
  secret: boolean;
}

/**
 * Where a key-value store lives. `sqlite`: Spin's `type = "spin"` store, one SQLite file (`path`
 * absolute, or `:memory:` when the runtime config gave no path). `redis`: Spin's
 * `type = "redis"`, `url` as written (`redis://host:port[/db]`).
 */
export type LockedKeyValueBackend = { type: 'sqlite'; path: string } | { type: 'redis'; url: string };

/** Where an SQLite database lives: Spin's `type = "spin"` (`path` absolute, or `:memory:`). */
export interface LockedSqliteBackend {
  type: 'sqlite';
  path: string;
  /** Spin's `allow_attach_file`: let the guest `ATTACH` an existing file. Default false. */
  allowAttachFile?: boolean;
}

/** Backends by label: every label the runtime config defines, and always `default`. */
export interface LockedBackends {
  keyValueStores: Record<string, LockedKeyValueBackend>;
  sqliteDatabases: Record<string, LockedSqliteBackend>;
}
