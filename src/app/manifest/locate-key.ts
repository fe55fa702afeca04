// smol-toml gives values without positions, so a diagnostic finds its line by a small scan of the
// source: table headers are tracked (with `[[array]]` occurrence counts) and `key =` lines matched
// against the wanted path. Best effort: a miss returns undefined and the message still names the
// key and its table.

/** A path into the parsed TOML: table keys, and indexes into arrays of tables / arrays. */
export type TomlPath = readonly (string | number)[];

interface KeyLine {
  line: number; // 1-based
  /** Absolute path of the key on this line (section path + dotted key), numbers for `[[x]]`. */
  path: (string | number)[];
  /** The text after `=`. */
  rest: string;
}

interface Header {
  line: number;
  path: (string | number)[];
}

const BARE = /^[A-Za-z0-9_-]+/;

/** Parses a dotted key (`a."b.c".d`) at the start of `text`; returns the segments and the remainder. */
function parseDottedKey(text: string): { keys: string[]; rest: string } | undefined {
  const keys: string[] = [];
  let s = text.trimStart();
  for (;;) {
    let m: RegExpExecArray | null;
    if (s.startsWith('"') || s.startsWith("'")) {
      const q = s[0]!;
      const end = s.indexOf(q, 1);
      if (end < 0) return undefined;
      keys.push(s.slice(1, end));
      s = s.slice(end + 1);
    } else if ((m = BARE.exec(s))) {
      keys.push(m[0]);
      s = s.slice(m[0].length);
    } else {
      return undefined;
    }
    s = s.trimStart();
    if (s.startsWith('.')) { s = s.slice(1).trimStart(); continue; }
    return { keys, rest: s };
  }
}

/** Scans TOML source for table headers and `key = value` lines. */
function scan(source: string): { headers: Header[]; keys: KeyLine[] } {
  const headers: Header[] = [];
  const keys: KeyLine[] = [];
  const arrayCounts = new Map<string, number>();
  let section: (string | number)[] = [];
  const lines = source.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.trim();
    if (text.startsWith('[')) {
      const isArray = text.startsWith('[[');
      const parsed = parseDottedKey(text.slice(isArray ? 2 : 1));
      if (!parsed) continue;
      // Insert the current index of every enclosing array of tables (`[trigger.http.executor]`).
      const path: (string | number)[] = [];
      parsed.keys.forEach((k, j) => {
        path.push(k);
        const joined = stringsOf(path).join('\0');
        if (isArray && j === parsed.keys.length - 1) {
          const n = arrayCounts.get(joined) ?? 0;
          arrayCounts.set(joined, n + 1);
          path.push(n);
        } else if (arrayCounts.has(joined)) {
          path.push(arrayCounts.get(joined)! - 1);
        }
      });
      section = path;
      headers.push({ line: i + 1, path });
      continue;
    }
    const parsed = parseDottedKey(text);
    if (parsed && parsed.rest.startsWith('=')) {
      keys.push({ line: i + 1, path: [...section, ...parsed.keys], rest: parsed.rest.slice(1) });
    }
  }
  return { headers, keys };
}

function stringsOf(path: TomlPath): string[] {
  return path.filter((p): p is string => typeof p === 'string');
}

function startsWith(path: TomlPath, prefix: TomlPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => path[i] === p);
}

/**
 * Finds the 1-based line where `path` is defined in `source`, or undefined.
 * `[[x]]` sections count as `x, 0`, `x, 1`...; inline arrays/tables are matched by key name.
 */
export function locateKey(source: string, path: TomlPath): number | undefined {
  const { headers, keys } = scan(source);
  // 1. A `key =` line whose full path is exactly the target.
  const exact = keys.find((k) => k.path.length === path.length && startsWith(path, k.path));
  if (exact) return exact.line;
  // 2. A header that opens the target table (or a table inside it).
  const header = headers.find((h) => startsWith(h.path, path));
  if (header) return header.line;
  // 3. A `key =` whose value (inline table/array) contains the target: match by string keys only,
  //    then look for the innermost key name on that line or the following ones.
  const target = stringsOf(path);
  let best: KeyLine | undefined;
  for (const k of keys) {
    const ks = stringsOf(k.path);
    if (k.path.length < path.length && startsWith(target, ks) && (!best || ks.length > stringsOf(best.path).length)) {
      // Array-of-tables indexes in the key's own section must agree with the target's.
      const numericOk = k.path.every((p, i) => typeof p === 'string' || path[i] === p);
      if (numericOk) best = k;
    }
  }
  if (!best) return undefined;
  const last = target.at(-1);
  if (last === undefined || target.length === stringsOf(best.path).length) return best.line;
  const keyRe = new RegExp(`(^|[\\s{,])("${escapeRe(last)}"|${escapeRe(last)})\\s*=`);
  const lines = source.split(/\r?\n/);
  if (keyRe.test(best.rest)) return best.line;
  for (let i = best.line; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t.startsWith('[') && !t.startsWith('[ ') && /^\[\[?[A-Za-z0-9_"'.-]+\]\]?/.test(t)) break;
    if (keyRe.test(t)) return i + 1;
  }
  return best.line;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
