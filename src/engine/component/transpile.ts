// Turns a WASI 0.2 component into something V8 runs: jco's transpiler (the
// `@bytecodealliance/jco-transpile` package that jco's own `transpile` calls; instantiation mode,
// JSPI) gives one ES module plus core Wasm modules. The output is cached on disk by the sha256 of
// the component bytes and the transpiler's version, so a component is transpiled once per machine;
// the core modules are compiled once per `prepareComponent` call and reused by every instance.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WasmletError } from '../../util/errors.ts';
import { defaultCacheDir } from '../../util/cache-dir.ts';
import { rewriteMemoryAsImport, type MemoryPool } from './recycled-memory.ts';
import { SPIN_JSPI_IMPORTS } from '../../host/spin/index.ts';

/** Bumped when the transpile options or cache layout change. */
const CACHE_FORMAT = 'v5';

/**
 * WASI and Spin imports that may block, run through JSPI (`WebAssembly.Suspending`): when the host returns
 * a Promise the guest suspends instead of blocking the thread. Selectors are unversioned (jco
 * matches `interface#function`).
 */
export const JSPI_IMPORTS: readonly string[] = [
  'wasi:io/poll#poll',
  'wasi:io/poll#[method]pollable.block',
  'wasi:io/streams#[method]input-stream.blocking-read',
  'wasi:io/streams#[method]input-stream.blocking-skip',
  'wasi:io/streams#[method]output-stream.blocking-flush',
  'wasi:io/streams#[method]output-stream.blocking-write-and-flush',
  'wasi:io/streams#[method]output-stream.blocking-write-zeroes-and-flush',
  'wasi:io/streams#[method]output-stream.blocking-splice',
  ...SPIN_JSPI_IMPORTS,
];
/** Guest exports wrapped with `WebAssembly.promising` (they return Promises to the host). */
export const JSPI_EXPORTS: readonly string[] = [
  'wasi:cli/run#run', 'wasi:http/incoming-handler#handle',
  // Event triggers (src/triggers/redis, src/triggers/cron): Spin's Redis handler, and the cron
  // plugin's world-level `handle-cron-event` (fermyon/spin-trigger-cron `cron.wit`).
  'fermyon:spin/inbound-redis#handle-message', 'handle-cron-event', 'fermyon:spin-cron/inbound-cron#handle-cron-event',
];

/** jco's generated `instantiate` (instantiation mode `async`). */
export type InstantiateFn = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, object>,
  instantiateCore?: (module: WebAssembly.Module, imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>,
) => Promise<Record<string, unknown>>;

/** A component ready to instantiate many times. Plain data except the compiled modules/function. */
export interface PreparedComponent {
  /** sha256 (hex) of the component bytes. */
  digest: string;
  /** Directory holding the transpiled files. */
  dir: string;
  /** Path of the generated ES module. */
  jsPath: string;
  /** The generated module's `instantiate`. */
  instantiate: InstantiateFn;
  /** Core modules by the file name jco asks for (`component.core.wasm`...), compiled once. */
  coreModules: Map<string, WebAssembly.Module>;
  /**
   * Pools of recycled memories by core module, filled on first instantiation of each module
   * (`null`: the module has no recycled-memory import). Thread-local and optional: a copy rebuilt
   * elsewhere (e.g. in a worker, from the modules alone) gets its own pools lazily.
   */
  memoryPools?: Map<WebAssembly.Module, MemoryPool | null>;
  /** Imported interfaces as jco keys them (unversioned, e.g. `wasi:io/streams`). */
  imports: string[];
  /** Exported names (`wasi:cli/run@0.2.12`, `run`, ...). */
  exports: string[];
  /** True when this call found the transpile output in the disk cache. */
  fromCache: boolean;
  /** Milliseconds spent transpiling (0 on a cache hit) and compiling core modules. */
  timings: { transpileMs: number; compileMs: number };
}

/** Options for {@link prepareComponent}. */
export interface PrepareOptions {
  /** Cache root; transpile output goes under `<cacheDir>/components/`. Default: `defaultCacheDir()`. */
  cacheDir?: string;
  /**
   * Recycle zeroed linear memories between instances (each instance is still fresh: same size,
   * all zero, data segments re-applied). Default `true`; turned off by itself when jco's glue uses
   * a `FinalizationRegistry` (it could call into a retired instance).
   */
  recycleMemory?: boolean;
}

interface CacheMeta {
  imports: string[];
  exports: string[];
  files: string[];
}

/** The installed jco-transpile's version (its `exports` hide package.json, so read it by path). */
function transpilerVersion(): string {
  const entry = fileURLToPath(import.meta.resolve('@bytecodealliance/jco-transpile')); // <pkg>/dist/index.js
  const pkg = join(dirname(entry), '..', 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/**
 * Transpiles (or loads from the disk cache) and compiles a component.
 * @throws WasmletError `WASMLET_ERR_COMPONENT_INVALID` (blame `guest`) when jco rejects the bytes;
 *   `WASMLET_ERR_COMPONENT_CACHE` when the cache directory cannot be written.
 */
export async function prepareComponent(bytes: Uint8Array, options: PrepareOptions = {}): Promise<PreparedComponent> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const digest = createHash('sha256').update(bytes).digest('hex');
  const dir = join(cacheDir, 'components', `${digest}-jco-transpile${transpilerVersion()}-${CACHE_FORMAT}`);
  const metaPath = join(dir, 'meta.json');
  let transpileMs = 0;
  const fromCache = existsSync(metaPath);
  if (!fromCache) {
    const t0 = performance.now();
    await transpileInto(bytes, dir);
    transpileMs = performance.now() - t0;
  }
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as CacheMeta;
  const t1 = performance.now();
  const jsPath = join(dir, 'component.js');
  const recycle = (options.recycleMemory ?? true) && !(await readFile(jsPath, 'utf8')).includes('FinalizationRegistry');
  const coreModules = new Map<string, WebAssembly.Module>();
  await Promise.all(meta.files.filter((f) => f.endsWith('.wasm')).map(async (f) => {
    const bytes: Uint8Array<ArrayBuffer> = await readFile(join(dir, f));
    const rewrite = recycle ? rewriteMemoryAsImport(bytes) : undefined;
    coreModules.set(f, await WebAssembly.compile(rewrite?.bytes ?? bytes));
  }));
  const mod = await import(pathToFileURL(jsPath).href) as { instantiate: InstantiateFn };
  return {
    digest, dir, jsPath, instantiate: mod.instantiate, coreModules, memoryPools: new Map(),
    imports: meta.imports, exports: meta.exports, fromCache,
    timings: { transpileMs, compileMs: performance.now() - t1 },
  };
}

async function transpileInto(bytes: Uint8Array, dir: string): Promise<void> {
  const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
  let result: Awaited<ReturnType<typeof transpileBytes>>;
  try {
    // Instantiation mode: no WASI shim map, so the glue imports nothing (wasmlet's host is passed
    // to `instantiate`). jco's own `transpile` wraps `result::err` in `ComponentError`, which
    // run-command.ts reads; jco-transpile's default does not, hence `noComponentErrorWrapping`.
    result = await transpileBytes(bytes, {
      name: 'component',
      instantiation: 'async',
      asyncMode: 'jspi',
      asyncImports: [...JSPI_IMPORTS],
      asyncExports: [...JSPI_EXPORTS],
      emitTypescriptDeclarations: false,
      noComponentErrorWrapping: false,
    });
  } catch (err) {
    throw new WasmletError('WASMLET_ERR_COMPONENT_INVALID',
      `jco could not transpile the component: ${(err as Error)?.message ?? err}; check that the file is a WebAssembly component (not a core module) built for WASI 0.2`,
      { cause: err, blame: 'guest' });
  }
  const files = Object.keys(result.files).filter((f) => !f.includes('/') && !f.endsWith('.d.ts'));
  const tmp = `${dir}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await mkdir(tmp, { recursive: true });
    for (const f of files) {
      const content = f.endsWith('.js') ? postProcessGlue(new TextDecoder().decode(result.files[f]!)) : result.files[f]!;
      await writeFile(join(tmp, f), content);
    }
    const meta: CacheMeta = { imports: result.imports, exports: result.exports.map(([name]) => name), files };
    await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
    try {
      await rename(tmp, dir); // atomic publish; a concurrent writer may have won (same content)
    } catch (err) {
      if (!existsSync(join(dir, 'meta.json'))) throw err;
    }
  } catch (err) {
    throw new WasmletError('WASMLET_ERR_COMPONENT_CACHE',
      `cannot write the component cache at ${dir}: ${(err as Error).message}; make the cache directory writable or set another one ($WASMLET_CACHE_DIR, or the cacheDir option)`,
      { cause: err });
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => {}); // must not hide the error above
  }
}

/** jco's debug logger as jco-transpile 0.15 (jco 1.35) emits it: it reads `process.env.JCO_DEBUG` on every call. */
const JCO_DEBUG_LOG = `const _debugLog = (...args) => {
    if (!globalThis?.process?.env?.JCO_DEBUG) { return; }
    console.debug(...args);
  };`;

/**
 * jco's JSPI glue (jco-transpile 0.15) after a host import returns: it removes the call's subtask
 * and then drops it inside a try/catch, but the subtask's waitable still holds the resolve event,
 * so `drop` throws "waitables with pending events cannot be dropped" on EVERY async host call,
 * and the catch discards it. Building that Error (its stack trace) was ~40 % of the glue's time in
 * a key-value loop (bench/kv-guest.ts). `drop` changes nothing before it throws, so skipping it
 * when the event is pending is the same behaviour without the exception.
 */
const JCO_SUBTASK_DROP = /this\.drop\(\);(\s*\}\s*catch \(err\) \{\s*_debugLog\('\[AsyncSubtask#onResolve\(\)\] failed to remove subtask after sync subtask completion', err\);)/;

/**
 * Rewrites jco's generated glue where it costs per call. jco calls `_debugLog` ~3 000 times per
 * request of a componentize-js http handler and each call reads `process.env` (a C++ interceptor,
 * ~0.3 us), about 1 ms per request; wasmlet never wants jco's debug output, so the logger becomes
 * a no-op. And every async (JSPI) host import threw and caught an Error (see
 * {@link JCO_SUBTASK_DROP}). Exact-text matches: if a jco upgrade changes the text, the glue is
 * left as generated.
 */
export function postProcessGlue(js: string): string {
  return js.replace(JCO_DEBUG_LOG, 'const _debugLog = () => {};')
    .replace(JCO_SUBTASK_DROP, (_m, rest: string) => `if (!this.#waitable?.hasPendingEvent()) this.drop();${rest}`);
}

/** Lists the cached transpile outputs (directory names) under `cacheDir`. */
export async function listCachedComponents(cacheDir: string): Promise<string[]> {
  try {
    return (await readdir(join(cacheDir, 'components'))).filter((n) => !n.endsWith('.tmp'));
  } catch {
    return [];
  }
}
