// Resolves application variables through providers and substitutes them into each component's
// `variables` templates, once, at load (Spin's `ProviderResolver`: spinframework/spin
// `crates/expressions/src/lib.rs`; env provider: `crates/variables-env/src/lib.rs`; the provider
// list: `crates/runtime-config/src/variables.rs`, runtime-config providers first, then the
// default env provider).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LockedComponent } from './locked-app.ts';
import type { ManifestVariables } from './manifest/parse-manifest.ts';
import { ManifestError, type ManifestDiagnostic } from './manifest/manifest-error.ts';
import type { VariablesProviderConfig } from './runtime-config.ts';
import { resolveTemplate, templateNames, type TemplatePart } from './template.ts';

/** Spin's default env prefix (`DEFAULT_ENV_PREFIX`); joined to the upper-cased name with `_`. */
export const SPIN_ENV_PREFIX = 'SPIN_VARIABLE';
/** wasmlet's own env prefix, consulted after Spin's. */
export const WASMLET_ENV_PREFIX = 'WASMLET_VARIABLE';
/** What a secret value is replaced with wherever the app is shown. */
export const REDACTED = '<redacted>';

/** One source of variable values, by application variable name (lower_snake). */
export interface VariablesProvider {
  /** For messages: `env SPIN_VARIABLE_*`, `.env`, `static`... */
  readonly label: string;
  get(name: string): string | undefined;
}

/** A dotenv file that cannot be parsed. `line` is 1-based. */
export class DotenvError extends Error {
  readonly line: number;
  constructor(line: number, message: string) { super(message); this.line = line; this.name = 'DotenvError'; }
}

/**
 * Parses a dotenv file (the subset dotenvy reads that apps use): `KEY=value` lines, optional
 * `export ` before the key, `#` comment lines and blank lines; values unquoted (trimmed; a ` #`
 * starts a comment), `'single'` (literal) or `"double"` (escapes `\n \r \t \" \\ \$`, may span
 * lines). Not supported: `${VAR}` substitution (the text is kept as is). A later key wins.
 * @throws DotenvError for a line that is not `KEY=value` or an unclosed quote; the message never
 *   contains the value (it may be a secret).
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new DotenvError(lineNo, 'expected KEY=value');
    const key = m[1]!;
    let rest = m[2]!;
    if (rest.startsWith("'") || rest.startsWith('"')) {
      const q = rest[0]!;
      let body = rest.slice(1);
      // A quoted value may continue on the following lines, up to its closing quote.
      let end = closingQuote(body, q);
      while (end < 0 && i + 1 < lines.length) { body += `\n${lines[++i]!}`; end = closingQuote(body, q); }
      if (end < 0) throw new DotenvError(lineNo, `unclosed ${q === '"' ? 'double' : 'single'} quote`);
      const tail = body.slice(end + 1).trim();
      if (tail !== '' && !tail.startsWith('#')) throw new DotenvError(lineNo, 'unexpected text after the closing quote');
      body = body.slice(0, end);
      out[key] = q === "'" ? body : body.replace(/\\([nrt"\\$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[c] ?? c);
    } else {
      const hash = rest.search(/\s#/);
      if (hash >= 0) rest = rest.slice(0, hash);
      out[key] = rest.trim();
    }
  }
  return out;
}

function closingQuote(body: string, q: string): number {
  for (let j = 0; j < body.length; j++) {
    if (q === '"' && body[j] === '\\') { j++; continue; }
    if (body[j] === q) return j;
  }
  return -1;
}

/** Reads a dotenv file; a missing file is empty (as dotenvy in Spin). @throws DotenvError, or an I/O error other than ENOENT. */
export function readDotenv(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  return parseDotenv(text);
}

/** `<PREFIX>_<NAME>` (Spin `EnvVariablesProvider::get_sync`: the name upper-cased, ASCII). */
export function envKey(prefix: string, name: string): string {
  return prefix === '' ? name.toUpperCase() : `${prefix}_${name.toUpperCase()}`;
}

/** A provider reading `<prefix>_<NAME>` from `env`, then from the `dotenv` map (Spin's env provider). */
function envProvider(label: string, prefix: string, env: Readonly<Record<string, string | undefined>>,
  dotenv: () => Record<string, string>): VariablesProvider {
  return {
    label,
    get(name) {
      const key = envKey(prefix, name);
      return Object.hasOwn(env, key) && env[key] !== undefined ? env[key] : (Object.hasOwn(dotenv(), key) ? dotenv()[key] : undefined);
    },
  };
}

/** Options of {@link buildProviders}. */
export interface ProviderOptions {
  /** `[[variables_provider]]` entries from the runtime config, consulted first, in order. */
  configured: readonly VariablesProviderConfig[];
  /** The process environment (or a stand-in). */
  env: Readonly<Record<string, string | undefined>>;
  /** The app directory, whose `.env` is read (when it exists). */
  appDir: string;
  /** Reads a dotenv file; default {@link readDotenv}. */
  readDotenv?: (path: string) => Record<string, string>;
}

/**
 * The providers, in the order they are asked (the first value wins), then the defaults:
 * 1. runtime-config providers, in file order (`env`: `<prefix>_<NAME>` from the environment, then
 *    its `dotenv_path`; `static`: its values);
 * 2. the environment: `SPIN_VARIABLE_<NAME>`, then `WASMLET_VARIABLE_<NAME>`;
 * 3. `<app dir>/.env`: the same two keys;
 * (4. the variable's `default`, applied by {@link resolveComponentVariables}).
 * Dotenv files are read lazily, at most once each.
 * @throws ManifestError (from `get`, naming the file and line) when a dotenv file cannot be parsed.
 */
export function buildProviders(opts: ProviderOptions): VariablesProvider[] {
  const read = opts.readDotenv ?? readDotenv;
  const lazy = (path: string) => {
    let m: Record<string, string> | undefined;
    return () => {
      try {
        return (m ??= read(path));
      } catch (err) {
        if (!(err instanceof DotenvError)) throw err;
        throw new ManifestError(path, [{ line: err.line, message: `${err.message} — fix the dotenv syntax (KEY=value)` }], { cause: err });
      }
    };
  };
  const none = () => ({});
  const out: VariablesProvider[] = [];
  for (const p of opts.configured) {
    if (p.type === 'static') {
      const values = p.values;
      out.push({ label: 'static provider', get: (name) => (Object.hasOwn(values, name) ? values[name] : undefined) });
    } else {
      const prefix = p.prefix ?? SPIN_ENV_PREFIX;
      out.push(envProvider(`env provider (${prefix}_*)`, prefix, opts.env, p.dotenvPath === undefined ? none : lazy(p.dotenvPath)));
    }
  }
  out.push(envProvider(`environment ${SPIN_ENV_PREFIX}_*`, SPIN_ENV_PREFIX, opts.env, none));
  out.push(envProvider(`environment ${WASMLET_ENV_PREFIX}_*`, WASMLET_ENV_PREFIX, opts.env, none));
  const dotenv = lazy(join(opts.appDir, '.env'));
  out.push(envProvider('.env', SPIN_ENV_PREFIX, {}, dotenv));
  out.push(envProvider('.env', WASMLET_ENV_PREFIX, {}, dotenv));
  return out;
}

/** A problem found while resolving, located at an application variable (`[variables] name`). */
export interface VariableProblem {
  /** The application variable concerned. */
  variable: string;
  message: string;
}

/** The values of every application variable that has one. Secret values included: keep it internal. */
export function resolveAppVariables(vars: ManifestVariables, providers: readonly VariablesProvider[]):
  { values: Map<string, string>; problems: VariableProblem[] } {
  const values = new Map<string, string>();
  const problems: VariableProblem[] = [];
  for (const [name, decl] of Object.entries(vars.declared)) {
    let value: string | undefined;
    for (const p of providers) {
      value = p.get(name);
      if (value !== undefined) break;
    }
    value ??= vars.defaults[name];
    if (value !== undefined) {
      values.set(name, value);
    } else if (decl.required) {
      problems.push({
        variable: name,
        message: `required variable \`${name}\` has no value — set ${envKey(SPIN_ENV_PREFIX, name)} (or ${envKey(WASMLET_ENV_PREFIX, name)}) in the environment or the app's .env, or give it a variables_provider in the runtime config`,
      });
    }
  }
  return { values, problems };
}

/**
 * Resolves each component's `variables` templates into plain strings and marks as secret every
 * component variable whose template uses a `secret = true` application variable. Mutates the
 * components' `variables` and `secretVariables`.
 * @param templates component id -> variable name -> parsed template (checked by the manifest
 *   parser: every name is declared).
 * @returns the problems (required variables without a value), each once; empty when all resolved.
 * @throws ManifestError when a dotenv file cannot be parsed.
 */
export function resolveComponentVariables(components: Record<string, LockedComponent>,
  templates: Record<string, Record<string, TemplatePart[]>>, vars: ManifestVariables,
  providers: readonly VariablesProvider[]): VariableProblem[] {
  const { values, problems } = resolveAppVariables(vars, providers);
  if (problems.length > 0) return problems;
  for (const [id, byName] of Object.entries(templates)) {
    const component = components[id];
    if (!component) continue;
    for (const [name, parts] of Object.entries(byName)) {
      component.variables[name] = resolveTemplate(parts, (v) => values.get(v)!);
      if (templateNames(parts).some((v) => vars.declared[v]?.secret)) component.secretVariables.push(name);
    }
  }
  return [];
}

/**
 * A copy of a value (a locked app, a component, anything plain) where each component's secret
 * variable values, and the password of every Redis backend `url` and Redis trigger `address`, are replaced by
 * {@link REDACTED}: what may be logged or serialized for humans.
 */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const secrets = Array.isArray(obj.secretVariables) ? obj.secretVariables as string[] : [];
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'variables' && secrets.length > 0 && typeof v === 'object' && v !== null) {
      out[k] = Object.fromEntries(Object.entries(v).map(([n, x]) => [n, secrets.includes(n) ? REDACTED : x]));
    } else if ((k === 'url' && obj.type === 'redis' && typeof v === 'string') || (k === 'address' && typeof v === 'string' && /^rediss?:/i.test(v))) {
      // A Redis backend's `url`, a Redis trigger's `address`: the password never shows.
      out[k] = redactUrlPassword(v);
    } else {
      out[k] = redactSecrets(v);
    }
  }
  return out as T;
}

function redactUrlPassword(text: string): string {
  try {
    const u = new URL(text);
    if (u.password === '') return text;
    u.password = REDACTED;
    return u.href;
  } catch {
    return REDACTED;
  }
}

/** The diagnostics for problems, located at `[variables] <name>` by `locate`. */
export function variableDiagnostics(problems: readonly VariableProblem[],
  locate: (name: string) => number | undefined): ManifestDiagnostic[] {
  return problems.map((p) => {
    const line = locate(p.variable);
    return line === undefined ? { message: p.message } : { line, message: p.message };
  });
}
