// Builds components with Spin's real JavaScript SDK, `@fermyon/spin-sdk` from npm, the way its
// own `j2w` does (`bin/j2w.mjs`: componentize-js on the bundled guest, against the SDK's
// `bin/wit`, world `spin-http` or `spin-redis`), so the tests run what a Spin user ships.
//
// The package cannot be `npm install`ed (its `@fermyon/knitwit` dependency is a GitHub URL), so
// it is fetched with `npm pack` at a pinned version into test/fixtures/.build/npm/, with
// `itty-router` (the one runtime dependency of its `lib/`). Instead of a bundler (the SDK's docs
// use webpack), the SDK's ES modules are given to componentize-js as files: StarlingMonkey reads
// a guest's relative imports at build time, so only import specifiers need mapping (see
// {@link mapImportSpecifiers}). The SDK's WIT (written for componentize-js 0.10) needs two
// mechanical edits for componentize-js 0.23: `float32`/`float64` become `f32`/`f64` (renamed in
// WIT), and the WASI packages, `@0.2.0`, are relabelled to the version componentize-js 0.23's
// StarlingMonkey imports and exports (`@0.2.10`).
//
// Use: `buildSpinSdkComponent('path/to/guest.js')` in a test, or from a shell (an example's
// `[component.x.build]`): `node test/support/spin-sdk.ts <guest.js> <out.wasm> [world]`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { buildDir } from './fixtures.ts';
import { componentizeInChild, componentizeVersion, memoAsync } from './components.ts';

/** The `@fermyon/spin-sdk` version the tests build with (the 2.x line: `fermyon:spin@2.0.0`). */
export const SPIN_SDK_VERSION = '2.0.0';
/** The `itty-router` version, inside the SDK's `^3.0.12` range, its `Router` wraps. */
export const ITTY_ROUTER_VERSION = '3.0.12';
/** The WASI 0.2 version componentize-js 0.23's StarlingMonkey imports and exports. */
const COMPONENTIZE_WASI_VERSION = '0.2.10';

/** The SDK's worlds (`bin/wit/spin.wit`): an HTTP handler, or a Redis message handler. */
export type SpinSdkWorld = 'spin-http' | 'spin-redis';

/** The `fermyon:spin` interfaces the SDK's `spin-imports` world imports, which every SDK component imports. */
export const SPIN_SDK_IMPORTS = ['key-value', 'llm', 'mqtt', 'mysql', 'postgres', 'rdbms-types', 'redis', 'sqlite', 'variables']
  .map((name) => `fermyon:spin/${name}@2.0.0`);

/** The SDK, ready for componentize-js: directories under test/fixtures/.build/. */
export interface PreparedSpinSdk {
  /** The SDK's `lib/` (ES modules) with its imports mapped to files; `index.js` is the entry. */
  lib: string;
  /** The SDK's `bin/wit/` with the two edits componentize-js 0.23 needs. */
  wit: string;
}

/** `npm pack`s `name@version` once into test/fixtures/.build/npm/ and returns the unpacked `package/` directory. */
function npmPackage(name: string, version: string): string {
  const dir = join(buildDir, 'npm', `${name.replace('/', '+')}-${version}`);
  if (existsSync(join(dir, 'package/package.json'))) return join(dir, 'package');
  mkdirSync(join(buildDir, 'npm'), { recursive: true });
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    const tarball = execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', tmp],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1)!;
    execFileSync('tar', ['xzf', join(tmp, tarball), '-C', tmp]);
    rmSync(join(tmp, tarball));
    renameSync(tmp, dir); // atomic: a parallel test file either sees the whole package or packs its own
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(join(dir, 'package/package.json'))) throw err; // else another process won the rename
  }
  return join(dir, 'package');
}

/**
 * Rewrites the module specifiers of static `import ... from '...'`, `export ... from '...'` and
 * `import '...'` statements in `js` through `map` (undefined: left as is). A scanner for the
 * SDK's compiled output and plain guest files, not a JS parser: a specifier-like string inside
 * a comment or template literal would be rewritten too.
 */
export function mapImportSpecifiers(js: string, map: (specifier: string) => string | undefined): string {
  return js.replace(/(\b(?:import|export)\b[^'";]*?\bfrom\s*|\bimport\s*)(['"])([^'"\n]+)\2/g,
    (all, head: string, quote: string, spec: string) => {
      const mapped = map(spec);
      return mapped === undefined ? all : `${head}${quote}${mapped}${quote}`;
    });
}

/**
 * The WIT edits componentize-js 0.23 needs on the SDK's `bin/wit` (see the file comment):
 * `float32`/`float64` types renamed, `wasi:*@0.2.0` relabelled to {@link COMPONENTIZE_WASI_VERSION}.
 */
export function editSpinSdkWit(wit: string): string {
  return wit
    .replace(/\bfloat32\b/g, 'f32')
    .replace(/\bfloat64\b/g, 'f64')
    .replace(/(\bwasi:[a-z0-9-]+(?:\/[a-z0-9-]+)?)@0\.2\.0(?![\d-])/g, `$1@${COMPONENTIZE_WASI_VERSION}`);
}

/**
 * Fetches (once) and prepares the SDK for componentize-js: `lib/` with relative imports given
 * their `.js` extension and `itty-router` mapped to its ES module, `wit/` edited.
 * @throws when `npm pack` fails (no registry access) or the package lacks `lib/` or `bin/wit/`.
 */
export function prepareSpinSdk(): PreparedSpinSdk {
  // Keyed by this file too: a change to the mapping or the WIT edits prepares the SDK afresh.
  const self = createHash('sha256').update(readFileSync(import.meta.filename)).digest('hex').slice(0, 12);
  const out = join(buildDir, `spin-sdk-${SPIN_SDK_VERSION}-prepared-${self}`);
  const prepared = { lib: join(out, 'lib'), wit: join(out, 'wit') };
  if (existsSync(out)) return prepared;
  const sdk = npmPackage('@fermyon/spin-sdk', SPIN_SDK_VERSION);
  const itty = npmPackage('itty-router', ITTY_ROUTER_VERSION);
  const tmp = mkdtempSync(`${out}.tmp-`);
  try {
    mkdirSync(join(tmp, 'lib'));
    copyFileSync(join(itty, 'dist/itty-router.mjs'), join(tmp, 'lib/itty-router.mjs'));
    for (const name of readdirSync(join(sdk, 'lib'))) {
      if (!name.endsWith('.js')) continue; // .d.ts, types/
      const js = readFileSync(join(sdk, 'lib', name), 'utf8');
      writeFileSync(join(tmp, 'lib', name), mapImportSpecifiers(js, (spec) =>
        spec === 'itty-router' ? './itty-router.mjs'
          : spec.startsWith('.') && extname(spec) === '' ? `${spec}.js` : undefined));
    }
    cpSync(join(sdk, 'bin/wit'), join(tmp, 'wit'), { recursive: true });
    for (const entry of readdirSync(join(tmp, 'wit'), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.wit')) continue;
      const file = join(entry.parentPath, entry.name);
      writeFileSync(file, editSpinSdkWit(readFileSync(file, 'utf8')));
    }
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(out)) throw err;
  }
  return prepared;
}

/**
 * Builds a guest written against the Spin JS SDK (`import { Kv } from '@fermyon/spin-sdk'`) into
 * a component of the SDK's world `world`, memoized on disk by the guest's source, the SDK and
 * componentize-js versions and this file; returns the component's path. The guest is one ES
 * module; `@fermyon/spin-sdk` is its only non-component import. ~15 s when not cached.
 * @throws when the SDK cannot be fetched or componentize-js rejects the guest.
 */
export async function buildSpinSdkComponent(source: string, world: SpinSdkWorld = 'spin-http'): Promise<string> {
  const path = resolve(source);
  const js = readFileSync(path, 'utf8');
  const inputs = [js, world, SPIN_SDK_VERSION, ITTY_ROUTER_VERSION, componentizeVersion, readFileSync(import.meta.filename)];
  return memoAsync(`spin-sdk-${basename(path, extname(path))}`, inputs, async (tmp) => {
    const sdk = prepareSpinSdk();
    const stage = mkdtempSync(join(tmpdir(), 'wasmlet-spin-sdk-'));
    try {
      cpSync(sdk.lib, join(stage, 'spin-sdk'), { recursive: true });
      const entry = join(stage, basename(path));
      writeFileSync(entry, mapImportSpecifiers(js, (spec) => spec === '@fermyon/spin-sdk' ? './spin-sdk/index.js' : undefined));
      await componentizeInChild(entry, sdk.wit, world, tmp);
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  });
}

if (import.meta.main) {
  const [source, out, world = 'spin-http'] = process.argv.slice(2);
  if (source === undefined || out === undefined || (world !== 'spin-http' && world !== 'spin-redis')) {
    process.stderr.write('usage: node test/support/spin-sdk.ts <guest.js> <out.wasm> [spin-http|spin-redis]\n');
    process.exit(2);
  }
  copyFileSync(await buildSpinSdkComponent(source, world), out);
}
