// `wasmlet serve`: serve an app's triggers (HTTP, Redis, cron) (modelled on `spin up` / `wasmtime serve`).
import { loadApp } from '../app/loader.ts';
import type { LoadOptions } from '../app/host-services.ts';
import { createServerLog } from '../triggers/http/access-log.ts';
import type { AccessRecord, LogFormat, ServerLog } from '../triggers/http/access-log.ts';
import type { RunningAdminServer } from '../triggers/admin/admin-server.ts';
import { GuestLogFiles, withGuestLogFiles } from '../triggers/http/guest-log-files.ts';
import { tracingConfigured } from '../triggers/telemetry/tracing-env.ts';
import { defaultWorkerCount, startHttpServer } from '../triggers/http/server.ts';
import type { HttpServerOptions, RunningHttpServer } from '../triggers/http/server.ts';
import { DEFAULT_SHUTDOWN_GRACE_MS, DEFAULT_TIMEOUT_MS } from '../triggers/http/limits.ts';
import { startEventTriggers } from '../triggers/event-triggers.ts';
import { WasmletError } from '../util/errors.ts';
import { parseDuration, parseSize } from '../util/units.ts';
import { EXIT } from './exit-codes.ts';
import { printOut } from './output.ts';
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
${SERVER_OPTIONS_HELP}  --log-dir DIR        Also write each component's guest output to DIR/<component>_stdout.txt
                       and DIR/<component>_stderr.txt (Spin's names; WAGI's stdout is the
                       response, so only its stderr), rotated by size (below). The lines still
                       go to the console too.
  --log-file-size SIZE With --log-dir: size at which a file is rotated to .1, .2, ... (default 10MiB).
  --log-files N        With --log-dir: rotated files kept per stream (default 5).
  --admin-listen ADDR  Also listen on ADDR (as --listen) for operators: Prometheus metrics at
                       /metrics, a live dashboard at /, its data at /api/status. Off by default;
                       bind it to a private address.
  --from-registry REF  Pull REF (a Spin app, or one Wasm as \`wkg oci push\` writes) into the
                       registry cache, or reuse it there, and serve it (see wasmlet registry).
  --insecure           With --from-registry: plain HTTP for a registry not on loopback.
  -h, --help           Print this help.

Tracing: with OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, every
request is traced with OpenTelemetry (a span per request, children for instantiate, guest run and
each outbound HTTP, key-value and SQLite call) and exported over OTLP/HTTP; the other standard
OTEL_* variables apply (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, OTEL_SDK_DISABLED, ...).

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
      'log-dir': { type: 'string' },
      'log-file-size': { type: 'string' },
      'log-files': { type: 'string' },
      'admin-listen': { type: 'string' },
      'from-registry': { type: 'string' },
      insecure: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { printOut(HELP); return EXIT.OK; }
  if (positionals.length > 1) throw usageError(`expected one app (DIR, MANIFEST or module.wasm), got ${positionals.length}`);
  const settings = serverSettings('serve', values);
  const adminAddress = values['admin-listen'] === undefined ? undefined : parseListen(values['admin-listen'], '--admin-listen');
  const logDir = values['log-dir'];
  if (logDir === '') throw usageError('--log-dir: expected a directory path');
  if (logDir === undefined && (values['log-file-size'] !== undefined || values['log-files'] !== undefined)) {
    throw usageError('--log-file-size and --log-files apply to --log-dir; add --log-dir DIR');
  }
  const logFileBytes = values['log-file-size'] === undefined ? undefined : parseSize(values['log-file-size']);
  const logFiles = values['log-files'] === undefined ? undefined : positiveInt('--log-files', values['log-files'], 0);

  let appPath = positionals[0] ?? '.';
  // A registry app lives in the cache, one dir per version: its state stays in the current dir.
  let defaultStateDir: string | undefined;
  if (values['from-registry'] !== undefined) {
    if (positionals.length > 0) throw usageError('--from-registry REF replaces the app argument; give one or the other');
    appPath = (await (await import('./registry.ts')).pullToCache(values['from-registry'], { insecure: values.insecure === true })).dir;
    defaultStateDir = '.wasmlet';
  }
  const app = await loadApp(appPath, { ...settings.load, defaultStateDir });
  // With --admin-listen, metrics and dashboard see every request and every log line; without
  // it, prom-client and the dashboard are not even loaded.
  const ops = adminAddress === undefined ? undefined : await (async () => {
    const [{ ServeMetrics }, { DashboardStats }, { startAdminServer }] = await Promise.all([
      import('../triggers/admin/metrics.ts'), import('../triggers/admin/dashboard-stats.ts'), import('../triggers/admin/admin-server.ts'),
    ]);
    return { metrics: new ServeMetrics(), dashboard: new DashboardStats(app), startAdminServer };
  })();
  const write = ops === undefined ? printOut : (text: string) => { printOut(text); ops.dashboard.logText(text); };
  const consoleLog = createServerLog(settings.logFormat, write, { flushMs: 10 });
  const guestLogs = logDir === undefined ? undefined : new GuestLogFiles({
    dir: logDir, maxFileBytes: logFileBytes, maxFiles: logFiles, onError: (message) => consoleLog.event('error', message),
  });
  const log = guestLogs === undefined ? consoleLog : withGuestLogFiles(consoleLog, guestLogs);
  // OpenTelemetry is loaded only when an OTLP endpoint is configured (zero cost otherwise).
  const tracer = tracingConfigured()
    ? (await import('../triggers/telemetry/otel-tracer.ts')).createOtelTracer()
    : undefined;
  const server = app.triggers.http.length === 0 ? undefined : await startHttpServer({
    app, ...settings.server, log,
    ...(tracer === undefined ? {} : { tracer }),
    ...(ops === undefined ? {} : {
      poolObserver: ops.metrics.poolObserver,
      onRequest: (record: AccessRecord) => { ops.metrics.requestFinished(record); ops.dashboard.requestFinished(record); },
    }),
  });
  let admin: RunningAdminServer | undefined;
  let events;
  try {
    if (ops !== undefined) {
      if (server) ops.metrics.attach(server);
      admin = await ops.startAdminServer({ ...adminAddress!, metrics: ops.metrics, dashboard: ops.dashboard });
    }
    events = await startEventTriggers(app, {
      workers: settings.server.workers ?? defaultWorkerCount(),
      defaultTimeoutMs: settings.server.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS, log,
    });
  } catch (err) {
    await admin?.close();
    await server?.close(0);
    throw err;
  }
  if (guestLogs) log.event('info', `logging component output to ${guestLogs.dir}`);
  if (tracer) {
    log.event('info', 'tracing to OTLP endpoint', {
      endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || `${process.env.OTEL_EXPORTER_OTLP_ENDPOINT} (+/v1/traces)`,
    });
  }
  // After the other start-up lines (scripts and tests wait for this one); the admin address next.
  if (server) log.event('info', `listening on ${server.url}`, { app: app.name, routes: app.triggers.http.length });
  if (events) log.event('info', `serving ${events.counts.redis} redis and ${events.counts.cron} cron trigger(s)`, { app: app.name, ...events.counts });
  if (admin) log.event('info', `admin listening on ${admin.url}`, { dashboard: `${admin.url}/`, metrics: `${admin.url}/metrics` });
  // On a stop request the event triggers stop reading at once and finish the handlers they started
  // while HTTP drains (one grace period, not two in a row); the admin listener closes last.
  let eventsClosed: Promise<void> | undefined;
  await closeOnStopRequest(() => server, log, async () => {
    eventsClosed = events?.close().catch((err: unknown) => log.event('error', `stopping the Redis and cron triggers: ${(err as Error).message}`));
  });
  await eventsClosed;
  await admin?.close().catch((err: unknown) => log.event('error', `closing the admin listener: ${(err as Error).message}`));
  guestLogs?.close();
  // Exports the spans still batched before the process exits.
  await tracer?.shutdown().catch((err: unknown) => log.event('error', `cannot export the last traces: ${(err as Error).message}`));
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
