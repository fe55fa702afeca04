// `wasmlet registry push`: a loaded app as an OCI image manifest in Spin's layout
// (spinframework/spin `crates/oci/src/client.rs`, `push_locked_core` / `assemble_layers_uncomposed`
// in `AssemblyMode::Simple`): one `...layer.v1+wasm` layer per component binary, one `...+data`
// layer per static file (files of at most 128 bytes inlined instead), deduplicated, then the
// locked app JSON layer last; an OCI image config whose label names the locked app's digest.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import type { LockedApp } from '../app/locked-app.ts';
import { parseManifestDocument } from '../app/manifest/parse-manifest.ts';
import { digestOf, digestOfFile } from './digest.ts';
import {
  OCI_IMAGE_CONFIG, OCI_MANIFEST, SPIN_APPLICATION_LAYER, SPIN_DATA_LAYER, SPIN_WASM_LAYER,
} from './media-types.ts';
import type { Descriptor, ImageManifest } from './media-types.ts';
import type { Reference } from './reference.ts';
import type { ProgressFn, RegistryClient } from './registry-client.ts';
import { INLINE_MAX_BYTES, toSpinLockedApp } from './spin-locked-app.ts';
import type { DeclaredVariables, PushedComponentContent, SpinContentPath } from './spin-locked-app.ts';

/** What happens during a push, for progress output: one `blob` event per blob, then `done`. */
export type PushEvent =
  | { kind: 'blob'; label: string; digest: string; size: number; skipped: boolean }
  | { kind: 'start-blob'; label: string; digest: string; size: number };

/** Options of {@link pushApp}. */
export interface PushOptions {
  onEvent?: (e: PushEvent) => void;
  /** Bytes sent of the blob being uploaded. */
  onProgress?: (label: string, ...args: Parameters<ProgressFn>) => void;
  /** `org.opencontainers.image.created`; default now (Spin sets it on every push). */
  created?: Date;
}

/** The result of a push. */
export interface PushResult {
  /** The manifest's digest, `sha256:<hex>`. */
  digest: string;
  /** Every blob of the manifest (config first), with whether it was already in the registry. */
  blobs: { label: string; digest: string; size: number; skipped: boolean }[];
}

interface PendingBlob { desc: Descriptor; label: string; source: string | Uint8Array }

// Every regular file under `dir`, depth first in name order (Spin walks with WalkDir).
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...await filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * The variables as the manifest declares them: the locked app holds resolved values (possibly
 * from secrets or the environment), which must never be pushed; Spin pushes the declarations.
 */
async function declaredVariables(app: LockedApp): Promise<DeclaredVariables> {
  const out: DeclaredVariables = { app: {}, components: {} };
  if (app.manifestPath === undefined) return out;
  const doc = parseManifestDocument(await readFile(app.manifestPath, 'utf8'), app.manifestPath);
  for (const [name, v] of Object.entries(doc.variables.declared)) {
    const d = doc.variables.defaults[name];
    out.app[name] = { ...(v.description === undefined ? {} : { description: v.description }), ...(d === undefined ? {} : { default: d }), ...(v.secret ? { secret: true } : {}) };
  }
  for (const [id, templates] of Object.entries(doc.templates)) {
    const config: Record<string, string> = {};
    for (const [name, parts] of Object.entries(templates)) {
      config[name] = parts.map((p) => ('lit' in p ? p.lit : `{{ ${p.expr} }}`)).join('');
    }
    if (Object.keys(config).length > 0) out.components[id] = config;
  }
  return out;
}

/**
 * Pushes `app` to `ref` (its tag, or its digest when it pins one) through `client`. Each blob is
 * checked with `HEAD` first and uploaded only when the registry lacks it.
 * @throws WasmletError `WASMLET_ERR_REGISTRY` / `WASMLET_ERR_REGISTRY_AUTH` from the client; a
 *   Node fs error when a source or file cannot be read.
 */
export async function pushApp(client: RegistryClient, ref: Reference, app: LockedApp, options: PushOptions = {}): Promise<PushResult> {
  const pending = new Map<string, PendingBlob>();
  const add = (b: PendingBlob) => { if (!pending.has(b.desc.digest)) pending.set(b.desc.digest, b); };
  const content: Record<string, PushedComponentContent> = {};
  for (const c of Object.values(app.components)) {
    const { digest, size } = await digestOfFile(c.source);
    add({ desc: { mediaType: SPIN_WASM_LAYER, digest, size }, label: `component ${c.id} (wasm)`, source: c.source });
    const files: SpinContentPath[] = [];
    for (const mount of c.files) {
      const guestBase = mount.guestPath.replace(/^\/+/, '');
      const st = await stat(mount.hostPath);
      const hostFiles = st.isDirectory() ? await filesUnder(mount.hostPath) : [mount.hostPath];
      for (const hostFile of hostFiles) {
        const rel = st.isDirectory() ? relative(mount.hostPath, hostFile).split(sep).join('/') : '';
        const path = posix.join(guestBase, rel);
        const f = await digestOfFile(hostFile);
        if (f.size <= INLINE_MAX_BYTES) {
          // Spin inlines small files (some registries refuse tiny blobs) and pushes no layer.
          files.push({ inline: (await readFile(hostFile)).toString('base64'), digest: f.digest, path });
        } else {
          files.push({ digest: f.digest, path });
          add({ desc: { mediaType: SPIN_DATA_LAYER, digest: f.digest, size: f.size }, label: `component ${c.id} file ${path}`, source: hostFile });
        }
      }
    }
    content[c.id] = { sourceDigest: digest, files };
  }
  const lockedBytes = Buffer.from(JSON.stringify(toSpinLockedApp(app, content, await declaredVariables(app))));
  const lockedDigest = digestOf(lockedBytes);
  add({ desc: { mediaType: SPIN_APPLICATION_LAYER, digest: lockedDigest, size: lockedBytes.length }, label: 'locked app (spin.lock)', source: lockedBytes });

  // image-spec `config.md`: architecture and os are required; Spin writes wasm / wasip1 and labels
  // the locked app's digest so that different apps get different image ids.
  const configBytes = Buffer.from(JSON.stringify({
    architecture: 'wasm', os: 'wasip1',
    config: { Labels: { 'com.fermyon.spin.lockedAppDigest': lockedDigest } },
    rootfs: { type: 'layers', diff_ids: [] },
  }));
  const config: PendingBlob = { desc: { mediaType: OCI_IMAGE_CONFIG, digest: digestOf(configBytes), size: configBytes.length }, label: 'config', source: configBytes };

  const annotations: Record<string, string> = { 'org.opencontainers.image.title': app.name };
  if (app.description !== undefined) annotations['org.opencontainers.image.description'] = app.description;
  if (app.version !== undefined) annotations['org.opencontainers.image.version'] = app.version;
  annotations['org.opencontainers.image.created'] = (options.created ?? new Date()).toISOString();
  const layers = [...pending.values()];
  const manifest: ImageManifest = {
    schemaVersion: 2, mediaType: OCI_MANIFEST, config: config.desc, layers: layers.map((l) => l.desc), annotations,
  };

  const blobs: PushResult['blobs'] = [];
  for (const b of [config, ...layers]) {
    const skipped = await client.hasBlob(b.desc.digest, true);
    if (!skipped) {
      options.onEvent?.({ kind: 'start-blob', label: b.label, digest: b.desc.digest, size: b.desc.size });
      await client.pushBlob(b.desc, b.source, (done, total) => options.onProgress?.(b.label, done, total));
    }
    options.onEvent?.({ kind: 'blob', label: b.label, digest: b.desc.digest, size: b.desc.size, skipped });
    blobs.push({ label: b.label, digest: b.desc.digest, size: b.desc.size, skipped });
  }
  const digest = await client.putManifest(ref.digest ?? ref.tag ?? 'latest', Buffer.from(JSON.stringify(manifest)), OCI_MANIFEST);
  return { digest, blobs };
}
