// Spin's locked-app JSON (spinframework/spin `crates/locked-app/src/locked.rs`), as Spin's OCI
// client puts it in the `application/vnd.fermyon.spin.application.v1+config` layer
// (`crates/oci/src/client.rs`, `push_locked_core`): sources and files point at layer digests, files
// of at most 128 bytes are inlined (base64) and get no layer. Only the fields wasmlet reads or
// writes are typed; the rest is passed over (Spin's own reader ignores unknown fields too, except
// those listed in `must_understand`).
import { stringify } from 'smol-toml';
import type { LockedApp } from '../app/locked-app.ts';
import { WasmletError } from '../util/errors.ts';

/** Spin's `ContentRef`: at least one of `source` (a URL), `inline` (base64), `digest`. */
export interface SpinContentRef {
  source?: string;
  inline?: string;
  digest?: string;
}

/** Spin's `ContentPath`: content mounted at `path`, relative to the guest's `/`. */
export interface SpinContentPath extends SpinContentRef {
  path: string;
}

/** Spin's `LockedComponent` (fields wasmlet uses). */
export interface SpinLockedComponent {
  id: string;
  metadata?: Record<string, unknown>;
  source: SpinContentRef & { content_type: string };
  env?: Record<string, string>;
  files?: SpinContentPath[];
  config?: Record<string, string>;
  dependencies?: Record<string, unknown>;
}

/** Spin's `LockedTrigger`. */
export interface SpinLockedTrigger {
  id: string;
  trigger_type: string;
  trigger_config: Record<string, unknown>;
}

/** Spin's `LockedApp`. */
export interface SpinLockedApp {
  spin_lock_version: number;
  must_understand?: string[];
  metadata?: Record<string, unknown>;
  host_requirements?: Record<string, unknown>;
  variables?: Record<string, unknown>;
  triggers: SpinLockedTrigger[];
  components: SpinLockedComponent[];
}

/** Content of at most this many bytes is inlined instead of pushed as a layer (Spin's `DEFAULT_CONTENT_REF_INLINE_MAX_SIZE`). */
export const INLINE_MAX_BYTES = 128;

/**
 * Variables as the manifest declares them (never resolved values, which may come from secrets):
 * application variables (Spin's `Variable`: `default` absent means required) and each
 * component's templates (Spin's component `config`, e.g. `"{{ api_key }}"`).
 */
export interface DeclaredVariables {
  app: Record<string, { description?: string; default?: string; secret?: boolean }>;
  components: Record<string, Record<string, string>>;
}

/** Where a wasmlet component's pushed content went: its Wasm layer digest and its files. */
export interface PushedComponentContent {
  sourceDigest: string;
  files: SpinContentPath[];
}

/**
 * Builds Spin's locked-app JSON for `app`, with each component's source and files replaced by
 * `content[component id]`. Executors: `wagi` keeps `argv`/`entrypoint`; `wasi-http` is Spin's
 * `http`. wasmlet's own limits go in component metadata under `wasmlet.limits` (Spin ignores it).
 */
export function toSpinLockedApp(app: LockedApp, content: Record<string, PushedComponentContent>,
  variables: DeclaredVariables = { app: {}, components: {} }): SpinLockedApp {
  const metadata: Record<string, unknown> = { name: app.name };
  if (app.version !== undefined) metadata['version'] = app.version;
  if (app.description !== undefined) metadata['description'] = app.description;
  metadata['trigger'] = { type: 'http' };
  metadata['triggers'] = { http: {} };
  const triggers: SpinLockedTrigger[] = app.triggers.http.map((r, i) => {
    const executor: Record<string, unknown> = r.executor.type === 'wagi'
      ? { type: 'wagi', ...(r.executor.argv === undefined ? {} : { argv: r.executor.argv }), ...(r.executor.entrypoint === undefined ? {} : { entrypoint: r.executor.entrypoint }) }
      : { type: 'http' };
    return { id: `trigger-${r.component}${i === 0 ? '' : `-${i}`}`, trigger_type: 'http', trigger_config: { component: r.component, executor, route: r.private ? { private: true } : r.route } };
  });
  const components = Object.values(app.components).map((c): SpinLockedComponent => {
    const pushed = content[c.id];
    if (!pushed) throw new Error(`no pushed content for component ${c.id}`);
    const meta: Record<string, unknown> = {};
    if (c.description !== undefined) meta['description'] = c.description;
    if (c.allowedOutboundHosts.length > 0) meta['allowed_outbound_hosts'] = c.allowedOutboundHosts.map((h) => h.source);
    if (c.keyValueStores.length > 0) meta['key_value_stores'] = [...c.keyValueStores];
    if (c.sqliteDatabases.length > 0) meta['databases'] = [...c.sqliteDatabases];
    const limits: Record<string, number> = {};
    if (c.limits.memoryBytes !== undefined) limits['memory_bytes'] = c.limits.memoryBytes;
    if (c.limits.timeoutMs !== undefined) limits['timeout_ms'] = c.limits.timeoutMs;
    if (Object.keys(limits).length > 0) meta['wasmlet'] = { limits };
    const out: SpinLockedComponent = { id: c.id, source: { content_type: 'application/wasm', digest: pushed.sourceDigest } };
    if (Object.keys(meta).length > 0) out.metadata = meta;
    if (Object.keys(c.environment).length > 0) out.env = { ...c.environment };
    if (pushed.files.length > 0) out.files = pushed.files;
    const config = variables.components[c.id] ?? {};
    if (Object.keys(config).length > 0) out.config = { ...config };
    return out;
  });
  // Field order as Spin serializes LockedApp: spin_lock_version, metadata, variables, triggers, components.
  return {
    spin_lock_version: 0, metadata, ...(Object.keys(variables.app).length > 0 ? { variables: { ...variables.app } } : {}), triggers, components,
  };
}

/** One piece of content a pulled app needs, and where (relative to the app dir) it goes. */
export interface ContentPlacement {
  /** Relative path in the app dir (`components/hello.wasm`, `files/hello/assets/a.txt`). */
  target: string;
  digest?: string;
  /** Inline bytes (from Spin's base64 `inline`). */
  inline?: Buffer;
}

/** What {@link planSpinApp} decided: the manifest to write and the content to place. */
export interface SpinAppPlan {
  /** `wasmlet.toml` text (Spin manifest v2 shape). */
  manifest: string;
  placements: ContentPlacement[];
}

function artifactError(message: string): WasmletError {
  return new WasmletError('WASMLET_ERR_ARTIFACT', message, { blame: 'user' });
}

function stringArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

// Spin's loader (`crates/oci/src/loader.rs`, `is_safe_to_join`): only normal path components.
function safeRelative(path: string): string | undefined {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..' || p.includes('\\') || p.includes('\0'))) return undefined;
  return parts.join('/');
}

/**
 * Parses Spin locked-app JSON and plans a runnable app dir: `components/<id>.wasm`, each file at
 * `files/<id>/<path>`, and a `wasmlet.toml` mounting the top-level entries of `files/<id>/` at
 * the same guest paths. HTTP routes keep their route and executor (`wagi` with argv/entrypoint;
 * `http`/`spin` become "decided by the binary"); private routes (`{ private = true }`) stay private.
 * Application `variables` become `[variables]` (no default: `required = true`), a component's
 * `config` its `variables` templates, `metadata.databases` its `sqlite_databases`.
 * @throws WasmletError `WASMLET_ERR_ARTIFACT` for JSON that is not a locked app, a
 *   `must_understand` entry, a non-HTTP trigger, component dependencies or AI models (not
 *   supported by wasmlet), or a file path that leaves the mount.
 */
export function planSpinApp(json: Buffer | string, fallbackName: string): SpinAppPlan {
  let locked: SpinLockedApp;
  try { locked = JSON.parse(json.toString()) as SpinLockedApp; } catch (err) {
    throw new WasmletError('WASMLET_ERR_ARTIFACT', 'the Spin application layer is not JSON', { blame: 'user', cause: err });
  }
  if (typeof locked !== 'object' || locked === null || !Array.isArray(locked.triggers) || !Array.isArray(locked.components)) {
    throw artifactError('the Spin application layer is not a locked app (no triggers/components)');
  }
  if ((locked.must_understand ?? []).length > 0) {
    throw artifactError(`the Spin app requires host features wasmlet does not have (must_understand: ${locked.must_understand!.join(', ')})`);
  }
  const variables: Record<string, Record<string, unknown>> = {};
  for (const [name, v] of Object.entries(locked.variables ?? {})) {
    const decl = (v ?? {}) as { description?: unknown; default?: unknown; secret?: unknown };
    variables[name] = {
      ...(typeof decl.default === 'string' ? { default: decl.default } : { required: true }),
      ...(decl.secret === true ? { secret: true } : {}),
      ...(typeof decl.description === 'string' ? { description: decl.description } : {}),
    };
  }
  const meta = locked.metadata ?? {};
  const application: Record<string, unknown> = { name: typeof meta['name'] === 'string' ? meta['name'] : fallbackName };
  if (typeof meta['version'] === 'string') application['version'] = meta['version'];
  if (typeof meta['description'] === 'string') application['description'] = meta['description'];

  const placements: ContentPlacement[] = [];
  const components: Record<string, Record<string, unknown>> = {};
  for (const c of locked.components) {
    if (typeof c?.id !== 'string' || !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(c.id)) throw artifactError(`component id ${JSON.stringify(c?.id)} is not kebab-case`);
    if (c.dependencies && Object.keys(c.dependencies).length > 0) throw artifactError(`component \`${c.id}\` has component dependencies; wasmlet does not compose components`);
    const m = c.metadata ?? {};
    if (stringArray(m['ai_models']).length > 0) throw artifactError(`component \`${c.id}\` uses ai_models (${stringArray(m['ai_models']).join(', ')}); wasmlet does not support them`);
    const source = `components/${c.id}.wasm`;
    placements.push({ target: source, ...contentOf(c.source, `source of component \`${c.id}\``) });
    const out: Record<string, unknown> = { source };
    if (typeof m['description'] === 'string') out['description'] = m['description'];
    if (c.env && Object.keys(c.env).length > 0) out['environment'] = { ...c.env };
    const tops = new Set<string>();
    for (const f of c.files ?? []) {
      const rel = typeof f.path === 'string' ? safeRelative(f.path) : undefined;
      if (rel === undefined) throw artifactError(`file ${JSON.stringify(f.path)} of component \`${c.id}\` is not a path inside the component's files`);
      placements.push({ target: `files/${c.id}/${rel}`, ...contentOf(f, `file ${rel} of component \`${c.id}\``) });
      tops.add(rel.split('/')[0]!);
    }
    if (tops.size > 0) out['files'] = [...tops].sort().map((t) => ({ source: `files/${c.id}/${t}`, destination: `/${t}` }));
    const hosts = stringArray(m['allowed_outbound_hosts']);
    if (hosts.length > 0) out['allowed_outbound_hosts'] = hosts;
    const kv = stringArray(m['key_value_stores']);
    if (kv.length > 0) out['key_value_stores'] = kv;
    const databases = stringArray(m['databases']);
    if (databases.length > 0) out['sqlite_databases'] = databases;
    if (c.config && Object.keys(c.config).length > 0) out['variables'] = { ...c.config };
    const limits = ((m['wasmlet'] ?? {}) as { limits?: { memory_bytes?: unknown; timeout_ms?: unknown } }).limits;
    if (limits && (typeof limits.memory_bytes === 'number' || typeof limits.timeout_ms === 'number')) {
      out['limits'] = {
        ...(typeof limits.memory_bytes === 'number' ? { memory: limits.memory_bytes } : {}),
        ...(typeof limits.timeout_ms === 'number' ? { timeout: `${limits.timeout_ms}ms` } : {}),
      };
    }
    components[c.id] = out;
  }

  const http: Record<string, unknown>[] = [];
  for (const t of locked.triggers) {
    if (t.trigger_type !== 'http') throw artifactError(`trigger \`${t.id}\` is of type ${t.trigger_type}; wasmlet serves HTTP triggers only`);
    const cfg = t.trigger_config ?? {};
    // `route = { private = true }`: reachable only by service chaining.
    const isPrivate = typeof cfg['route'] === 'object' && (cfg['route'] as { private?: unknown } | null)?.private === true;
    if (typeof cfg['route'] !== 'string' && !isPrivate) throw artifactError(`trigger \`${t.id}\` has no route`);
    if (typeof cfg['component'] !== 'string' || !components[cfg['component']]) throw artifactError(`trigger \`${t.id}\` names no component of the app`);
    const route: Record<string, unknown> = { route: isPrivate ? { private: true } : cfg['route'], component: cfg['component'] };
    const ex = (cfg['executor'] ?? {}) as { type?: string; argv?: unknown; entrypoint?: unknown };
    if (ex.type === 'wagi') {
      route['executor'] = { type: 'wagi', ...(typeof ex.argv === 'string' ? { argv: ex.argv } : {}), ...(typeof ex.entrypoint === 'string' ? { entrypoint: ex.entrypoint } : {}) };
    } else if (ex.type !== undefined && ex.type !== 'http' && ex.type !== 'spin') {
      throw artifactError(`trigger \`${t.id}\` uses executor ${ex.type}; wasmlet supports http (spin) and wagi`);
    }
    http.push(route);
  }
  if (!http.some((r) => typeof r['route'] === 'string')) throw artifactError('the Spin app has no public HTTP route');
  const manifest = `# Written by \`wasmlet registry pull\` from a Spin locked app (spin.lock beside this file).\n${
    stringify({ spin_manifest_version: 2, application, ...(Object.keys(variables).length > 0 ? { variables } : {}), trigger: { http }, component: components })}\n`;
  return { manifest, placements };
}

function contentOf(ref: SpinContentRef, what: string): { digest?: string; inline?: Buffer } {
  if (typeof ref?.inline === 'string') return { inline: Buffer.from(ref.inline, 'base64'), ...(ref.digest ? { digest: ref.digest } : {}) };
  if (typeof ref?.digest === 'string') return { digest: ref.digest };
  throw artifactError(`${what} has neither a digest nor inline content`);
}

/** The `wasmlet.toml` for a single-Wasm artifact (wkg's layout): one component on `/...`. */
export function bareWasmManifest(name: string, component: string): string {
  return `# Written by \`wasmlet registry pull\` from a single-Wasm OCI artifact.\n${stringify({
    spin_manifest_version: 2,
    application: { name },
    trigger: { http: [{ route: '/...', component }] },
    component: { [component]: { source: `components/${component}.wasm` } },
  })}\n`;
}
