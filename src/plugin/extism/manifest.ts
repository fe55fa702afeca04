// Extism manifests: what `createPlugin` accepts as its source, resolved to module bytes and the
// manifest's own options. Shapes and texts follow js-sdk (extism/js-sdk src/manifest.ts and
// src/interfaces.ts at v2.0.0-rc13); the JSON form also takes the Rust runtime's snake_case keys
// (extism/extism manifest/src/lib.rs: `allowed_hosts`, `memory.max_pages`, `timeout_ms`, ...).
import { readFile } from 'node:fs/promises';
import { createHash, timingSafeEqual } from 'node:crypto';
import { WasmletError } from '../../util/errors.ts';

/** Extism `memory` limits, plus wasmlet's own (marked). */
export interface MemoryOptions {
  /** Cap on the plugin's live kernel memory (blocks from `alloc`), in 64 KiB pages; past it `alloc` returns 0. */
  maxPages?: number;
  /** Cap on one HTTP response body, bytes; a longer body fails that request (0 returned to the plugin). */
  maxHttpResponseBytes?: number;
  /** Cap on the bytes of all vars together; past it the call fails with `var memory limit exceeded: ...`. */
  maxVarBytes?: number;
  /** wasmlet: cap on one call's output, bytes; past it the call rejects. */
  maxOutputBytes?: number;
  /**
   * wasmlet: cap on each linear memory of each of the plugin's modules, bytes (whole 64 KiB
   * pages): `memory.grow` past it fails (-1) as in Wasmtime; a module whose initial memory is larger fails to load
   * (`WASMLET_ERR_MEMORY_LIMIT`). Not available for a `{ module }` item (its bytes are needed).
   */
  maxLinearMemoryBytes?: number;
}

/**
 * A module given as bytes. `name`: what other items import it by (`main` is the plugin; default:
 * see {@link resolveManifest}); `hash`: its expected sha256, hex.
 */
export interface ManifestWasmData { data: Uint8Array | ArrayBuffer; name?: string; hash?: string }
/** A module read from a file path. */
export interface ManifestWasmPath { path: string; name?: string; hash?: string }
/** A module fetched from a URL (`hash`: its expected sha256, hex). */
export interface ManifestWasmUrl { url: string | URL; name?: string; hash?: string }
/** An already compiled module (no hash check, no linear-memory cap). */
export interface ManifestWasmModule { module: WebAssembly.Module; name?: string; hash?: never }
export type ManifestWasm = ManifestWasmData | ManifestWasmPath | ManifestWasmUrl | ManifestWasmModule;

/** An Extism manifest. */
export interface Manifest {
  /** The modules: the one named `main` (default: the last) is the plugin, the others are linked into it by name. */
  wasm: ManifestWasm[];
  /** `config_get` values. */
  config?: Record<string, string>;
  /** Host globs `http_request` may reach (`*.example.com`). Default: none. */
  allowedHosts?: string[];
  /** Guest path -> host directory preopened for WASI (`ro:` prefix: read-only). Default: none. */
  allowedPaths?: Record<string, string>;
  memory?: MemoryOptions;
  /** Per-call wall-clock limit, ms; selects the worker mode. */
  timeoutMs?: number | null;
}

/** What `createPlugin` accepts: bytes, a path or URL (string or URL), a manifest JSON text, a compiled module, or a manifest. */
export type ManifestLike = Manifest | Uint8Array | ArrayBuffer | WebAssembly.Module | URL | string;

/** One `wasm` item resolved: its Extism name, and its bytes or its compiled module. */
export interface ResolvedModule {
  /** The name other modules import it by (`main`: the plugin itself); see {@link resolveManifest}. */
  name: string;
  /** Set for a `{ module }` item (then `bytes` is null). */
  module: WebAssembly.Module | null;
  /** The module's bytes (hash already checked), for every other item. */
  bytes: Uint8Array | null;
}

/** A manifest resolved: every module, in the manifest's order, named. */
export interface ResolvedManifest {
  manifest: Manifest;
  modules: ResolvedModule[];
  /** Index in `modules` of the one named `main`. */
  main: number;
}

function bad(message: string): WasmletError {
  return new WasmletError('WASMLET_ERR_EXTISM_MANIFEST', message, { blame: 'user' });
}

/**
 * Extism's runtime manifest (`extism-manifest` `allowed_paths`, Rust) maps a host path to the guest
 * path it appears at, `ro:` prefixing the host path (`{ "ro:./data": "/data" }`); js-sdk's
 * `allowedPaths` maps guest -> host. Turns the first into the second (js-sdk passes the snake_case
 * map through unturned, mounting host `/data` at a guest path named `ro:./data`).
 */
function guestToHost(allowed: unknown): Record<string, string> | undefined {
  if (allowed === undefined || allowed === null) return undefined;
  if (typeof allowed !== 'object') throw bad('allowed_paths: expected an object mapping host paths to guest paths');
  const out: Record<string, string> = {};
  for (const [host, guest] of Object.entries(allowed as Record<string, unknown>)) {
    if (typeof guest !== 'string') throw bad(`allowed_paths["${host}"]: expected the guest path as a string`);
    out[guest] = host;
  }
  return out;
}

function fromJson(text: string): Manifest {
  const p = JSON.parse(text);
  const mem = p.memory;
  return {
    wasm: p.wasm,
    timeoutMs: p.timeoutMs ?? p.timeout_ms,
    allowedPaths: p.allowedPaths ?? guestToHost(p.allowed_paths),
    allowedHosts: p.allowedHosts ?? p.allowed_hosts,
    config: p.config,
    ...(mem ? {
      memory: {
        maxHttpResponseBytes: mem.maxHttpResponseBytes ?? mem.max_http_response_bytes,
        maxPages: mem.maxPages ?? mem.max_pages,
        maxVarBytes: mem.maxVarBytes ?? mem.max_var_bytes,
      },
    } : {}),
  };
}

/** Turns any {@link ManifestLike} into a manifest (js-sdk `_populateWasmField`). */
export function toManifest(source: ManifestLike): Manifest {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return { wasm: [{ data: source }] };
  if (source instanceof WebAssembly.Module) return { wasm: [{ module: source }] };
  if (source instanceof URL) return { wasm: [{ url: source }] };
  if (typeof source === 'string') {
    if (/^\s*\{/.test(source)) return fromJson(source);
    if (/^(https?|file):\/\//.test(source)) return { wasm: [{ url: source }] };
    return { wasm: [{ path: source }] };
  }
  if (source === null || typeof source !== 'object' || !('wasm' in source)) throw bad('Expected "wasm" key in manifest');
  if (!Array.isArray(source.wasm)) throw bad('Expected "manifest.wasm" to be array');
  const badIdx = source.wasm.findIndex((i) => !('data' in i) && !('url' in i) && !('path' in i) && !('module' in i));
  if (badIdx > -1) {
    throw bad(`Expected every item in "manifest.wasm" to include either a "data", "url", or "path" key; got bad item at index ${badIdx}`);
  }
  return { ...source };
}

async function bytesOf(item: ManifestWasm): Promise<Uint8Array | null> {
  if ('data' in item) return item.data instanceof Uint8Array ? item.data : new Uint8Array(item.data);
  if ('path' in item) return readFile(item.path);
  if ('url' in item) {
    const url = new URL(item.url);
    if (url.protocol === 'file:') return readFile(url);
    const res = await fetch(url, { headers: { accept: 'application/wasm;q=0.9,application/octet-stream;q=0.8' } });
    if (!res.ok) throw bad(`fetching the plugin ${url} failed: HTTP ${res.status}; check the manifest's "url"`);
    return new Uint8Array(await res.arrayBuffer());
  }
  return null;
}

/** The sha256 of `bytes` checked against `hash` (hex); returns the actual hash, hex. */
function checkHash(bytes: Uint8Array, hash: string): string {
  const actual = createHash('sha256').update(bytes).digest();
  const expected = Buffer.from(/^[0-9a-f]{64}$/i.test(hash) ? hash : '', 'hex');
  // constant time, as js-sdk's loop is meant to be
  if (expected.length !== 32 || !timingSafeEqual(expected, actual)) {
    throw bad(`Plugin error: hash mismatch. Expected: ${hash}. Actual: ${actual.toString('hex')}`);
  }
  return actual.toString('hex');
}

/** One item: read or fetched, its `hash` checked, named. */
async function resolveItem(item: ManifestWasm, idx: number, count: number): Promise<ResolvedModule> {
  // js-sdk's default: the last item is `main`, another is named by its sha256 (when it has a
  // `hash`) or else by its index.
  const byDefault = (hashName: string | null): string => item.name ?? (idx === count - 1 ? 'main' : hashName ?? String(idx));
  if ('module' in item) {
    if (item.hash) throw bad('Item specified a hash but WebAssembly.Module source data is unavailable for hashing');
    return { name: byDefault(null), module: item.module, bytes: null };
  }
  const bytes = (await bytesOf(item))!;
  return { name: byDefault(item.hash ? checkHash(bytes, item.hash) : null), module: null, bytes };
}

/**
 * Resolves `source`: reads or fetches every module of `wasm`, checks each `hash`, and names each
 * as js-sdk does (extism/js-sdk src/manifest.ts `toWasmModuleData` at v2.0.0-rc13): an item's
 * `name`; else `main` for the last item; else the sha256 hex of an item with a `hash`; else its
 * index (`"0"`). The module named `main` is the plugin; the others are there to be imported by
 * name (Extism's manifest: "the `main` module should be named `main` or listed last", extism/extism
 * manifest/src/lib.rs `Manifest.wasm`, `WasmMetadata.name`).
 * @throws WasmletError `WASMLET_ERR_EXTISM_MANIFEST` (blame user) for a malformed manifest, a
 *   hash on a `{ module }` item, a hash mismatch (`Plugin error: hash mismatch. Expected: H.
 *   Actual: A`, js-sdk's text), no module named `main` (`manifest with multiple modules must
 *   designate one "main" module`, js-sdk's text, which a single item named otherwise gets too),
 *   or two modules with one name (js-sdk would silently link the first).
 */
export async function resolveManifest(source: ManifestLike): Promise<ResolvedManifest> {
  const manifest = toManifest(source);
  const modules = await Promise.all(manifest.wasm.map((item, idx, all) => resolveItem(item, idx, all.length)));
  const names = modules.map((m) => m.name);
  const main = names.indexOf('main');
  if (main === -1) throw bad('manifest with multiple modules must designate one "main" module');
  const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
  if (dup !== -1) {
    throw bad(`manifest.wasm items ${names.indexOf(names[dup]!)} and ${dup} are both named "${names[dup]}": give each module a distinct "name" (an unnamed item is named by its index, or its sha256 when it has a "hash")`);
  }
  return { manifest, modules, main };
}
