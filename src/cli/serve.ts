// `wasmlet serve`: serve an app's triggers (HTTP, Redis, cron) (modelled on `spin up` / `wasmtime serve`).
import { loadApp } from '../app/loader.ts';
import type { LoadOptions } from '../app/host-services.ts';
import type { LogFormat, ServerLog } from '../triggers/http/access-log.ts';
import { defaultWorkerCount, startHttpServer } from '../triggers/http/server.ts';
import type { HttpServerOptions, RunningHttpServer } from '../triggers/http/server.ts';
import { DEFAULT_SHUTDOWN_GRACE_MS, DEFAULT_TIMEOUT_MS } from '../triggers/http/limits.ts';
import { startEventTriggers } from '../triggers/event-triggers.ts';
import { WasmletError } from '../util/errors.ts';
import { parseDuration, parseSize } from '../util/units.ts';
import { EXIT } from './exit-codes.ts';
import { printOut } from './output.ts';
import { OPERATOR_FLAGS, OPERATOR_OPTIONS_HELP, operatorSettings, startServerOperations } from './server-operations.ts';
import { onStopRequest } from './stop-signals.ts';
import { parseFlags, usageError as usageErrorFor } from './usage.ts';

/** The help text of the options `serve` and `watch` share (one per line group, 2-space indent). */
export const SERVER_OPTIONS_HELP = `  --listen ADDR        Address to listen on: HOST:PORT, :PORT or PORT (default 127.0.0.1:3000;
                       port 0 picks a free port). The bound address is logged on start.
  --log-format FORMAT  text (default) or json: one access line per request on stdout.
  --workers N          Worker threads running guests (default: one per core, at least 2; ${defaultWorkerCount()} here).
  --max-body SIZE      Request body limit, e.g. 10MiB (default); larger requests get 413.
  --max-queue N        Requests of one component allowed to wait for a worker (default: no
                       count limit); beyond it that component's requests get 503 with
                       Retry-After. Waiting is always bounded by time and memory (see README).
  --timeout DURATION   Deadline of one request, from its arrival, for components without
                       limits.timeout (default 30s); past it the guest is stopped (or never
                       started) and the request gets 504.
  --runtime-config-file FILE
                       Spin-shaped runtime config: [key_value_store.<label>] (type "spin" with
                       path, or "redis" with url), [sqlite_database.<label>] (type "spin"),
                       [[variables_provider]] (type "env" with prefix, dotenv_path; "static").
  --state-dir DIR      Where the default stores live: sqlite_key_value.db (key-value label
                       "default") and sqlite_db.db (SQLite "default"), created when first used
                       (default: state_dir of the runtime config, else .wasmlet/ in the app dir;
                       with --from-registry, .wasmlet/ in the current directory).
`;

const HELP = `Usage: wasmlet serve [options] [DIR | MANIFEST | module.wasm]
       wasmlet serve [options] --from-registry REF

\`wasmlet up\` is the same command (Spin's \`spin up\`).

Serves an app's triggers in one process: HTTP routes, Redis channels and cron schedules (an
app without [[trigger.http]] opens no HTTP listener, as with \`spin up\`). DIR holds a
wasmlet.toml (or spin.toml); default: the current directory. A bare module.wasm is served as
one component on /... . Every request, message and tick runs in a fresh instance on a pool of
worker threads. Core modules run as WAGI (CGI); WASI 0.2 components
exporting wasi:http/incoming-handler run as wasi:http, transpiled once (jco) into
$WASMLET_CACHE_DIR, else .wasmlet/cache/ under the app dir (<os tmpdir>/wasmlet-cache when that
cannot be written).

Options:
${SERVER_OPTIONS_HELP}${OPERATOR_OPTIONS_HELP}  --from-registry REF  Pull REF (a Spin app, or one Wasm as \`wkg oci push\` writes) into the
                       registry cache, or reuse it there, and serve it (see wasmlet registry).
  --insecure           With --from-registry: plain HTTP for a registry not on loopback.
  -h, --help           Print this help.

Tracing: with OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, every
request is traced with OpenTelemetry (a span per request, children for instantiate, guest run and
each outbound HTTP, key-value and SQLite call) and exported over the OTLP protocol in
OTEL_EXPORTER_OTLP_TRACES_PROTOCOL (else OTEL_EXPORTER_OTLP_PROTOCOL): http/protobuf (default)
or http/json, to <OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
as is; grpc, to the endpoint as is (e.g. http://collector:4317, no path). Another value exits 2. The other standard OTEL_* variables apply (OTEL_SERVICE_NAME,
OTEL_EXPORTER_OTLP_HEADERS, OTEL_SDK_DISABLED, ...).

Variables: an application variable's value comes from the runtime config's providers, then the
environment (SPIN_VARIABLE_<NAME>, then WASMLET_VARIABLE_<NAME>), then the app dir's .env (same
keys), then its default. A required variable with no value: exit 125, naming it.

SIGINT/SIGTERM stop accepting connections, let in-flight requests finish (at most 10 s), and
exit 0. Under npx/npm, wasmlet also stops when npm's \`sh -c\` exits (SIGTERM to the npx
pid); in production run the bin itself (node_modules/.bin/wasmlet serve) so every signal
reaches it.
`;

const usageError = (message: string): WasmletError => usageErrorFor('serve', message);

/**
 * Parses `HOST:PORT`, `[V6]:PORT`, `:PORT` or `PORT` (host default 127.0.0.1).
 * @throws WasmletError `WASMLET_ERR_USAGE` naming `flag` when `text` is none of those.
 */
export function parseListen(text: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535) || (!text.includes(':') && !/^\d+$/.test(text))) {
    throw usageError(`${flag} '${text}': expected HOST:PORT (e.g. 127.0.0.1:3000), :PORT or PORT`);
  }
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

function positiveInt(flag: string, text: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min) throw usageError(`${flag} '${text}': expected a whole number >= ${min}`);
  return Number(text);
}

/** The `serve` command: resolves with the exit status once the server has shut down. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('serve', {
    args: argv,
    allowPositionals: true,
    options: {
      ...SERVER_FLAGS,
      ...OPERATOR_FLAGS,
      'from-registry': { type: 'string' },
      insecure: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { printOut(HELP); return EXIT.OK; }
  if (positionals.length > 1) throw usageError(`expected one app (DIR, MANIFEST or module.wasm), got ${positionals.length}`);
  const settings = serverSettings('serve', values);
  const operator = operatorSettings('serve', values, parseListen);

  let appPath = positionals[0] ?? '.';
  // A registry app lives in the cache, one dir per version: its state stays in the current dir.
  let defaultStateDir: string | undefined;
  if (values['from-registry'] !== undefined) {
    if (positionals.length > 0) throw usageError('--from-registry REF replaces the app argument; give one or the other');
    appPath = (await (await import('./registry.ts')).pullToCache(values['from-registry'], { insecure: values.insecure === true })).dir;
    defaultStateDir = '.wasmlet';
  }
  const app = await loadApp(appPath, { ...settings.load, defaultStateDir });
  const ops = await startServerOperations(operator, settings.logFormat);
  const { log } = ops;
  let server: RunningHttpServer | undefined;
  let events;
  try {
    if (app.triggers.http.length > 0) server = await startHttpServer({ app, ...settings.server, log, ...ops.http });
    await ops.serving(app, server);
    events = await startEventTriggers(app, {
      workers: settings.server.workers ?? defaultWorkerCount(),
      defaultTimeoutMs: settings.server.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS, log,
    });
  } catch (err) {
    await ops.close();
    await server?.close(0);
    throw err;
  }
  ops.announce();
  // After the other start-up lines (scripts and tests wait for this one); the admin address next.
  if (server) log.event('info', `listening on ${server.url}`, { app: app.name, routes: app.triggers.http.length });
  if (events) log.event('info', `serving ${events.counts.redis} redis and ${events.counts.cron} cron trigger(s)`, { app: app.name, ...events.counts });
  ops.announceAdmin();
  // On a stop request the event triggers stop reading at once and finish the handlers they started
  // while HTTP drains (one grace period, not two in a row); the admin listener closes last.
  let eventsClosed: Promise<void> | undefined;
  await closeOnStopRequest(() => server, log, async () => {
    eventsClosed = events?.close().catch((err: unknown) => log.event('error', `stopping the Redis and cron triggers: ${(err as Error).message}`));
  });
  await eventsClosed;
  await ops.close();
  return EXIT.OK;
}

/** The flags `serve` and `watch` share (see {@link SERVER_OPTIONS_HELP}), for `parseFlags`. */
export const SERVER_FLAGS = {
  listen: { type: 'string' },
  'log-format': { type: 'string' },
  workers: { type: 'string' },
  'max-body': { type: 'string' },
  'max-queue': { type: 'string' },
  timeout: { type: 'string' },
  'runtime-config-file': { type: 'string' },
  'state-dir': { type: 'string' },
} as const satisfies Record<string, { type: 'string' }>;

/** What {@link SERVER_FLAGS} say: how to load the app, how to run the server, the log format. */
export interface ServerSettings {
  load: Pick<LoadOptions, 'runtimeConfigFile' | 'stateDir'>;
  server: Omit<HttpServerOptions, 'app' | 'log'>;
  logFormat: LogFormat;
}

/**
 * Checks the values of {@link SERVER_FLAGS}.
 * @param command `serve` or `watch`, for the usage error.
 * @throws WasmletError `WASMLET_ERR_USAGE`, `WASMLET_ERR_INVALID_SIZE`, `WASMLET_ERR_INVALID_DURATION`.
 */
export function serverSettings(command: string, values: Partial<Record<keyof typeof SERVER_FLAGS, string>>): ServerSettings {
  const usage = (message: string) => usageErrorFor(command, message);
  const format = values['log-format'] ?? 'text';
  if (format !== 'text' && format !== 'json') throw usage(`--log-format '${format}': expected text or json`);
  const { host, port } = parseListen(values.listen ?? '127.0.0.1:3000');
  const runtimeConfigFile = values['runtime-config-file'];
  const stateDir = values['state-dir'];
  if (runtimeConfigFile === '') throw usage('--runtime-config-file: expected a file path');
  if (stateDir === '') throw usage('--state-dir: expected a directory path');
  return {
    load: { runtimeConfigFile, stateDir },
    server: {
      host, port,
      workers: values.workers === undefined ? undefined : positiveInt('--workers', values.workers, 1),
      maxQueue: values['max-queue'] === undefined ? undefined : positiveInt('--max-queue', values['max-queue'], 0),
      maxBodyBytes: values['max-body'] === undefined ? undefined : parseSize(values['max-body']),
      defaultTimeoutMs: values.timeout === undefined ? undefined : parseDuration(values.timeout),
    },
    logFormat: format,
  };
}

/**
 * Resolves once the process was asked to stop (SIGINT, SIGTERM, its npm parent gone: see
 * stop-signals.ts) and `server` has shut down gracefully (in-flight requests get 10 s).
 * @param beforeClose run first when the stop request arrives (e.g. stop a file watcher); an error it
 *   throws is logged and the shutdown goes on.
 */
export function closeOnStopRequest(server: RunningHttpServer | (() => RunningHttpServer | undefined), log: ServerLog,
  beforeClose?: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    onStopRequest((reason) => {
      log.event('info', `${reason}: shutting down`);
      void (async () => {
        try {
          await beforeClose?.();
        } catch (err) {
          log.event('error', `shutting down: ${(err as Error).message}`); // the HTTP drain still runs
        }
        const running = typeof server === 'function' ? server() : server;
        const inTime = running === undefined ? true : await running.close(DEFAULT_SHUTDOWN_GRACE_MS);
        log.event(inTime ? 'info' : 'error', inTime ? 'stopped' : 'stopped: in-flight requests were cut off after the grace period');
        resolve();
      })();
    });
  });
}
