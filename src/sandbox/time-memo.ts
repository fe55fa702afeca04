// Nanosecond file times on a host directory. WASI gives timestamps in nanoseconds, and a guest
// that sets `mtim = t` expects `fd_filestat_get` to return exactly `t` (wasi-testsuite
// fd_filestat_set, path_filestat, symlink_filestat; Wasmtime passes them with utimensat). Node
// cannot set a time that exactly: `fs.utimes`/`futimes`/`lutimes` take seconds as a double (or
// a Date, in ms; a bigint is refused), and libuv turns the double into a timespec, which at
// today's epoch is only good to a few hundred ns. So the sandbox remembers, per host inode, the
// exact value it was asked to set next to the value the host stored, and reports the asked value
// for as long as the host still holds the stored one. Once the host's time differs (a write, a
// truncate, another process, another set-times with "now"), the host's value is reported again
// and the memo entry is dropped: the memo never hides a change made since.
import type { VfsStat } from './vfs.ts';

/** Host inodes with remembered times, at most; beyond it the oldest entry is forgotten (its
 * times then read as the host rounded them: within a microsecond of what was set). */
export const TIME_MEMO_MAX_ENTRIES = 1024;

interface Entry {
  /** The time the guest set, ns; null when the host's own value is the one to report. */
  atimAsked: bigint | null;
  /** What the host stored for it (its stat right after the set), ns. */
  atimHost: bigint;
  mtimAsked: bigint | null;
  mtimHost: bigint;
}

/** Host-side times as read back from the host, in ns since the epoch. */
export interface HostTimes {
  dev: bigint;
  ino: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
}

/**
 * The exact times a guest set on host inodes (keyed by device and inode number, so hard links,
 * a file opened twice and overlapping preopens all agree). One per guest instance, shared by its
 * host-directory preopens (HostDirGroup); never shared between instances.
 */
export class TimeMemo {
  readonly #entries = new Map<string, Entry>();

  /**
   * Records a set-times: `host` is the node's stat read back right after the host call,
   * `atimNs`/`mtimNs` the values asked for (ns; null for "now", whose host value is right).
   */
  record(host: HostTimes, atimNs: bigint | null, mtimNs: bigint | null): void {
    const key = `${host.dev}:${host.ino}`;
    const entries = this.#entries;
    entries.delete(key); // re-inserted last: the oldest entry is the first in the Map
    const atimAsked = atimNs === host.atimeNs ? null : atimNs;
    const mtimAsked = mtimNs === host.mtimeNs ? null : mtimNs;
    if (atimAsked === null && mtimAsked === null) return; // the host holds them exactly
    if (entries.size >= TIME_MEMO_MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    entries.set(key, { atimAsked, atimHost: host.atimeNs, mtimAsked, mtimHost: host.mtimeNs });
  }

  /** Replaces, in `s` (a stat fresh from the host), the times the guest set that the host still
   * holds; returns `s`. */
  apply(s: VfsStat): VfsStat {
    if (this.#entries.size === 0) return s;
    const key = `${s.dev}:${s.ino}`;
    const e = this.#entries.get(key);
    if (e === undefined) return s;
    if (e.atimAsked !== null) {
      if (s.atimNs === e.atimHost) s.atimNs = e.atimAsked;
      else e.atimAsked = null;
    }
    if (e.mtimAsked !== null) {
      if (s.mtimNs === e.mtimHost) s.mtimNs = e.mtimAsked;
      else e.mtimAsked = null;
    }
    if (e.atimAsked === null && e.mtimAsked === null) this.#entries.delete(key);
    return s;
  }
}
