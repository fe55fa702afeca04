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
   * wasmlet: cap on the guest's own linear memory, bytes (whole 64 KiB pages): `memory.grow` past
   * it fails (-1) as in Wasmtime; a module whose initial memory is larger fails to load
   * (`WASMLET_ERR_MEMORY_LIMIT`). Not available for a `{ module }` item (its bytes are needed).
   */
  maxLinearMemoryBytes?: number;
}

/** A module given as bytes. `name`/`hash` as in Extism. */
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

/** A manifest resolved: the main module, and its bytes when known. */
export interface ResolvedManifest {
  manifest: Manifest;
  module: WebAssembly.Module | null;
  bytes: Uint8Array | null;
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

/**
 * Resolves `source`: reads or fetches the module, checks its `hash`.
 * @throws WasmletError `WASMLET_ERR_EXTISM_MANIFEST` (blame user) for a malformed manifest, more
 *   than one module (wasmlet links a single module), a hash on a `{ module }` item, or a hash
 *   mismatch (`Plugin error: hash mismatch. Expected: H. Actual: A`, js-sdk's text).
 */
export async function resolveManifest(source: ManifestLike): Promise<ResolvedManifest> {
  const manifest = toManifest(source);
  if (manifest.wasm.length !== 1) {
    throw bad(`the manifest lists ${manifest.wasm.length} modules; wasmlet's createPlugin runs exactly one (no linking of named modules yet)`);
  }
  const item = manifest.wasm[0]!;
  if ('module' in item) {
    if (item.hash) throw bad('Item specified a hash but WebAssembly.Module source data is unavailable for hashing');
    return { manifest, module: item.module, bytes: null };
  }
  const bytes = (await bytesOf(item))!;
  if (item.hash) {
    const actual = createHash('sha256').update(bytes).digest();
    const expected = Buffer.from(/^[0-9a-f]{64}$/i.test(item.hash) ? item.hash : '', 'hex');
    // constant time, as js-sdk's loop is meant to be
    if (expected.length !== 32 || !timingSafeEqual(expected, actual)) {
      throw bad(`Plugin error: hash mismatch. Expected: ${item.hash}. Actual: ${actual.toString('hex')}`);
    }
  }
  return { manifest, module: null, bytes };
}
