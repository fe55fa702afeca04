// argv / environ for args_* and environ_* (witx `args_get`, `environ_get`): a list of strings the
// guest reads as NUL-terminated UTF-8. Encoded lazily, straight into guest memory: a guest that
// never asks pays nothing, and one that does costs one string join and one encodeInto, with no
// per-string byte arrays (`wasmlet serve` builds one per request, with ~20 CGI variables).

const encoder = new TextEncoder();

/** `s` as a C string sees it: cut at its first U+0000 (so every NUL in a list ends an entry). */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** A list of strings in the guest's `*_sizes_get` / `*_get` layout. */
export class StringList {
  /** Every string followed by NUL, joined. */
  readonly #joined: string;
  /** Number of strings. */
  readonly count: number;
  /** UTF-8 bytes of all strings including their NULs (what `*_sizes_get` reports). */
  readonly bytes: number;

  private constructor(joined: string, count: number) {
    this.#joined = joined;
    this.count = count;
    // One native pass (it also flattens the joined string once, for encodeInto); measured
    // cheaper than a JS ASCII check, which pays per character on the unflattened string.
    this.bytes = Buffer.byteLength(joined, 'utf8');
  }

  /** From argv. */
  static ofArgs(args: readonly string[]): StringList {
    let joined = '';
    for (const a of args) joined += `${cString(a)}\0`;
    return new StringList(joined, args.length);
  }

  /** From an environment, as `KEY=value` entries in order (an object's key order, or the pairs'). */
  static ofEnv(env: Readonly<Record<string, string>> | readonly (readonly [string, string])[]): StringList {
    let joined = '';
    let count = 0;
    const add = (k: string, v: string) => {
      joined += k.includes('\0') || v.includes('\0') ? `${cString(`${k}=${v}`)}\0` : `${k}=${v}\0`;
      count++;
    };
    if (Array.isArray(env)) {
      for (const [k, v] of env as readonly (readonly [string, string])[]) add(k, v);
    } else {
      const rec = env as Readonly<Record<string, string>>;
      for (const k of Object.keys(rec)) add(k, rec[k]!);
    }
    return new StringList(joined, count);
  }

  /**
   * Writes the strings at `buf` and their `count` u32 addresses at `ptrs` into `u8` (a view of
   * the whole linear memory). Returns false, writing nothing, when either range is outside it.
   */
  writeTo(u8: Uint8Array, dv: DataView, ptrs: number, buf: number): boolean {
    const end = buf + this.bytes;
    if (end > u8.length || ptrs + this.count * 4 > u8.length) return false;
    if (this.bytes > 0) encoder.encodeInto(this.#joined, u8.subarray(buf, end));
    // Entries have no NUL of their own (cString): each NUL ends one, the next starts after it.
    let at = buf;
    for (let i = 0; i < this.count; i++) {
      dv.setUint32(ptrs + i * 4, at, true);
      at = u8.indexOf(0, at) + 1;
    }
    return true;
  }
}
