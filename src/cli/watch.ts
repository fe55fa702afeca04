// `wasmlet watch`: build, serve, and on every change rebuild and reload the app in place, the
// way `spin watch` does (spinframework/spin src/commands/watch.rs, watch/filters.rs), except
// that the new app is swapped into the running server (RunningHttpServer.reload) rather than the
// server restarted: no request is refused during a reload, and a broken build or manifest leaves
// the previous app serving. The Redis and cron triggers are restarted with each new app, as
// `spin watch` restarts `spin up` (the old ones stop first, so no message is handled twice).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { matchesGlob, relative, resolve, sep } from 'node:path';
import { watch as chokidarWatch } from 'chokidar';
import { locateManifest, readBuildPlan } from '../app/build-plan.ts';
import type { BuildPlan } from '../app/build-plan.ts';
import { loadApp } from '../app/loader.ts';
import type { LockedApp } from '../app/locked-app.ts';
import { startEventTriggers } from '../triggers/event-triggers.ts';
import type { RunningEventTriggers } from '../triggers/event-triggers.ts';
import type { ServerLog } from '../triggers/http/access-log.ts';
import { DEFAULT_TIMEOUT_MS } from '../triggers/http/limits.ts';
import { defaultWorkerCount, startHttpServer } from '../triggers/http/server.ts';
import type { RunningHttpServer } from '../triggers/http/server.ts';
import { isWasmletError } from '../util/errors.ts';
import { runBuilds, TERMINAL_BUILD_OUTPUT } from './build.ts';
import { EXIT } from './exit-codes.ts';
import { printErr, printError, printOut } from './output.ts';
import { closeOnStopRequest, parseListen, SERVER_FLAGS, SERVER_OPTIONS_HELP, serverSettings } from './serve.ts';
import { OPERATOR_FLAGS, OPERATOR_OPTIONS_HELP, operatorSettings, startServerOperations } from './server-operations.ts';
import { parseFlags, usageError } from './usage.ts';

const HELP = `Usage: wasmlet watch [options] [DIR | MANIFEST]

Builds the app (wasmlet build), serves it (wasmlet serve), and watches its files: a change to a
component's build.watch globs (relative to its build.workdir, Spin's keys) rebuilds that
component, a change to the manifest rebuilds every component, a change to a component's source
or files reloads. The new app is loaded and validated first, then swapped into the running
server: requests that arrive go to it, requests in flight finish on the old one, and the
listener never closes. Redis and cron triggers are restarted with the new app (the old ones stop
first). A build or manifest that fails prints the error and keeps the previous app serving. DIR
holds a wasmlet.toml (or spin.toml); default: the current directory.

Options:
      --skip-build     Do not run build commands: reload when the manifest, a source or a
                       files mount changes.
  -d, --debounce MS    Wait this long after the last change before rebuilding (default 100).
${SERVER_OPTIONS_HELP}${OPERATOR_OPTIONS_HELP}  -h, --help           Print this help.

Tracing (OTEL_* variables) works as for \`wasmlet serve\`. Ignored: node_modules, .git, .wasmlet
and .spin directories. SIGINT/SIGTERM stop watching and shut the server down as \`wasmlet serve\`
does.
`;

/** Default debounce, in ms: Spin's `spin watch --debounce` default. */
export const DEFAULT_DEBOUNCE_MS = 100;

/** Directories never watched (dependencies, VCS, wasmlet's and Spin's state). */
const IGNORED = /(^|[\\/])(node_modules|\.git|\.wasmlet|\.spin)([\\/]|$)/;

/** The changes seen since the last cycle (see {@link classifyChange}). */
export interface Changes {
  manifest: boolean;
  /** Components whose build.watch globs matched. */
  build: Set<string>;
  /** A source or a files mount changed. */
  reload: boolean;
}

export const noChanges = (): Changes => ({ manifest: false, build: new Set(), reload: false });

/** `path` relative to `base` with `/` separators, for glob matching. */
function posixRelative(base: string, path: string): string {
  return relative(base, path).split(sep).join('/');
}

/**
 * What a change to `path` asks for: the manifest changed; which components' build.watch globs
 * match it (globs relative to each component's workdir, as Spin's `create_source_globs`); or
 * whether it is under a files mount of the loaded app, or a source whose bytes differ from the
 * loaded ones (a build that just wrote the binary the app was reloaded with asks for nothing).
 */
export function classifyChange(path: string, plan: BuildPlan, app: LockedApp | undefined, into: Changes): void {
  const abs = resolve(path);
  if (abs === plan.manifestPath) { into.manifest = true; return; }
  for (const c of plan.components) {
    const rel = posixRelative(c.workdir, abs);
    if (c.build.watch.some((glob) => matchesGlob(rel, glob))) into.build.add(c.id);
  }
  for (const component of Object.values(app?.components ?? {})) {
    if (component.files.some((f) => abs === f.hostPath || abs.startsWith(f.hostPath + sep))) into.reload = true;
    else if (component.source === abs && component.binary?.sha256 !== fileSha256(abs)) into.reload = true;
  }
}

/** The `watch` command: resolves with the exit status once stopped (SIGINT/SIGTERM). */
export async function watchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('watch', {
    args: argv,
    allowPositionals: true,
    options: {
      ...SERVER_FLAGS,
      ...OPERATOR_FLAGS,
      'skip-build': { type: 'boolean' },
      debounce: { type: 'string', short: 'd' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { printOut(HELP); return EXIT.OK; }
  if (positionals.length > 1) throw usageError('watch', `expected one app (DIR or MANIFEST), got ${positionals.length}`);
  const debounceMs = values.debounce === undefined ? DEFAULT_DEBOUNCE_MS : Number(values.debounce);
  if (values.debounce !== undefined && !/^\d+$/.test(values.debounce)) throw usageError('watch', `--debounce '${values.debounce}': expected milliseconds`);
  const skipBuild = values['skip-build'] === true;
  const settings = serverSettings('watch', values);
  const operator = operatorSettings('watch', values, parseListen);
  const manifestPath = await locateManifest(positionals[0] ?? '.');
  let plan = await readBuildPlan(manifestPath);
  const ops = await startServerOperations(operator, settings.logFormat);
  const { log } = ops;
  ops.announce();

  let app: LockedApp | undefined;
  let server: RunningHttpServer | undefined;
  let events: RunningEventTriggers | undefined;
  let stopped = false;
  let fatal: ((err: unknown) => void) | undefined;
  const failed = new Promise<never>((_, reject) => { fatal = reject; });
  failed.catch(() => {});
  let building = false;

  /** One build-and-reload: never throws; a failure is printed and the previous app kept. */
  const cycle = async (changes: Changes): Promise<void> => {
    if (changes.manifest) {
      try {
        plan = await readBuildPlan(manifestPath);
      } catch (err) {
        printCycleError(describe(err), server !== undefined);
        return;
      }
    }
    const toBuild = skipBuild ? [] : plan.components.filter((c) => changes.manifest || changes.build.has(c.id));
    if (toBuild.length > 0) {
      building = true;
      const outcome = await runBuilds(toBuild, TERMINAL_BUILD_OUTPUT).finally(() => { building = false; });
      if (!outcome.ok) {
        printCycleError(`build command \`${outcome.command}\` for component '${outcome.component}' failed with exit status ${outcome.status}`, server !== undefined);
        return;
      }
    }
    let next: LockedApp;
    try {
      next = await loadApp(manifestPath, settings.load);
    } catch (err) {
      printCycleError(describe(err), server !== undefined);
      return;
    }
    if (stopped) return;
    const first = server === undefined;
    try {
      if (server === undefined) server = await startHttpServer({ app: next, ...settings.server, log, ...ops.http });
      else await server.reload(next);
      await ops.serving(next, server);
      app = next;
    } catch (err) {
      if (isWasmletError(err) && err.code === 'WASMLET_ERR_LISTEN') { fatal!(err); return; }
      printCycleError(describe(err), server !== undefined);
      return;
    }
    // The event triggers follow the app; a stop that came meanwhile only closes the old ones.
    const old = events;
    events = undefined;
    events = await restartEventTriggers(old, stopped ? undefined : next, settings.server, log);
    // Start-up lines in serve's order: scripts wait for "listening on", and by then the Redis
    // and cron triggers are running too.
    log.event('info', first ? `listening on ${server.url}` : 'reloaded', { app: next.name, routes: next.triggers.http.length });
    if (events) log.event('info', `serving ${events.counts.redis} redis and ${events.counts.cron} cron trigger(s)`, { app: next.name, ...events.counts });
    if (first) ops.announceAdmin();
  };

  // Changes are collected while a cycle runs and handled by the next one, debounced.
  let pending = noChanges();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;
  const hasChanges = (c: Changes) => c.manifest || c.reload || c.build.size > 0;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (running || stopped || !hasChanges(pending)) return;
      const changes = pending;
      pending = noChanges();
      running = cycle(changes).finally(() => { running = undefined; if (hasChanges(pending)) schedule(); });
    }, debounceMs);
  };
  const watcher = chokidarWatch([...new Set([plan.dir, ...plan.components.map((c) => c.workdir)])], {
    ignoreInitial: true,
    ignored: (path: string) => IGNORED.test(path),
  });
  watcher.on('all', (_event: string, path: string) => {
    const seen = noChanges();
    classifyChange(path, plan, app, seen);
    // A source our own build just wrote: the reload after that build covers it.
    if (building && !seen.manifest && seen.build.size === 0) return;
    if (!hasChanges(seen)) return;
    pending.manifest ||= seen.manifest;
    pending.reload ||= seen.reload;
    for (const id of seen.build) pending.build.add(id);
    schedule();
  });
  await new Promise<void>((resolveReady) => watcher.once('ready', () => resolveReady()));

  running = cycle({ manifest: true, build: new Set(), reload: true }).finally(() => { running = undefined; if (hasChanges(pending)) schedule(); });
  // As serve: on a stop request the event triggers stop reading at once and finish the handlers
  // they started while HTTP drains (one grace period, not two in a row).
  let eventsClosed: Promise<void> | undefined;
  const stop = closeOnStopRequest(() => server, log, async () => {
    stopped = true;
    clearTimeout(timer);
    await watcher.close();
    await running;
    eventsClosed = events?.close().catch((err: unknown) => log.event('error', `stopping the Redis and cron triggers: ${describe(err)}`));
  });
  try {
    await Promise.race([stop, failed]);
    await eventsClosed;
  } catch (err) {
    // An address that cannot be bound (the admin one may fail after the HTTP listener started).
    await server?.close(0);
    throw err;
  } finally {
    stopped = true;
    clearTimeout(timer);
    await watcher.close();
    await ops.close();
  }
  return EXIT.OK;
}

/**
 * Stops `old` (no more messages or ticks; its running handlers finish), then starts the Redis and
 * cron triggers of `app` (none when undefined: the watch is stopping) on a new event pool. The
 * HTTP side has already been swapped to `app`; a failure here (rare: `app` loaded and its
 * components compiled) prints the error, and the app has no event triggers until the next cycle
 * succeeds.
 * @returns the running triggers, or undefined when `app` has none or they could not start.
 */
async function restartEventTriggers(old: RunningEventTriggers | undefined, app: LockedApp | undefined,
  server: { workers?: number; defaultTimeoutMs?: number }, log: ServerLog): Promise<RunningEventTriggers | undefined> {
  await old?.close().catch((err: unknown) => log.event('error', `stopping the Redis and cron triggers: ${describe(err)}`));
  if (app === undefined) return undefined;
  try {
    return await startEventTriggers(app, {
      workers: server.workers ?? defaultWorkerCount(), defaultTimeoutMs: server.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS, log,
    });
  } catch (err) {
    printError(describe(err));
    printErr('wasmlet: the Redis and cron triggers are stopped until the next successful reload\n');
    return undefined;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** sha256 of a file, lowercase hex; undefined when it cannot be read (being written, removed). */
function fileSha256(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}

/** Prints a failed cycle's error and what is served meanwhile. */
function printCycleError(message: string, serving: boolean): void {
  printError(message);
  printErr(serving ? 'wasmlet: still serving the previous app\n' : 'wasmlet: nothing is served until a build and load succeed\n');
}
