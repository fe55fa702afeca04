// Entry point of app loading: finds the manifest, parses it, and resolves each route's `auto`
// executor by looking at the binary's header.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { WasmletError } from '../util/errors.ts';
import { defaultCacheDir } from '../util/cache-dir.ts';
import { MANIFEST_NAMES } from './build-plan.ts';
import { DEFAULT_WAGI_ARGV } from './locked-app.ts';
import type { LockedApp, LockedComponent } from './locked-app.ts';
import { parseManifestDocument, type ParsedManifest } from './manifest/parse-manifest.ts';
import { resolveHostServices, type LoadOptions } from './host-services.ts';
import { locateKey } from './manifest/locate-key.ts';
import { ManifestError, type ManifestDiagnostic } from './manifest/manifest-error.ts';

export { MANIFEST_NAMES } from './build-plan.ts';

/** What a Wasm binary's 8-byte preamble says it is. */
export type WasmBinaryKind = 'module' | 'component' | 'not-wasm';

/**
 * Classifies a binary by its preamble: `\0asm` then version 1 (a core module) or the component
 * model's layer 1 encoding (`0d 00 01 00`, a component).
 */
export function wasmBinaryKind(preamble: Uint8Array): WasmBinaryKind {
  if (preamble.length < 8 || preamble[0] !== 0 || preamble[1] !== 0x61 || preamble[2] !== 0x73 || preamble[3] !== 0x6d) {
    return 'not-wasm';
  }
  const v = [preamble[4], preamble[5], preamble[6], preamble[7]];
  if (v[0] === 1 && v[1] === 0 && v[2] === 0 && v[3] === 0) return 'module';
  if (v[2] === 1 && v[3] === 0) return 'component';
  return 'not-wasm';
}

/** The kind and sha256 of the binary at `path` (read whole: the digest needs every byte). */
async function inspectBinary(path: string): Promise<{ kind: WasmBinaryKind; sha256: string }> {
  const bytes = await readFile(path);
  return { kind: wasmBinaryKind(bytes.subarray(0, 8)), sha256: createHash('sha256').update(bytes).digest('hex') };
}

async function isFile(path: string): Promise<boolean> {
  try { return (await stat(path)).isFile(); } catch { return false; }
}

/**
 * Loads an app from a directory (its `wasmlet.toml`, else `spin.toml`), a manifest path, or a bare
 * `.wasm` file (served as the one component `main` on route `/...`). Each `auto` executor is
 * resolved from the binary: a core module runs as WAGI, a component as wasi-http; each served
 * component's binary kind and sha256 (`LockedComponent.binary`) and the app's `cacheDir` are set. Host services
 * are resolved too (host-services.ts): the runtime config is read, every key-value store and SQLite
 * label a component names gets a backend, and component variables are resolved to strings.
 * @param options `runtimeConfigFile`, `stateDir` (default `<app dir>/.wasmlet`), `env` (default
 *   `process.env`): see {@link LoadOptions}.
 * @throws ManifestError (`WASMLET_ERR_MANIFEST`, blame user) for an invalid manifest or runtime
 *   config, a label with no backend, a required variable with no value, a source that is not
 *   Wasm, or a path that holds no app; the message says what to do.
 */
export async function loadApp(pathOrDir: string, options: LoadOptions = {}): Promise<LockedApp> {
  const target = resolve(pathOrDir);
  let st;
  try {
    st = await stat(target);
  } catch (err) {
    throw new WasmletError('WASMLET_ERR_MANIFEST', `${target} does not exist — pass an app directory, a wasmlet.toml/spin.toml, or a .wasm file`,
      { blame: 'user', cause: err });
  }

  let app: LockedApp;
  let parsed: ParsedManifest | undefined;
  let text = ''; // manifest source, to put line numbers on the problems found below
  if (st.isDirectory()) {
    let manifest: string | undefined;
    for (const name of MANIFEST_NAMES) {
      if (await isFile(join(target, name))) { manifest = join(target, name); break; }
    }
    if (!manifest) {
      throw new WasmletError('WASMLET_ERR_MANIFEST', `no wasmlet.toml or spin.toml in ${target} — create one, or pass a manifest or .wasm path`,
        { blame: 'user' });
    }
    text = await readFile(manifest, 'utf8');
    parsed = parseManifestDocument(text, manifest);
    app = parsed.app;
  } else if (target.endsWith('.wasm')) {
    const name = basename(target, '.wasm');
    app = {
      name, dir: dirname(target),
      components: {
        main: {
          id: 'main', source: target, files: [], environment: {}, allowedOutboundHosts: [], keyValueStores: [],
          sqliteDatabases: [], variables: {}, secretVariables: [], limits: {},
        },
      },
      triggers: { http: [{ route: '/...', component: 'main', executor: { type: 'auto' } }] },
      variables: {}, backends: { keyValueStores: {}, sqliteDatabases: {} }, stateDir: join(dirname(target), '.wasmlet'),
    };
  } else {
    text = await readFile(target, 'utf8');
    parsed = parseManifestDocument(text, target);
    app = parsed.app;
  }

  // Host services: runtime config, store backends, variables (separate from the binary checks below).
  await resolveHostServices(app, parsed, text, options);

  // Resolve `auto` executors (and check that every served binary is Wasm at all).
  const problems: ManifestDiagnostic[] = [];
  const problem = (path: (string | number)[], message: string) => {
    const line = text === '' ? undefined : locateKey(text, path);
    problems.push(line === undefined ? { message } : { line, message });
  };
  const kinds = new Map<string, WasmBinaryKind>();
  /** The component's binary kind, inspected once (sets `binary`; reports a source that is not Wasm). */
  const kindOf = async (component: LockedComponent): Promise<WasmBinaryKind> => {
    let kind = kinds.get(component.id);
    if (kind !== undefined) return kind;
    try {
      const binary = await inspectBinary(component.source);
      kind = binary.kind;
      if (kind !== 'not-wasm') component.binary = { kind, sha256: binary.sha256 };
    } catch { kind = 'not-wasm'; }
    kinds.set(component.id, kind);
    if (kind === 'not-wasm') {
      problem(['component', component.id, 'source'], `source ${component.source} of component \`${component.id}\` is not a WebAssembly module or component — rebuild it`);
    }
    return kind;
  };
  for (const [i, route] of app.triggers.http.entries()) {
    const component = app.components[route.component]!;
    const kind = await kindOf(component);
    const routeName = route.private ? 'private route' : `route \`${route.route}\``;
    if (route.executor.type === 'auto' && kind !== 'not-wasm') {
      route.executor = kind === 'module' ? { type: 'wagi', argv: DEFAULT_WAGI_ARGV, entrypoint: '_start' } : { type: 'wasi-http' };
    } else if (route.executor.type === 'wagi' && kind === 'component') {
      problem(['trigger', 'http', i, 'executor'], `${routeName}: executor "wagi" needs a core module, but component \`${component.id}\` is a component — remove the executor or set type = "wasi-http"`);
    } else if (route.executor.type === 'wasi-http' && kind === 'module') {
      problem(['trigger', 'http', i, 'executor'], `${routeName}: executor "wasi-http" needs a component, but \`${component.id}\` is a core module — use executor = { type = "wagi" }`);
    }
  }
  // Redis and cron triggers call a component's exported handler: a core module cannot serve them.
  for (const type of ['redis', 'cron'] as const) {
    for (const [i, trigger] of (app.triggers[type] ?? []).entries()) {
      const component = app.components[trigger.component]!;
      if (await kindOf(component) === 'module') {
        problem(['trigger', type, i, 'component'], `trigger.${type}[${i}]: component \`${component.id}\` is a core module, but ${type} triggers call a WebAssembly component's exported handler — build it as a component (e.g. Spin's SDK ${type === 'redis' ? '`spin-redis`' : 'cron'} world)`);
      }
    }
  }
  if (problems.length > 0) throw new ManifestError(app.manifestPath ?? target, problems);
  app.cacheDir = defaultCacheDir(app.dir);
  return app;
}
