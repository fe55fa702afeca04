// Diagnostics for strictly parsed TOML files (the manifest, the runtime config): every problem is
// collected with its line, so the user sees all of them at once.
import { parse, TomlError } from 'smol-toml';
import { closestMatch } from '../../util/edit-distance.ts';
import { locateKey, type TomlPath } from './locate-key.ts';
import { ManifestError, type ManifestDiagnostic } from './manifest-error.ts';

/** A TOML table as smol-toml parses it. */
export type Table = Record<string, unknown>;

/** True for a TOML table (not an array, date or scalar). */
export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** True for a value that says nothing: `false`, `[]`, `{}`. */
export function isEmptyValue(v: unknown): boolean {
  return v === false || (Array.isArray(v) && v.length === 0) || (isTable(v) && Object.keys(v).length === 0);
}

/** `component.hello.limits`, `trigger.http[0].executor`. */
export function showPath(path: TomlPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : (s === '' ? p : `.${p}`);
  return s === '' ? '(top level)' : s;
}

/** Collects diagnostics, locating each one's line in the source. */
export class Diagnostics {
  readonly list: ManifestDiagnostic[] = [];
  readonly #source: string;
  constructor(source: string) { this.#source = source; }

  add(path: TomlPath, message: string): void {
    const line = locateKey(this.#source, path);
    this.list.push(line === undefined ? { message } : { line, message });
  }

  /**
   * Reports each key of `table` that is not in `allowed` (the keys wasmlet supports there). A key
   * of `unsupported` (Spin keys wasmlet does not implement yet -> `is not supported ... — what to
   * do`) is never called a typo: it is reported with its own message, unless its value is empty
   * (`false`, `[]`, `{}`), which means nothing. Other keys get a did-you-mean among `allowed` only
   * (Damerau-Levenshtein distance at most 2, util/edit-distance.ts).
   */
  unknownKeys(table: Table, path: TomlPath, allowed: readonly string[], unsupported: Readonly<Record<string, string>> = {}): void {
    for (const [key, value] of Object.entries(table)) {
      if (allowed.includes(key)) continue;
      if (Object.hasOwn(unsupported, key)) {
        if (!isEmptyValue(value)) this.add([...path, key], `\`${key}\` ${unsupported[key]}`);
        continue;
      }
      const near = closestMatch(key, allowed);
      this.add([...path, key], `unknown key \`${key}\` in ${path.length === 0 ? 'the top level' : `table \`${showPath(path)}\``}`
        + (near === undefined ? ' — remove it or fix its spelling' : ` — did you mean \`${near}\`?`)
        + ` (allowed: ${allowed.join(', ')})`);
    }
  }

  string(table: Table, key: string, path: TomlPath, required: boolean): string | undefined {
    const v = table[key];
    if (v === undefined) {
      if (required) this.add(path, `missing \`${key}\` in \`${showPath(path)}\` — add ${key} = "..."`);
      return undefined;
    }
    if (typeof v !== 'string') {
      this.add([...path, key], `\`${showPath([...path, key])}\` must be a string — quote it: ${key} = "..."`);
      return undefined;
    }
    return v;
  }

  stringArray(table: Table, key: string, path: TomlPath): string[] {
    const v = table[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      this.add([...path, key], `\`${showPath([...path, key])}\` must be an array of strings — e.g. ${key} = ["..."]`);
      return [];
    }
    return v as string[];
  }

  table(table: Table, key: string, path: TomlPath): Table | undefined {
    const v = table[key];
    if (v === undefined) return undefined;
    if (!isTable(v)) {
      this.add([...path, key], `\`${showPath([...path, key])}\` must be a table — write [${showPath([...path, key])}] or ${key} = { ... }`);
      return undefined;
    }
    return v;
  }
}

/**
 * Parses TOML text (smol-toml, TOML 1.0) into its root table.
 * @param absPath the file's absolute path, for the error.
 * @throws ManifestError (`WASMLET_ERR_MANIFEST`) with the line of a syntax error.
 */
export function parseTomlFile(source: string, absPath: string): Table {
  try {
    return parse(source) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const what = err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new ManifestError(absPath, [{ line: err.line, message: `invalid TOML: ${what} — fix the syntax` }], { cause: err });
    }
    throw err;
  }
}

/** Throws the collected problems, sorted by line, as one ManifestError; does nothing when there are none. */
export function throwIfAny(d: Diagnostics, absPath: string): void {
  if (d.list.length === 0) return;
  const byLine = [...d.list].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  throw new ManifestError(absPath, byLine);
}
