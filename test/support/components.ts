// Builds WASI 0.2 component fixtures from source with real toolchains, memoized on disk under
// test/fixtures/.build/ by a hash of every input (sources, WIT, toolchain versions):
//   - componentize-js (StarlingMonkey) for JavaScript guests: a wasi:cli command, a wasi:http handler;
//   - clang + wasi-libc, then jco's preview1 command adapter for a C command, or its reactor
//     adapter for a C component exporting handlers (Redis, cron).
// componentize-js takes ~15 s per build and reads its WIT through preview2-shim's process-global
// filesystem (no preopens by default in the installed version), so each build runs in a child
// process (this same file, run as main) that grants it only the WIT directory.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildC, buildDir, repoRoot } from './fixtures.ts';

// componentize-js imports `@bytecodealliance/preview2-shim` without declaring it, so package.json
// declares it at the top level (one copy, shared with jco and jco-transpile); the preopens set
// below are then the ones componentize-js reads.
export const componentizeVersion = packageVersion('@bytecodealliance/componentize-js');
/** jco's package directory (`<dir>/dist/api.js` is its entry): its lib/ has the WIT and adapters. */
const jcoDir = join(dirname(fileURLToPath(import.meta.resolve('@bytecodealliance/jco'))), '..');
/** The WASI WIT packages (0.2.12) shipped inside jco; fixture worlds are pinned to them. */
const witDepsDir = join(jcoDir, 'lib/wit/builtin/0.2.12');
const witDeps = ['wasi-cli', 'wasi-clocks', 'wasi-filesystem', 'wasi-http', 'wasi-io', 'wasi-random', 'wasi-sockets'];

/** Milliseconds each fixture build actually took in this process (cache hits are not listed). */
export const buildTimes: Record<string, number> = {};

/** The installed version of `name`, read from the package.json beside its entry's directory. */
function packageVersion(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function fixtureHash(kind: string, inputs: (string | Uint8Array)[]): string {
  const hash = createHash('sha256').update(kind);
  for (const input of inputs) hash.update(input).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/**
 * Returns `test/fixtures/.build/<kind>-<hash of inputs>.wasm`, running `build(tmp)` first when it
 * does not exist yet (then renamed into place, so parallel test files never see half a file).
 */
export async function memoAsync(kind: string, inputs: (string | Uint8Array)[], build: (tmp: string) => Promise<void>): Promise<string> {
  const out = join(buildDir, `${kind}-${fixtureHash(kind, inputs)}.wasm`);
  if (existsSync(out)) return out;
  mkdirSync(buildDir, { recursive: true });
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  const t0 = performance.now();
  await build(tmp);
  buildTimes[kind] = Math.round(performance.now() - t0);
  renameSync(tmp, out); // atomic: parallel test files never see a half-written fixture
  return out;
}

/** Every file under `dir` (sorted paths and contents), for a fixture's input hash. */
export function treeInputs(dir: string): (string | Uint8Array)[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort()
    .flatMap((f) => [f.slice(dir.length), readFileSync(f)]);
}

/**
 * Componentizes `test/fixtures/components/<name>/<entry>` (or `<dir>/<entry>`) against
 * `world.wit` beside it (world `worldName`), the WIT packages in its `deps/` folder if any (e.g.
 * Spin's `fermyon:spin`), plus the pinned WASI 0.2.12 WIT; returns the component's path.
 */
export async function buildJsComponent(name: string, entry: string, worldName: string,
  dir: string = join(repoRoot, 'test/fixtures/components', name)): Promise<string> {
  const source = join(dir, entry);
  const world = join(dir, 'world.wit');
  const ownDeps = join(dir, 'deps');
  const inputs = [readFileSync(source), readFileSync(world), componentizeVersion, witDepsDir, ...treeInputs(ownDeps)];
  return memoAsync(`component-js-${name}`, inputs, async (tmp) => {
    const witDir = mkdtempSync(join(tmpdir(), 'wasmlet-wit-'));
    try {
      cpSync(world, join(witDir, 'world.wit'));
      if (existsSync(ownDeps)) cpSync(ownDeps, join(witDir, 'deps'), { recursive: true });
      for (const dep of witDeps) cpSync(join(witDepsDir, dep), join(witDir, 'deps', dep), { recursive: true });
      await componentizeInChild(source, witDir, worldName, tmp);
    } finally {
      rmSync(witDir, { recursive: true, force: true });
    }
  });
}

/**
 * Runs componentize-js 0.23 on `source` (an ES module; its relative imports are read from the
 * files beside it) against the WIT package in `witDir`, world `worldName`, writing the component
 * to `out`. Runs in a child process that grants the splicer `witDir` only (preview2-shim's
 * filesystem state is process-global). Takes ~15 s.
 * @throws the child's failure (its stderr in the error's message) when componentize-js fails.
 */
export async function componentizeInChild(source: string, witDir: string, worldName: string, out: string): Promise<void> {
  await promisify(execFile)(process.execPath, [import.meta.filename, 'componentize', source, witDir, worldName, out], {
    maxBuffer: 16 << 20,
  });
}

/** The componentize-js `wasi:cli` command fixture (args, env, preopen file, exit code). */
export function buildCliCommandComponent(): Promise<string> {
  return buildJsComponent('cli-command', 'command.js', 'cli-command');
}

/** The componentize-js `wasi:http/incoming-handler` fixture (echo, large body, outbound). */
export function buildHttpEchoComponent(): Promise<string> {
  return buildJsComponent('http-echo', 'handler.js', 'http-echo');
}

/**
 * The componentize-js handler `wasmlet serve` is tested with: the echo handler plus streaming,
 * env, files, allocation, loop, trap and exit paths (see its source).
 */
export function buildHttpServeComponent(): Promise<string> {
  return buildJsComponent('http-serve', 'handler.js', 'http-serve');
}

/**
 * The componentize-js handler importing `fermyon:spin/{key-value,variables,sqlite,llm}@2.0.0`
 * (Spin's WIT, copied into its `deps/spin`): counter, store/database grants, variables, an
 * interface wasmlet does not back (see its source).
 */
export function buildHttpSpinComponent(): Promise<string> {
  return buildJsComponent('http-spin', 'handler.js', 'http-spin');
}

/**
 * The componentize-js handler importing `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` and
 * `wasi:config/store@0.2.0-draft-2024-09-27` (WIT in its `deps/`): every function and error,
 * and a get+set loop for bench/kv-guest.ts (see its source).
 */
export function buildHttpWasiKeyValueComponent(): Promise<string> {
  return buildJsComponent('http-wasi-keyvalue', 'handler.js', 'http-wasi-keyvalue');
}

/** examples/http-component (componentize-js), as examples/build.sh builds it. */
export function buildExampleHttpComponent(): Promise<string> {
  return buildJsComponent('example-http-component', 'handler.js', 'http-component', join(repoRoot, 'examples/http-component'));
}

/** examples/embed-app's notes handler (componentize-js, wasi:http + Spin key-value), as examples/build.sh builds it. */
export function buildExampleEmbedNotesComponent(): Promise<string> {
  return buildJsComponent('example-embed-notes', 'notes.js', 'notes', join(repoRoot, 'examples/embed-app'));
}

/** examples/component-plugin's plugin (componentize-js, typed exports + a host interface), as examples/build.sh builds it. */
export function buildExampleComponentPlugin(): Promise<string> {
  return buildJsComponent('example-component-plugin', 'plugin.js', 'plugin', join(repoRoot, 'examples/component-plugin'));
}

/** Path of jco's bundled `wasi_snapshot_preview1.command.wasm` adapter. */
export const preview1CommandAdapter = join(jcoDir, 'lib/wasi_snapshot_preview1.command.wasm');
/**
 * Path of jco's bundled `wasi_snapshot_preview1.reactor.wasm` adapter: for a module built with
 * `-mexec-model=reactor` (no `_start`; the component exports handlers, not `wasi:cli/run`).
 */
export const preview1ReactorAdapter = join(jcoDir, 'lib/wasi_snapshot_preview1.reactor.wasm');

/** A WIT world to embed in a C module before it becomes a component (its imports beyond WASI). */
export interface CWorld {
  /** One WIT document: the world's package, then each dependency as a nested `package ... { }`. */
  source: string;
  world: string;
}

/**
 * Compiles C sources with clang + wasi-libc and wraps the module into a component with jco's
 * preview1 adapter (after embedding `wit`'s world, for imports the adapter does not provide and
 * for exports): `command` (default) makes a `wasi:cli` command; `reactor` (the sources are then
 * compiled with `-mexec-model=reactor`) a component whose exports are `wit`'s. Returns its path.
 */
export async function buildCComponent(sources: string | string[], flags: string[] = [], wit?: CWorld,
  adapterKind: 'command' | 'reactor' = 'command'): Promise<string> {
  const reactor = adapterKind === 'reactor';
  const core = readFileSync(buildC(sources, reactor ? ['-mexec-model=reactor', ...flags] : flags));
  const adapter = readFileSync(reactor ? preview1ReactorAdapter : preview1CommandAdapter);
  return memoAsync(wit ? `component-c-${wit.world}` : 'component-c', wit ? [core, adapter, wit.source] : [core, adapter], async (tmp) => {
    const { componentEmbed, componentNew } = await import('@bytecodealliance/jco-transpile/wasm-tools');
    const bytes = wit ? await componentEmbed({ binary: core, witSource: wit.source, world: wit.world }) : core;
    writeFileSync(tmp, await componentNew(bytes, [['wasi_snapshot_preview1', adapter]]));
  });
}

/** A WIT file's text with its `package x;` line made a nested `package x { ... }`. */
function nestPackage(wit: string): string {
  return `${wit.replace(/^package ([^;]+);/m, 'package $1 {')}\n}\n`;
}

/** One WIT document of `world.wit` then each of `deps` (WIT files) as a nested `package ... { }`. */
function cWorldSource(world: string, deps: string[]): string {
  return [readFileSync(world, 'utf8'), ...deps.map((f) => nestPackage(readFileSync(f, 'utf8')))].join('\n');
}

/**
 * The C command importing `wasi:keyvalue/store@0.2.0-draft2` through hand-written canonical ABI
 * imports (test/fixtures/components/c-keyvalue; the keyvalue WIT is http-wasi-keyvalue's).
 * Args: `<bucket> <rounds>`.
 */
export function buildCKeyValueComponent(): Promise<string> {
  const fixtures = join(repoRoot, 'test/fixtures/components');
  const source = cWorldSource(join(fixtures, 'c-keyvalue/world.wit'), [join(fixtures, 'http-wasi-keyvalue/deps/keyvalue/keyvalue.wit')]);
  return buildCComponent(join(fixtures, 'c-keyvalue/keyvalue.c'), [], { source, world: 'c-keyvalue' });
}

/**
 * A C event handler of test/fixtures/components/c-spin-events (a reactor: no `wasi:cli/run`), its
 * export written by hand in C, importing `fermyon:spin/redis@2.0.0` (WIT from cron-tick's deps):
 * `redis-worker.c` (world `c-redis-worker`) or `cron-tick.c` (world `c-cron-tick`), each linked
 * with `spin-redis-publish.c`.
 */
function buildCSpinEventComponent(source: string, world: string): Promise<string> {
  const fixtures = join(repoRoot, 'test/fixtures/components');
  const dir = join(fixtures, 'c-spin-events');
  const deps = ['c-spin-events/spin-redis.wit', 'cron-tick/deps/spin-cron/cron.wit'].map((f) => join(fixtures, f));
  const spin = join(fixtures, 'cron-tick/deps/spin');
  const redis = `${readFileSync(join(spin, 'package.wit'), 'utf8')}\n${readFileSync(join(spin, 'redis.wit'), 'utf8')}`;
  const wit = [cWorldSource(join(dir, 'world.wit'), deps), nestPackage(redis)].join('\n');
  return buildCComponent([join(dir, source), join(dir, 'spin-redis-publish.c')], [], { source: wit, world }, 'reactor');
}

/**
 * The C Redis handler: `fermyon:spin/inbound-redis` `handle-message` publishes each message's
 * outcome on `handled` and returns `err` for `fail` (see c-spin-events/redis-worker.c).
 */
export function buildCRedisWorkerComponent(): Promise<string> {
  return buildCSpinEventComponent('redis-worker.c', 'c-redis-worker');
}

/**
 * The C cron handler: `handle-cron-event` publishes each tick's outcome on `handled` and returns
 * `err` on an odd timestamp (see c-spin-events/cron-tick.c).
 */
export function buildCCronTickComponent(): Promise<string> {
  return buildCSpinEventComponent('cron-tick.c', 'c-cron-tick');
}

async function componentizeMain(source: string, witDir: string, worldName: string, out: string): Promise<void> {
  // Grant the splicer the WIT directory only (preview2-shim state is process-global, hence the child).
  // (The package's types are the browser build's; Node's `_setPreopens` takes host paths.)
  const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem') as unknown as {
    _setPreopens(preopens: Record<string, string>): void;
  };
  _setPreopens({ [witDir]: witDir });
  const { componentize } = await import('@bytecodealliance/componentize-js');
  const { component } = await componentize({ sourcePath: source, witPath: witDir, worldName });
  writeFileSync(out, component);
}

if (import.meta.main && process.argv[2] === 'componentize') {
  const [source, witDir, worldName, out] = process.argv.slice(3) as [string, string, string, string];
  await componentizeMain(source, witDir, worldName, out);
}

/** Lists the fixture directories, for the meta-test that every fixture is used. */
export function componentFixtureNames(): string[] {
  return readdirSync(join(repoRoot, 'test/fixtures/components'));
}

/**
 * The C command that reports whether the top page of its 16-page memory starts all zero, then
 * dirties it (for the memory-recycling isolation tests); returns the component's path.
 */
export function buildCMemoryComponent(): Promise<string> {
  return buildCComponent(join(repoRoot, 'test/fixtures/components/c-memory/memory.c'), ['-Wl,--initial-memory=1048576']);
}

/**
 * The componentize-js cron handler (fermyon/spin-trigger-cron's world-level `handle-cron-event`,
 * plus fermyon:spin/redis and variables): records each tick's timestamp in a Redis list, then
 * stays busy for `busy_ms` (see its source).
 */
export function buildCronTickComponent(): Promise<string> {
  return buildJsComponent('cron-tick', 'tick.js', 'cron-tick');
}

/** examples/redis-jobs/tick (componentize-js, the cron plugin's world), as examples/build.sh builds it. */
export function buildExampleTickComponent(): Promise<string> {
  return buildJsComponent('example-redis-jobs-tick', 'tick.js', 'tick', join(repoRoot, 'examples/redis-jobs/tick'));
}
