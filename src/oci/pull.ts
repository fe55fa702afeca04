// `wasmlet registry pull` and `serve --from-registry`: fetch an artifact, verify every blob's
// sha256, and write a runnable app dir (a `wasmlet.toml` plus the binaries and files). Layouts:
// Spin's (a `application/vnd.fermyon.spin.application.v1+config` layer holding the locked app; or,
// from older Spin, the locked app as the manifest's config) and the single-Wasm layout `wkg oci
// push` writes (config `application/vnd.wasm.config.v0+json`, one `application/wasm` layer).
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WasmletError } from '../util/errors.ts';
import { digestOf } from './digest.ts';
import {
  DOCKER_MANIFEST_LIST, OCI_INDEX, SPIN_APPLICATION_LAYER, SPIN_WASM_LAYER, WASM_CONFIG, WASM_LAYER,
} from './media-types.ts';
import type { Descriptor, ImageIndex, ImageManifest } from './media-types.ts';
import { appPath, blobPath } from './oci-cache.ts';
import type { Reference } from './reference.ts';
import type { ProgressFn, RegistryClient } from './registry-client.ts';
import { bareWasmManifest, planSpinApp } from './spin-locked-app.ts';
import type { ContentPlacement } from './spin-locked-app.ts';

/** Options of {@link pullApp}. */
export interface PullOptions {
  /** The cache root (see `oci-cache.ts`). */
  cacheDir: string;
  /** Write the app here (must not exist, or be an empty dir); default: the cache's app dir. */
  outDir?: string;
  /** One call per blob: fetched, or found in the cache. */
  onBlob?: (e: { label: string; digest: string; size: number; cached: boolean }) => void;
  onProgress?: (label: string, ...args: Parameters<ProgressFn>) => void;
}

/** The result of a pull. */
export interface PullResult {
  /** The app dir (holds `wasmlet.toml`). */
  dir: string;
  /** The image manifest's digest. */
  digest: string;
  layout: 'spin' | 'wasm';
  /** True when the app dir was already in the cache and nothing was fetched. */
  reused: boolean;
}

function artifactError(message: string): WasmletError {
  return new WasmletError('WASMLET_ERR_ARTIFACT', message, { blame: 'user' });
}

async function exists(path: string): Promise<boolean> {
  try { await stat(path); return true; } catch { return false; }
}

/** Fetches the image manifest of `ref`, following an index to its wasm (or only) entry. */
async function resolveManifest(client: RegistryClient, ref: Reference): Promise<{ manifest: ImageManifest; digest: string }> {
  let fetched = await client.getManifest(ref.digest ?? ref.tag ?? 'latest');
  let json = JSON.parse(fetched.bytes.toString('utf8')) as ImageManifest | ImageIndex;
  if ('manifests' in json || fetched.mediaType === OCI_INDEX || fetched.mediaType === DOCKER_MANIFEST_LIST) {
    const entries = (json as ImageIndex).manifests ?? [];
    const pick = entries.find((m) => m.platform?.architecture === 'wasm') ?? (entries.length === 1 ? entries[0] : undefined);
    if (!pick) throw artifactError(`${client.repository}: the index lists ${entries.length} manifests and none is for architecture wasm`);
    fetched = await client.getManifest(pick.digest);
    if (fetched.digest !== pick.digest) throw new WasmletError('WASMLET_ERR_DIGEST_MISMATCH', `manifest ${pick.digest} does not match its digest: got ${fetched.digest}`);
    json = JSON.parse(fetched.bytes.toString('utf8')) as ImageManifest;
  }
  const manifest = json as ImageManifest;
  if (!manifest.config || !Array.isArray(manifest.layers)) throw artifactError(`${client.repository}: the manifest is not an image manifest`);
  return { manifest, digest: fetched.digest };
}

/**
 * Pulls `ref` into an app dir. With no `outDir`, the app dir is `<cache>/apps/sha256-<digest>` and
 * is reused when already there (only the manifest is fetched). Every blob goes through the blob
 * cache (fetched unless present; a fetched blob is kept only when its sha256 matches). The app dir
 * is assembled in a temporary sibling and renamed in whole: a failure leaves nothing behind.
 * @throws WasmletError `WASMLET_ERR_DIGEST_MISMATCH` naming the layer and both digests;
 *   `WASMLET_ERR_ARTIFACT` for a layout wasmlet cannot run; `WASMLET_ERR_REGISTRY[_AUTH]`;
 *   `WASMLET_ERR_USAGE` when `outDir` exists and is not empty.
 */
export async function pullApp(client: RegistryClient, ref: Reference, options: PullOptions): Promise<PullResult> {
  const { manifest, digest } = await resolveManifest(client, ref);
  const target = options.outDir ?? appPath(options.cacheDir, digest);
  if (options.outDir === undefined && await exists(join(target, 'wasmlet.toml'))) {
    return { dir: target, digest, layout: await exists(join(target, 'spin.lock')) ? 'spin' : 'wasm', reused: true };
  }
  if (options.outDir !== undefined && await exists(target) && (await readdir(target)).length > 0) {
    throw new WasmletError('WASMLET_ERR_USAGE', `${target} exists and is not empty — pick another -o directory`, { blame: 'user' });
  }

  const fetchBlob = async (desc: Descriptor, label: string): Promise<string> => {
    const dest = blobPath(options.cacheDir, desc.digest);
    const cached = await exists(dest);
    if (!cached) {
      await mkdir(dirname(dest), { recursive: true });
      await client.pullBlob(desc, dest, label, (done, total) => options.onProgress?.(label, done, total));
    }
    options.onBlob?.({ label, digest: desc.digest, size: desc.size, cached });
    return dest;
  };

  const lockedDesc = manifest.layers.find((l) => l.mediaType === SPIN_APPLICATION_LAYER)
    ?? (manifest.config.mediaType === SPIN_APPLICATION_LAYER ? manifest.config : undefined);
  const wasmLayers = manifest.layers.filter((l) => l.mediaType === WASM_LAYER || l.mediaType === SPIN_WASM_LAYER);
  const name = client.repository.split('/').at(-1)!.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'main';

  let files: { manifest: string; lock?: Buffer; placements: ContentPlacement[] };
  let layout: PullResult['layout'];
  if (lockedDesc) {
    layout = 'spin';
    const lockPath = await fetchBlob(lockedDesc, `layer ${manifest.layers.indexOf(lockedDesc)} (${lockedDesc.mediaType})`);
    const lock = await readFile(lockPath);
    const plan = planSpinApp(lock, name);
    files = { ...plan, lock };
  } else if (wasmLayers.length === 1 && (manifest.config.mediaType === WASM_CONFIG || manifest.layers.length === 1)) {
    layout = 'wasm';
    files = { manifest: bareWasmManifest(name, name), placements: [{ target: `components/${name}.wasm`, digest: wasmLayers[0]!.digest }] };
  } else {
    throw artifactError(`${client.repository}: not a Spin app or a single-Wasm artifact (config ${manifest.config.mediaType}, layers ${manifest.layers.map((l) => l.mediaType).join(', ') || 'none'})`);
  }

  // Fetch what the placements need (each layer once; layers nothing refers to are skipped).
  const byDigest = new Map(manifest.layers.map((l, i) => [l.digest, { desc: l, index: i }]));
  const local = new Map<string, string>();
  for (const p of files.placements) {
    if (p.inline !== undefined) {
      if (p.digest !== undefined && digestOf(p.inline) !== p.digest) {
        throw new WasmletError('WASMLET_ERR_DIGEST_MISMATCH', `inline content of ${p.target} does not match its digest: expected ${p.digest}, got ${digestOf(p.inline)}`);
      }
      continue;
    }
    if (local.has(p.digest!)) continue;
    const layer = byDigest.get(p.digest!);
    if (!layer) throw artifactError(`${p.target} refers to ${p.digest}, which is not a layer of the manifest`);
    local.set(p.digest!, await fetchBlob(layer.desc, `layer ${layer.index} (${layer.desc.mediaType}) for ${p.target}`));
  }

  // Assemble beside the target, then rename in whole.
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${randomBytes(6).toString('hex')}.partial`;
  try {
    await mkdir(tmp);
    for (const p of files.placements) {
      const dest = join(tmp, p.target);
      await mkdir(dirname(dest), { recursive: true });
      if (p.inline !== undefined) await writeFile(dest, p.inline);
      // The cache's app dirs share the blobs' inodes; an -o dir gets its own copies (the user may edit them).
      else if (options.outDir === undefined) await link(local.get(p.digest!)!, dest).catch(() => copyFile(local.get(p.digest!)!, dest));
      else await copyFile(local.get(p.digest!)!, dest);
    }
    await writeFile(join(tmp, 'wasmlet.toml'), files.manifest);
    if (files.lock) await writeFile(join(tmp, 'spin.lock'), files.lock);
    if (await exists(target)) await rm(target, { recursive: true }); // an empty -o dir, or a cache dir without its manifest
    try {
      await rename(tmp, target);
    } catch (err) {
      // Another pull of the same digest finished first: its app dir is the same content.
      if (options.outDir !== undefined || !await exists(join(target, 'wasmlet.toml'))) throw err;
      await rm(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { dir: target, digest, layout, reused: false };
}
