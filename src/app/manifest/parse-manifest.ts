// wasmlet.toml / spin.toml (Spin manifest v2 shape) -> LockedApp. Parsed strictly: an unknown key
// is an error (Spin's `deny_unknown_fields`), and every problem is collected so the user sees all
// of them at once. File checks (sources, mounts) are done here, against the manifest directory.
import { statSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { tryParseAllowedHost } from '../../host/http-outbound/allowed-hosts.ts';
import { readAllowedHostEntry, type AllowedHostTemplate } from '../allowed-host-templates.ts';
import { serviceChainingTarget } from '../../host/http-outbound/service-chaining.ts';
import { closestMatch } from '../../util/edit-distance.ts';
import { isWasmletError } from '../../util/errors.ts';
import { parseDuration, parseSize } from '../../util/units.ts';
import { parseRoute, routeShape } from '../route-syntax.ts';
import { checkVariableName, parseTemplate, templateNames, type TemplatePart } from '../template.ts';
import { DEFAULT_WAGI_ARGV, SYNTHETIC_ROUTE } from '../locked-app.ts';
import type {
  LockedApp, LockedComponent, LockedExecutor, LockedFileMount, LockedHttpRoute, LockedLimits,
  LockedVariable,
} from '../locked-app.ts';
import { type TomlPath } from './locate-key.ts';
import { checkBuildSection } from './build-section.ts';
import { Diagnostics, isTable, parseTomlFile, showPath, throwIfAny, type Table } from './diagnostics.ts';
import { checkEventTriggers, type RedisTriggerTemplates } from './event-triggers.ts';


/**
 * Checks a Spin id: non-empty words separated by `delim`, each starting with an ASCII letter and
 * made of ASCII letters and digits, all lowercase or all UPPERCASE (Spin `spin-serde` `Id`).
 * Returns what is wrong, or undefined.
 */
export function checkSpinId(id: string, delim: '-' | '_'): string | undefined {
  if (id === '') return 'it is empty';
  const other = delim === '-' ? '_' : '-';
  if (id.includes(other)) return `words must be separated with '${delim}', not '${other}'`;
  for (const word of id.split(delim)) {
    if (word === '') return `'${delim}'-separated words must not be empty`;
    if (!/^[A-Za-z]/.test(word)) return `'${delim}'-separated words must start with an ASCII letter`;
    if (!/^[A-Za-z0-9]+$/.test(word)) return `'${delim}'-separated words may only contain ASCII letters and digits`;
    if (/[a-z]/.test(word) && /[A-Z]/.test(word)) return `'${delim}'-separated words must be all lowercase or all UPPERCASE`;
  }
  return undefined;
}

const TOP_KEYS = ['spin_manifest_version', 'manifest_version', 'application', 'trigger', 'component', 'variables'];
const APP_KEYS = ['name', 'version', 'description', 'authors', 'tool', 'trigger'];
// Spin keys wasmlet does not implement (accepted when empty, a clear error otherwise; never
// called a typo): spinframework/spin crates/manifest/src/schema/v2.rs `AppDetails`, `Component`.
const UNSUPPORTED_APP_KEYS: Record<string, string> = {
  targets: '(deployment targets) is not supported by wasmlet yet — remove it',
};
const COMPONENT_KEYS = ['source', 'description', 'environment', 'files', 'allowed_outbound_hosts',
  'key_value_stores', 'sqlite_databases', 'variables', 'build', 'limits', 'tool'];
const UNSUPPORTED_COMPONENT_KEYS: Record<string, string> = {
  allowed_http_hosts: 'is deprecated in Spin and not supported — list the hosts in allowed_outbound_hosts as '
    + 'scheme://host[:port] (e.g. "https://example.com")',
  exclude_files: 'is not supported (file globs are not) — list the files or directories to mount in `files`',
  ai_models: 'is not supported by wasmlet yet — remove it',
  dependencies: 'is not supported by wasmlet yet — compose the component before serving it',
  dependencies_inherit_configuration: 'is not supported by wasmlet yet — remove it',
};
/** Trigger types wasmlet serves. */
const TRIGGER_TYPES = ['http', 'redis', 'cron'];
/** Spin trigger types (Spin's own and its plugins') wasmlet does not serve: not supported, never typos. */
const SPIN_TRIGGER_TYPES = ['sqs', 'mqtt', 'command'];
const TRIGGER_KEYS = ['route', 'component', 'executor', 'id'];
const LIMIT_KEYS = ['memory', 'timeout'];
const FILE_KEYS = ['source', 'destination'];
const VARIABLE_KEYS = ['default', 'required', 'secret', 'description'];

/** Application variables as declared, with their defaults (kept out of the locked app). */
export interface ManifestVariables {
  declared: Record<string, LockedVariable>;
  /** `default` of each variable that has one. */
  defaults: Record<string, string>;
}

/**
 * A parsed manifest: the app (variables unresolved, backends not chosen: see loader.ts), the
 * application variables, and each component's `variables` templates, already checked to name
 * only declared variables.
 */
export interface ParsedManifest {
  app: LockedApp;
  variables: ManifestVariables;
  /** component id -> component variable name -> template parts. */
  templates: Record<string, Record<string, TemplatePart[]>>;
  /**
   * component id -> its `allowed_outbound_hosts` entries that name variables (names checked to be
   * declared), resolved and parsed by the loader; `app` holds only the literal entries until then.
   */
  hostTemplates: Record<string, AllowedHostTemplate[]>;
  /** `{{ variable }}` templates of the Redis triggers' `address` / `channel`, resolved by the loader. */
  triggerTemplates: RedisTriggerTemplates[];
}

/** Why a variable name is invalid (Spin `LowerSnakeId` and `Key::validate`), or undefined. */
function variableNameProblem(name: string): string | undefined {
  return checkVariableName(name) ?? checkSpinId(name, '_');
}


type FsKind = 'file' | 'dir' | undefined;

function fsKind(path: string): FsKind {
  try {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : undefined;
  } catch {
    return undefined;
  }
}

/** Checks `[variables]`: names (lower_snake), keys, types, `required` xor `default` (Spin loader `locked_variable`). */
function checkAppVariables(d: Diagnostics, root: Table): ManifestVariables {
  const out: ManifestVariables = { declared: {}, defaults: {} };
  const vars = d.table(root, 'variables', []);
  if (!vars) return out;
  for (const [name, v] of Object.entries(vars)) {
    const path = ['variables', name];
    const why = variableNameProblem(name);
    if (why) {
      d.add(path, `invalid variable name \`${name}\`: ${why} — use lower_snake_case, e.g. \`${name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^[^a-z]+|_+$/g, '') || 'my_variable'}\``);
      continue;
    }
    if (!isTable(v)) {
      d.add(path, `variable \`${name}\` must be a table — e.g. ${name} = { default = "..." } or ${name} = { required = true }`);
      continue;
    }
    d.unknownKeys(v, path, VARIABLE_KEYS);
    const def = d.string(v, 'default', path, false);
    const description = d.string(v, 'description', path, false);
    const flag = (key: 'required' | 'secret'): boolean => {
      const x = v[key];
      if (x === undefined) return false;
      if (typeof x !== 'boolean') { d.add([...path, key], `\`variables.${name}.${key}\` must be true or false`); return false; }
      return x;
    };
    const required = flag('required');
    const secret = flag('secret');
    if (required && v.default !== undefined) {
      d.add([...path, 'default'], `variable \`${name}\` must be \`required\` OR have a \`default\`, not both — remove one`);
    } else if (!required && v.default === undefined) {
      d.add(path, `variable \`${name}\` must be \`required\` OR have a \`default\` — add required = true or default = "..."`);
    }
    const decl: LockedVariable = { required, secret };
    if (description !== undefined) decl.description = description;
    out.declared[name] = decl;
    if (def !== undefined) out.defaults[name] = def;
  }
  return out;
}

/** Checks a component's `variables`: names, string values, templates naming declared variables. */
function checkComponentVariables(d: Diagnostics, id: string, c: Table, path: TomlPath, appVars: ManifestVariables,
  templates: Record<string, Record<string, TemplatePart[]>>): void {
  const vars = d.table(c, 'variables', path);
  const out: Record<string, TemplatePart[]> = {};
  templates[id] = out;
  if (!vars) return;
  for (const [name, v] of Object.entries(vars)) {
    const vpath = [...path, 'variables', name];
    const why = variableNameProblem(name);
    if (why) { d.add(vpath, `invalid variable name \`${name}\` in component \`${id}\`: ${why} — use lower_snake_case`); continue; }
    if (typeof v !== 'string') { d.add(vpath, `component variable \`${name}\` must be a string — e.g. ${name} = "{{ app_var }}"`); continue; }
    const parts = parseTemplate(v);
    if ('error' in parts) { d.add(vpath, `component \`${id}\` variable \`${name}\`: invalid template: ${parts.error} — close it with '}}'`); continue; }
    const unknown = templateNames(parts).filter((n) => !Object.hasOwn(appVars.declared, n));
    for (const n of new Set(unknown)) {
      d.add(vpath, `component \`${id}\` variable \`${name}\`: unknown variable \`${n}\` in template — declare it in [variables] (e.g. ${n} = { default = "..." }) or fix the name`);
    }
    if (unknown.length === 0) out[name] = parts;
  }
}

/** Checks `key_value_stores` / `sqlite_databases`: labels kebab-case or snake_case (Spin `kebab_or_snake_case`). */
function checkLabels(d: Diagnostics, c: Table, key: 'key_value_stores' | 'sqlite_databases', path: TomlPath): string[] {
  const what = key === 'key_value_stores' ? 'key-value store' : 'SQLite database';
  const out: string[] = [];
  for (const label of d.stringArray(c, key, path)) {
    if (checkSpinId(label, '-') && checkSpinId(label, '_')) {
      d.add([...path, key], `${what} label \`${label}\` must be kebab-case or snake_case (e.g. "default", "my-store")`);
    } else if (!out.includes(label)) {
      out.push(label);
    }
  }
  return out;
}

function checkComponent(d: Diagnostics, id: string, c: Table, path: TomlPath, dir: string, appVars: ManifestVariables,
  templates: Record<string, Record<string, TemplatePart[]>>, hostTemplates: Record<string, AllowedHostTemplate[]>): LockedComponent {
  d.unknownKeys(c, path, COMPONENT_KEYS, UNSUPPORTED_COMPONENT_KEYS);
  const out: LockedComponent = {
    id, source: '', files: [], environment: {}, allowedOutboundHosts: [], keyValueStores: [], sqliteDatabases: [],
    variables: {}, secretVariables: [], limits: {},
  };

  // source
  const src = c.source;
  if (src === undefined) {
    d.add(path, `component \`${id}\` has no \`source\` — add source = "path/to/${id}.wasm" (relative to the manifest)`);
  } else if (typeof src === 'string') {
    out.source = resolve(dir, src);
    const kind = fsKind(out.source);
    if (kind !== 'file') {
      d.add([...path, 'source'], `source \`${src}\` of component \`${id}\` ${kind === 'dir' ? 'is a directory' : 'does not exist'}`
        + ` (looked for ${out.source}) — build the component or fix the path`);
    }
  } else if (isTable(src)) {
    d.add([...path, 'source'], `component \`${id}\`: remote sources (url/registry) are not supported yet — download the .wasm and use source = "file.wasm"`);
  } else {
    d.add([...path, 'source'], `\`${showPath([...path, 'source'])}\` must be a string path — e.g. source = "${id}.wasm"`);
  }

  const description = d.string(c, 'description', path, false);
  if (description !== undefined) out.description = description;

  // environment
  const env = d.table(c, 'environment', path);
  if (env) {
    for (const [k, v] of Object.entries(env)) {
      if (typeof v !== 'string') {
        d.add([...path, 'environment', k], `environment variable \`${k}\` must be a string — quote the value: ${k} = "${String(v)}"`);
      } else if (k === '' || k.includes('=') || k.includes('\0')) {
        d.add([...path, 'environment', k], `environment variable name \`${k}\` is invalid — names may not be empty or contain '='`);
      } else {
        out.environment[k] = v;
      }
    }
  }

  // files
  const files = c.files;
  if (files !== undefined) {
    if (!Array.isArray(files)) {
      d.add([...path, 'files'], '`files` must be an array — e.g. files = [{ source = "static", destination = "/static" }, "README.md"]');
    } else {
      files.forEach((f, i) => {
        const mount = checkFileMount(d, f, [...path, 'files', i], dir, id);
        if (mount) out.files.push(mount);
      });
    }
  }

  // allowed_outbound_hosts: parsed here, once; the locked app carries the parsed form. Entries
  // with `{{ variable }}` are checked here and resolved by the loader (allowed-host-templates.ts).
  const templated: AllowedHostTemplate[] = [];
  for (const [index, host] of d.stringArray(c, 'allowed_outbound_hosts', path).entries()) {
    const entry = readAllowedHostEntry(host, appVars);
    if (entry.type === 'template') {
      templated.push({ source: host, index, parts: entry.parts });
      continue;
    }
    if (entry.type === 'invalid') {
      for (const p of entry.problems) d.add([...path, 'allowed_outbound_hosts'], `allowed_outbound_hosts entry \`${host}\` of component \`${id}\`: ${p}`);
      continue;
    }
    const parsed = tryParseAllowedHost(host);
    if (parsed.ok) out.allowedOutboundHosts.push(parsed.value);
    else d.add([...path, 'allowed_outbound_hosts'], `allowed_outbound_hosts entry \`${host}\`: ${parsed.reason}`);
  }
  if (templated.length > 0) hostTemplates[id] = templated;

  // key_value_stores, sqlite_databases, variables (host services)
  out.keyValueStores = checkLabels(d, c, 'key_value_stores', path);
  out.sqliteDatabases = checkLabels(d, c, 'sqlite_databases', path);
  checkComponentVariables(d, id, c, path, appVars, templates);

  // build
  const build = checkBuildSection(d, c, path);
  if (build) out.build = build;

  // limits (wasmlet's own)
  const limits = d.table(c, 'limits', path);
  if (limits) out.limits = checkLimits(d, limits, [...path, 'limits']);
  return out;
}

function checkLimits(d: Diagnostics, limits: Table, path: TomlPath): LockedLimits {
  d.unknownKeys(limits, path, LIMIT_KEYS);
  const out: LockedLimits = {};
  const memory = limits.memory;
  if (memory !== undefined) {
    if (typeof memory === 'number' || typeof memory === 'bigint') {
      if (Number.isSafeInteger(Number(memory)) && Number(memory) > 0) out.memoryBytes = Number(memory);
      else d.add([...path, 'memory'], `limits.memory ${memory} must be a positive number of bytes — or a size such as "64MiB"`);
    } else if (typeof memory === 'string') {
      try { out.memoryBytes = parseSize(memory); } catch (err) {
        if (!isWasmletError(err)) throw err;
        d.add([...path, 'memory'], `limits.memory "${memory}" is not a size — use e.g. "64MiB", "512KiB", "1GiB" or a number of bytes`);
      }
    } else {
      d.add([...path, 'memory'], 'limits.memory must be a size string ("64MiB") or a number of bytes');
    }
  }
  const timeout = limits.timeout;
  if (timeout !== undefined) {
    if (typeof timeout === 'string') {
      try { out.timeoutMs = parseDuration(timeout); } catch (err) {
        if (!isWasmletError(err)) throw err;
        d.add([...path, 'timeout'], `limits.timeout "${timeout}" is not a duration — use e.g. "500ms", "2s" or "1m"`);
      }
    } else {
      d.add([...path, 'timeout'], 'limits.timeout must be a duration string with a unit — e.g. timeout = "2s"');
    }
  }
  return out;
}

function checkFileMount(d: Diagnostics, f: unknown, path: TomlPath, dir: string, id: string): LockedFileMount | undefined {
  let source: string;
  let guestPath: string;
  if (typeof f === 'string') {
    if (/[*?[\]{}]/.test(f)) {
      d.add(path, `files entry \`${f}\` of component \`${id}\` is a glob; globs are not supported — list the file, or mount a directory: { source = "dir", destination = "/dir" }`);
      return undefined;
    }
    if (isAbsolute(f) || f.split(/[\\/]/).includes('..')) {
      d.add(path, `files entry \`${f}\` must be a path inside the app directory — use { source = "${f}", destination = "/..." } to mount it elsewhere`);
      return undefined;
    }
    source = f;
    guestPath = posix.normalize(`/${f.replace(/\\/g, '/')}`).replace(/(.)\/$/, '$1');
  } else if (isTable(f)) {
    d.unknownKeys(f, path, FILE_KEYS);
    const s = d.string(f, 'source', path, true);
    const dest = d.string(f, 'destination', path, true);
    if (s === undefined || dest === undefined) return undefined;
    if (!dest.startsWith('/')) {
      d.add([...path, 'destination'], `files destination \`${dest}\` must be an absolute guest path — e.g. destination = "/${dest}"`);
      return undefined;
    }
    source = s;
    guestPath = posix.normalize(dest).replace(/(.)\/$/, '$1');
  } else {
    d.add(path, 'a files entry must be a path string or { source = "...", destination = "/..." }');
    return undefined;
  }
  const hostPath = resolve(dir, source);
  if (fsKind(hostPath) === undefined) {
    d.add(path, `files source \`${source}\` of component \`${id}\` does not exist (looked for ${hostPath}) — create it or fix the path`);
    return undefined;
  }
  return { hostPath, guestPath };
}

function checkExecutor(d: Diagnostics, e: unknown, path: TomlPath): LockedExecutor {
  if (e === undefined) return { type: 'auto' };
  if (!isTable(e)) {
    d.add(path, '`executor` must be a table — e.g. executor = { type = "wagi" }');
    return { type: 'auto' };
  }
  d.unknownKeys(e, path, ['type', 'argv', 'entrypoint']);
  const type = d.string(e, 'type', path, true);
  const argv = d.string(e, 'argv', path, false);
  const entrypoint = d.string(e, 'entrypoint', path, false);
  if (type === 'wagi') return { type: 'wagi', argv: argv ?? DEFAULT_WAGI_ARGV, entrypoint: entrypoint ?? '_start' };
  if (argv !== undefined || entrypoint !== undefined) {
    d.add([...path, argv !== undefined ? 'argv' : 'entrypoint'], '`argv` and `entrypoint` apply only to executor type "wagi" — remove them or set type = "wagi"');
  }
  if (type === 'spin' || type === 'http') return { type: 'auto' };
  if (type === 'wasi-http') return { type: 'wasi-http' };
  if (type !== undefined) {
    d.add([...path, 'type'], `unknown executor type \`${type}\` — use "wagi", "wasi-http", or "spin" (decided by the binary)`);
  }
  return { type: 'auto' };
}

/**
 * The key that shows `root` is a Spin v1 manifest, or undefined: `spin_version` (Spin's older
 * name for it) or `spin_manifest_version = "1"`, a top-level `trigger = { type = "http", ... }`,
 * or `[[component]]` as an array (spinframework/spin crates/manifest/src/schema/v1.rs).
 */
function spinV1Marker(root: Table): { path: TomlPath; shown: string } | undefined {
  if (root.spin_version !== undefined) return { path: ['spin_version'], shown: `spin_version = ${JSON.stringify(root.spin_version)}` };
  const version = root.spin_manifest_version;
  if (version === '1' || version === 1) return { path: ['spin_manifest_version'], shown: `spin_manifest_version = ${JSON.stringify(version)}` };
  if (isTable(root.trigger) && typeof root.trigger.type === 'string') return { path: ['trigger'], shown: `top-level trigger = { type = ${JSON.stringify(root.trigger.type)}, ... }` };
  if (Array.isArray(root.component)) return { path: ['component'], shown: '[[component]] array' };
  return undefined;
}

/**
 * Parses and validates a manifest and resolves it into a {@link LockedApp}. Executors are left as
 * written (`auto` unless set); {@link loadApp} resolves `auto` by looking at the binaries.
 *
 * Accepts Spin's v2 shape (`spin_manifest_version = 2`) or wasmlet's (`manifest_version = 1`), with
 * [application], [[trigger.http]] (route, component as id or inline table, executor, id) and
 * [component.<id>] (source, description, environment, files, allowed_outbound_hosts,
 * key_value_stores, sqlite_databases, variables, build, tool, and wasmlet's limits {memory,
 * timeout}); application `[variables]` (default, required, secret, description). Component
 * `variables` and `{{ variable }}` entries of `allowed_outbound_hosts` are checked here (names,
 * templates naming declared variables, with lines) but resolved by {@link loadApp}, which also picks store backends (spinframework/spin
 * `crates/manifest/src/schema/v2.rs`, `crates/loader/src/local.rs` `locked_variable`).
 * @param source the TOML text.
 * @param manifestPath its path; relative paths in the manifest resolve against its directory.
 * @throws ManifestError (`WASMLET_ERR_MANIFEST`, blame user) listing every problem found.
 */
export function parseManifest(source: string, manifestPath: string): LockedApp {
  return parseManifestDocument(source, manifestPath).app;
}

/**
 * {@link parseManifest}, also returning the application variables (with defaults) and each
 * component's variable templates, for loader.ts to resolve (app/variables.ts). Component
 * `variables` in `app` are left empty, `backends` empty and `stateDir` `<dir>/.wasmlet`.
 * @throws ManifestError as parseManifest.
 */
export function parseManifestDocument(source: string, manifestPath: string): ParsedManifest {
  const absPath = resolve(manifestPath);
  const dir = dirname(absPath);
  const root = parseTomlFile(source, absPath);
  const d = new Diagnostics(source);
  const v1 = spinV1Marker(root);
  if (v1 !== undefined) {
    // One error, not one per v1 key: the whole file has the other shape.
    d.add(v1.path, `this is a Spin v1 manifest (${v1.shown}); `
      + 'wasmlet reads the v2 shape — convert it with `spin doctor`, or by hand: spin_manifest_version = 2, name/version/'
      + 'description/authors under [application], each [[component]] with id = "x" becomes [component.x] (without id), '
      + 'and its [component.trigger] route becomes a [[trigger.http]] with route = "..." and component = "x" '
      + '(https://spinframework.dev/v2/manifest-reference)');
    throwIfAny(d, absPath);
  }
  d.unknownKeys(root, [], TOP_KEYS);

  // Version
  const spinVersion = root.spin_manifest_version;
  const ownVersion = root.manifest_version;
  if (spinVersion === undefined && ownVersion === undefined) {
    d.add([], 'missing manifest version — add `spin_manifest_version = 2` (Spin v2 layout) or `manifest_version = 1` at the top');
  } else if (spinVersion !== undefined && ownVersion !== undefined) {
    d.add(['manifest_version'], 'both `spin_manifest_version` and `manifest_version` are set — keep one');
  } else if (spinVersion !== undefined && spinVersion !== 2) {
    d.add(['spin_manifest_version'], `spin_manifest_version ${JSON.stringify(spinVersion)} is not supported — wasmlet reads Spin manifest version 2 (run \`spin doctor\` to upgrade a v1 manifest)`);
  } else if (ownVersion !== undefined && ownVersion !== 1) {
    d.add(['manifest_version'], `manifest_version ${JSON.stringify(ownVersion)} is not supported — use manifest_version = 1`);
  }
  const appVars = checkAppVariables(d, root);
  const templates: Record<string, Record<string, TemplatePart[]>> = {};
  const hostTemplates: Record<string, AllowedHostTemplate[]> = {};

  // [application]
  const app = d.table(root, 'application', []);
  const locked: LockedApp = {
    name: '', dir, manifestPath: absPath, components: {}, triggers: { http: [], redis: [], cron: [] },
    variables: appVars.declared, backends: { keyValueStores: {}, sqliteDatabases: {} }, stateDir: join(dir, '.wasmlet'),
  };
  if (!app) {
    if (root.application === undefined) d.add([], 'missing [application] — add [application] with name = "my-app"');
  } else {
    d.unknownKeys(app, ['application'], APP_KEYS, UNSUPPORTED_APP_KEYS);
    locked.name = d.string(app, 'name', ['application'], true) ?? '';
    const version = d.string(app, 'version', ['application'], false);
    const description = d.string(app, 'description', ['application'], false);
    d.stringArray(app, 'authors', ['application']);
    if (version !== undefined) locked.version = version;
    if (description !== undefined) locked.description = description;
  }

  // [component.<id>]
  const components = d.table(root, 'component', []);
  if (components) {
    for (const [id, c] of Object.entries(components)) {
      const why = checkSpinId(id, '-');
      if (why) {
        d.add(['component', id], `invalid component id \`${id}\`: ${why} — use lowercase words, digits and '-', starting with a letter (e.g. \`${id.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'my-component'}\`)`);
        continue;
      }
      if (!isTable(c)) {
        d.add(['component', id], `\`component.${id}\` must be a table — write [component.${id}]`);
        continue;
      }
      locked.components[id] = checkComponent(d, id, c, ['component', id], dir, appVars, templates, hostTemplates);
    }
  }

  // [[trigger.<type>]]
  const triggers = d.table(root, 'trigger', []);
  const byType: Record<string, Table[]> = { http: [], redis: [], cron: [] };
  if (!triggers) {
    if (root.trigger === undefined) d.add([], 'the app has no triggers — add [[trigger.http]] with route = "/..." and component = "<id>" (or [[trigger.redis]], [[trigger.cron]])');
  } else {
    for (const [type, list] of Object.entries(triggers)) {
      if (TRIGGER_TYPES.includes(type)) {
        if (!Array.isArray(list) || !list.every(isTable)) d.add(['trigger', type], `\`trigger.${type}\` must be an array of tables — write [[trigger.${type}]]`);
        else byType[type] = list;
      } else if (SPIN_TRIGGER_TYPES.includes(type)) {
        d.add(['trigger', type], `trigger type \`${type}\` is not supported by wasmlet — wasmlet serves [[trigger.http]], [[trigger.redis]] and [[trigger.cron]]; run this trigger with Spin or remove it`);
      } else {
        const near = closestMatch(type, TRIGGER_TYPES);
        d.add(['trigger', type], `unknown trigger type \`${type}\` — ${near === undefined ? 'wasmlet serves [[trigger.http]], [[trigger.redis]] and [[trigger.cron]]' : `did you mean \`${near}\`? ([[trigger.${near}]])`}`);
      }
    }
    if (TRIGGER_TYPES.every((type) => byType[type]!.length === 0) && Object.keys(triggers).length === 0) d.add(['trigger'], 'the app has no triggers — add one');
  }
  const http = byType.http!;
  const usedTriggerIds = new Set(TRIGGER_TYPES.flatMap((type) => byType[type]!).map((t) => t.id).filter((x): x is string => typeof x === 'string'));
  const triggerCounters: Record<string, number> = {};
  let inlineCounter = 1;
  /** The trigger's `id`, or Spin's generated `<type>-trigger<n>`. */
  const triggerIdOf = (type: string, t: Table, path: TomlPath): string => {
    let id = d.string(t, 'id', path, false);
    if (id === undefined) {
      let n = triggerCounters[type] ?? 1;
      while (usedTriggerIds.has(`${type}-trigger${n}`)) n++;
      triggerCounters[type] = n;
      id = `${type}-trigger${n}`;
      usedTriggerIds.add(id);
    }
    return id;
  };
  /** `component`: a reference or an inline table (Spin), moved into components like Spin's normalize. */
  const componentOf = (type: string, i: number, t: Table, path: TomlPath, triggerId: string): string | undefined => {
    const comp = t.component;
    if (comp === undefined) {
      d.add(path, `trigger.${type}[${i}] has no \`component\` — add component = "<id>" naming a [component.<id>]`);
    } else if (typeof comp === 'string') {
      if (locked.components[comp] || (components && comp in components)) return comp;
      const defined = Object.keys(components ?? {});
      d.add([...path, 'component'], `trigger.${type}[${i}] refers to component \`${comp}\`, which is not defined — add [component.${comp}] or fix the name`
        + (defined.length ? ` (defined: ${defined.join(', ')})` : ''));
    } else if (isTable(comp)) {
      let inlineId = `${triggerId}-component`;
      if (checkSpinId(inlineId, '-') || locked.components[inlineId] || (components && inlineId in components)) {
        do { inlineId = `inline-component${inlineCounter++}`; } while (locked.components[inlineId] || (components && inlineId in components));
      }
      locked.components[inlineId] = checkComponent(d, inlineId, comp, [...path, 'component'], dir, appVars, templates, hostTemplates);
      return inlineId;
    } else {
      d.add([...path, 'component'], '`component` must be a component id string or an inline table { source = "..." }');
    }
    return undefined;
  };
  const seenRoutes = new Map<string, { index: number; route: string; component: string }>();
  http.forEach((t, i) => {
    const path = ['trigger', 'http', i] as const;
    d.unknownKeys(t, path, TRIGGER_KEYS);
    const componentId = componentOf('http', i, t, path, triggerIdOf('http', t, path));
    const comp = t.component;

    // route
    const componentLabel = componentId ?? (typeof comp === 'string' ? comp : '?');
    const routeValue = t.route;
    let route: string | undefined;
    let isPrivate = false;
    if (routeValue === undefined) {
      d.add(path, `trigger.http[${i}] has no \`route\` — add route = "/path" (or "/..." for every path)`);
    } else if (isTable(routeValue)) {
      // Spin's `HttpTriggerRouteConfig::Private` (crates/http/src/config.rs, routes.rs `Router::build`).
      d.unknownKeys(routeValue, [...path, 'route'], ['private']);
      if (routeValue.private === true) {
        isPrivate = true;
        route = SYNTHETIC_ROUTE;
      } else {
        d.add([...path, 'route'], `route must be a string pattern or \`{ private = true }\`: component \`${componentLabel}\` has ${
          routeValue.private === false ? '{ private = false }' : 'a table without `private = true`'}`);
      }
    } else if (typeof routeValue !== 'string') {
      d.add([...path, 'route'], '`route` must be a string such as "/hello" or "/api/..."');
    } else {
      try {
        const shape = routeShape(parseRoute(routeValue));
        const prior = seenRoutes.get(shape);
        if (prior) {
          d.add([...path, 'route'], `duplicate route: trigger.http[${i}] (\`${routeValue}\`, component \`${componentLabel}\`) `
            + `matches the same paths as trigger.http[${prior.index}] (\`${prior.route}\`, component \`${prior.component}\`) — change or remove one of them`);
        } else {
          seenRoutes.set(shape, { index: i, route: routeValue, component: componentLabel });
          route = routeValue;
        }
      } catch (err) {
        if (!isWasmletError(err)) throw err;
        d.add([...path, 'route'], `${err.message} — see the route syntax: /exact, /users/:id, /static/...`);
      }
    }

    const executor = checkExecutor(d, t.executor, [...path, 'executor']);
    if (route !== undefined && componentId !== undefined) {
      const r: LockedHttpRoute = isPrivate ? { route, private: true, component: componentId, executor } : { route, component: componentId, executor };
      locked.triggers.http.push(r);
    }
  });
  checkServiceChainingTargets(d, locked);
  const eventTriggers = checkEventTriggers(d, app, byType.redis!, byType.cron!, appVars, triggerIdOf, componentOf);
  locked.triggers.redis = eventTriggers.redis;
  locked.triggers.cron = eventTriggers.cron;

  throwIfAny(d, absPath);
  return { app: locked, variables: appVars, templates, hostTemplates, triggerTemplates: eventTriggers.templates };
}

/**
 * A service chaining grant (`http://<id>.spin.internal`) must name a component an HTTP trigger
 * uses: any other would fail every request. Spin checks this only when running a subset of the
 * components (spinframework/spin `crates/factor-outbound-networking/src/config.rs`
 * `validate_service_chaining_for_components`) and otherwise fails the request ("unknown routing
 * destination", `crates/trigger-http/src/server.rs`); wasmlet says so at load.
 */
function checkServiceChainingTargets(d: Diagnostics, locked: LockedApp): void {
  const httpComponents = new Set(locked.triggers.http.map((r) => r.component));
  for (const component of Object.values(locked.components)) {
    for (const host of component.allowedOutboundHosts) {
      const target = host.host.type === 'name' ? serviceChainingTarget(host.host.name) : undefined;
      if (target === undefined || httpComponents.has(target)) continue;
      const known = [...httpComponents].sort();
      d.add(['component', component.id, 'allowed_outbound_hosts'], `allowed_outbound_hosts entry \`${host.source}\` chains to component \`${target}\`, `
        + `which ${locked.components[target] ? 'has no HTTP trigger' : 'the app does not define'} — name one of the app's HTTP components`
        + (known.length ? ` (${known.join(', ')})` : ''));
    }
  }
}
