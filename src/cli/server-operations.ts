// What an operator adds to a server, shared by `wasmlet serve` and `wasmlet watch`: guest output
// in files (`--log-dir`, as `spin up --log-dir`), the admin listener (`--admin-listen`:
// Prometheus metrics and the live dashboard) and OpenTelemetry tracing (OTEL_* variables). Each
// part is loaded only when asked for: without the flags, prom-client, the dashboard and the
// OpenTelemetry SDK are not even imported.
import type { LockedApp } from '../app/locked-app.ts';
import type { RunningAdminServer } from '../triggers/admin/admin-server.ts';
import type { DashboardStats } from '../triggers/admin/dashboard-stats.ts';
import type { ServeMetrics } from '../triggers/admin/metrics.ts';
import { createServerLog } from '../triggers/http/access-log.ts';
import type { AccessRecord, LogFormat, ServerLog } from '../triggers/http/access-log.ts';
import { GuestLogFiles, withGuestLogFiles } from '../triggers/http/guest-log-files.ts';
import type { RequestTracer } from '../triggers/http/request-tracer.ts';
import type { HttpServerOptions, RunningHttpServer } from '../triggers/http/server.ts';
import { otlpTracesEndpoint, otlpTracesProtocol, tracingConfigured } from '../triggers/telemetry/tracing-env.ts';
import type { OtlpProtocol } from '../triggers/telemetry/tracing-env.ts';
import type { WasmletError } from '../util/errors.ts';
import { parseSize } from '../util/units.ts';
import { printOut } from './output.ts';
import { usageError } from './usage.ts';

/** The flags of {@link OPERATOR_OPTIONS_HELP}, for `parseFlags`. */
export const OPERATOR_FLAGS = {
  'log-dir': { type: 'string' },
  'log-file-size': { type: 'string' },
  'log-files': { type: 'string' },
  'admin-listen': { type: 'string' },
} as const satisfies Record<string, { type: 'string' }>;

/** The help text of {@link OPERATOR_FLAGS} (2-space indent, as `SERVER_OPTIONS_HELP`). */
export const OPERATOR_OPTIONS_HELP = `  --log-dir DIR        Also write each component's guest output to DIR/<component>_stdout.txt
                       and DIR/<component>_stderr.txt (Spin's names; WAGI's stdout is the
                       response, so only its stderr), rotated by size (below). The lines still
                       go to the console too.
  --log-file-size SIZE With --log-dir: size at which a file is rotated to .1, .2, ... (default 10MiB).
  --log-files N        With --log-dir: rotated files kept per stream (default 5).
  --admin-listen ADDR  Also listen on ADDR (as --listen) for operators: Prometheus metrics at
                       /metrics, a live dashboard at /, its data at /api/status. Off by default;
                       bind it to a private address.
`;

/** What {@link OPERATOR_FLAGS} and the OTEL_* variables say. */
export interface OperatorSettings {
  admin?: { host: string; port: number };
  logDir?: { dir: string; maxFileBytes?: number; maxFiles?: number };
  /** Set when tracing is configured: the OTLP protocol, and where spans go (for the log line). */
  tracing?: { protocol: OtlpProtocol; endpoint: string };
}

/**
 * Checks the values of {@link OPERATOR_FLAGS} and of the OTEL_* variables in `env`, before the
 * app is loaded (a bad protocol stops the command at once).
 * @param command `serve` or `watch`, for the usage error.
 * @param parseListen the `--listen` parser (`HOST:PORT`, `:PORT`, `PORT`).
 * @throws WasmletError `WASMLET_ERR_USAGE`, `WASMLET_ERR_INVALID_SIZE`, `WASMLET_ERR_OTLP_PROTOCOL`.
 */
export function operatorSettings(command: string, values: Partial<Record<keyof typeof OPERATOR_FLAGS, string>>,
  parseListen: (text: string, flag: string) => { host: string; port: number },
  env: Readonly<Record<string, string | undefined>> = process.env): OperatorSettings {
  const fail = (message: string): WasmletError => usageError(command, message);
  const dir = values['log-dir'];
  if (dir === '') throw fail('--log-dir: expected a directory path');
  if (dir === undefined && (values['log-file-size'] !== undefined || values['log-files'] !== undefined)) {
    throw fail('--log-file-size and --log-files apply to --log-dir; add --log-dir DIR');
  }
  const files = values['log-files'];
  if (files !== undefined && !/^\d+$/.test(files)) throw fail(`--log-files '${files}': expected a whole number >= 0`);
  const protocol = tracingConfigured(env) ? otlpTracesProtocol(env) : undefined;
  return {
    ...protocol === undefined ? {} : { tracing: { protocol, endpoint: otlpTracesEndpoint(protocol, env) ?? '' } },
    ...values['admin-listen'] === undefined ? {} : { admin: parseListen(values['admin-listen'], '--admin-listen') },
    ...dir === undefined ? {} : {
      logDir: {
        dir,
        ...values['log-file-size'] === undefined ? {} : { maxFileBytes: parseSize(values['log-file-size']) },
        ...files === undefined ? {} : { maxFiles: Number(files) },
      },
    },
  };
}

/** The operator parts of one running server (see {@link startServerOperations}). */
export interface ServerOperations {
  /** The server log: the console (fed to the dashboard's tail too), plus the guest log files. */
  readonly log: ServerLog;
  /** What `startHttpServer` takes from them: the tracer, the pool observer, the request hook. */
  readonly http: Pick<HttpServerOptions, 'tracer' | 'poolObserver' | 'onRequest'>;
  /**
   * `app` is served now, by `server` (undefined: no HTTP routes). Metrics read that server's pools,
   * the dashboard shows `app`; the first call starts the admin listener.
   * @throws WasmletError `WASMLET_ERR_LISTEN` when the admin address cannot be bound.
   */
  serving(app: LockedApp, server: RunningHttpServer | undefined): Promise<void>;
  /** Logs where guest output and traces go (before the `listening on` line). */
  announce(): void;
  /** Logs the admin address, once it listens (after the `listening on` line). */
  announceAdmin(): void;
  /** Closes the admin listener and the log files, and exports the last spans. Never throws. */
  close(): Promise<void>;
}

/** The OpenTelemetry tracer exporting over `protocol`: the SDK and that one exporter load now. */
async function loadTracer(protocol: OtlpProtocol): Promise<RequestTracer> {
  const [{ createOtelTracer }, { createOtlpTraceExporter }] = await Promise.all([
    import('../triggers/telemetry/otel-tracer.ts'), import('../triggers/telemetry/otlp-exporter.ts'),
  ]);
  return createOtelTracer({ exporter: await createOtlpTraceExporter(protocol) });
}

/**
 * Creates the log (console in `format`, guest files per `settings.logDir`) and loads what
 * `settings` ask for (the admin parts; for `settings.tracing`, the tracer and its one OTLP
 * exporter). The admin listener starts at the first {@link ServerOperations.serving}.
 */
export async function startServerOperations(settings: OperatorSettings, format: LogFormat): Promise<ServerOperations> {
  const admin = settings.admin === undefined ? undefined : await (async () => {
    const [{ ServeMetrics }, { DashboardStats }, { startAdminServer }] = await Promise.all([
      import('../triggers/admin/metrics.ts'), import('../triggers/admin/dashboard-stats.ts'), import('../triggers/admin/admin-server.ts'),
    ]);
    return { metrics: new ServeMetrics() as ServeMetrics, dashboard: undefined as DashboardStats | undefined, DashboardStats, startAdminServer };
  })();
  // Lines written before the dashboard exists (watch logs its start-up lines before the first app
  // loads) are kept for its tail.
  const early: string[] = [];
  const write = admin === undefined ? printOut : (text: string) => {
    printOut(text);
    if (admin.dashboard) admin.dashboard.logText(text);
    else early.push(text);
  };
  const consoleLog = createServerLog(format, write, { flushMs: 10 });
  const guestLogs = settings.logDir === undefined ? undefined : new GuestLogFiles({
    ...settings.logDir, onError: (message) => consoleLog.event('error', message),
  });
  const log = guestLogs === undefined ? consoleLog : withGuestLogFiles(consoleLog, guestLogs);
  const tracer = settings.tracing === undefined ? undefined : await loadTracer(settings.tracing.protocol);
  let listener: RunningAdminServer | undefined;
  return {
    log,
    http: {
      ...tracer === undefined ? {} : { tracer },
      ...admin === undefined ? {} : {
        poolObserver: admin.metrics.poolObserver,
        onRequest: (record: AccessRecord) => { admin.metrics.requestFinished(record); admin.dashboard?.requestFinished(record); },
      },
    },
    async serving(app, server) {
      if (admin === undefined) return;
      if (server) admin.metrics.attach(server);
      if (admin.dashboard === undefined) {
        admin.dashboard = new admin.DashboardStats(app);
        for (const text of early.splice(0)) admin.dashboard.logText(text);
      } else {
        admin.dashboard.setApp(app);
      }
      listener ??= await admin.startAdminServer({ ...settings.admin!, metrics: admin.metrics, dashboard: admin.dashboard });
    },
    announce() {
      if (guestLogs) log.event('info', `logging component output to ${guestLogs.dir}`);
      if (tracer) {
        log.event('info', 'tracing to OTLP endpoint', { endpoint: settings.tracing!.endpoint, protocol: settings.tracing!.protocol });
      }
    },
    announceAdmin() {
      if (listener) log.event('info', `admin listening on ${listener.url}`, { dashboard: `${listener.url}/`, metrics: `${listener.url}/metrics` });
    },
    async close() {
      await listener?.close().catch((err: unknown) => log.event('error', `closing the admin listener: ${(err as Error).message}`));
      guestLogs?.close();
      // Exports the spans still batched before the process exits.
      await tracer?.shutdown().catch((err: unknown) => log.event('error', `cannot export the last traces: ${(err as Error).message}`));
    },
  };
}
