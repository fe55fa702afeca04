// The guest's descriptor table: fd number -> Descriptor. Per guest instance; never shared.
import { Descriptor, FileDescriptor } from './descriptor.ts';
import { fsError } from './fs-error.ts';

/**
 * Descriptors one guest instance may hold open at once, by default (stdio and preopens count).
 * Wasmtime sets no such cap; wasmlet does because the host fds behind a guest's open files are
 * the process's, shared by every tenant: one guest opening files in a loop must hit its own
 * limit (EMFILE, as a process at its RLIMIT_NOFILE), not exhaust the server's.
 */
export const DEFAULT_MAX_OPEN_FDS = 1024;

/**
 * Maps fd numbers to descriptors. New fds reuse the highest freed number first, else take the
 * next never-used one (Wasmtime's p1 allocation order).
 *
 * Write buffering contract: after a `write` to a FileDescriptor leaves it `dirty`, the ABI
 * layer records it with `markDirty`; before any operation other than another write to that same
 * descriptor it calls `flushPending()`. So at most one description holds buffered bytes, and
 * every observer (another fd, a path stat, a seek) sees the bytes.
 */
export class FdTable {
  readonly #slots: (Descriptor | undefined)[] = [];
  /** Freed numbers, ascending; pop() gives the highest. */
  readonly #free: number[] = [];
  readonly #maxOpen: number;
  #open = 0;
  #dirty: FileDescriptor | null = null;

  /** @param maxOpen descriptors open at once, at most; default {@link DEFAULT_MAX_OPEN_FDS}. */
  constructor(maxOpen: number = DEFAULT_MAX_OPEN_FDS) {
    this.#maxOpen = maxOpen;
  }

  get(fd: number): Descriptor | undefined {
    return this.#slots[fd];
  }

  /** Descriptors open now. */
  get size(): number { return this.#open; }

  /** True when {@link push} would fail: check before opening a host file, so none is opened in vain. */
  get full(): boolean { return this.#open >= this.#maxOpen; }

  /**
   * Puts `desc` at the next free number; returns it.
   * @throws FsError EMFILE when `maxOpen` descriptors are open (`desc` is not closed: the caller's).
   */
  push(desc: Descriptor): number {
    if (this.#open >= this.#maxOpen) throw fsError('EMFILE');
    const fd = this.#free.length > 0 ? this.#free.pop()! : this.#slots.length;
    this.#slots[fd] = desc;
    this.#open++;
    return fd;
  }

  /** Removes and returns the descriptor at `fd` (undefined if none). Does not close it. */
  remove(fd: number): Descriptor | undefined {
    const desc = this.#slots[fd];
    if (desc === undefined) return undefined;
    if (desc === this.#dirty) this.#dirty = null;
    this.#slots[fd] = undefined;
    this.#open--;
    this.#insertFree(fd);
    return desc;
  }

  /**
   * Moves the descriptor at `from` to `to`, returning the one it replaces (the caller closes
   * it). Both must be open; else returns null.
   */
  renumber(from: number, to: number): Descriptor | null | undefined {
    const src = this.#slots[from];
    const old = this.#slots[to];
    if (src === undefined || old === undefined) return null;
    if (from === to) return undefined;
    this.#slots[to] = src;
    this.#slots[from] = undefined;
    this.#open--;
    this.#insertFree(from);
    if (old === this.#dirty) this.#dirty = null;
    return old;
  }

  #insertFree(fd: number): void {
    const free = this.#free;
    // The common case (closing the newest fd) appends: no splice, which allocates its result.
    if (free.length === 0 || free[free.length - 1]! < fd) {
      free.push(fd);
      return;
    }
    let i = free.length;
    while (i > 0 && free[i - 1]! > fd) i--;
    free.splice(i, 0, fd);
  }

  /** Records the description that holds buffered writes (flushing any other one first). */
  markDirty(desc: FileDescriptor): void {
    if (this.#dirty !== desc) {
      this.#dirty?.flush();
      this.#dirty = desc;
    }
  }

  /** The description holding buffered writes, if any. */
  get dirty(): FileDescriptor | null { return this.#dirty; }

  /** Writes back any buffered bytes. Throws the write's error (the buffer is then dropped). */
  flushPending(): void {
    const d = this.#dirty;
    if (d !== null) {
      this.#dirty = null;
      d.flush();
    }
  }

  /** Flushes and closes every descriptor (errors ignored: this is teardown). Idempotent. */
  closeAll(): void {
    this.#dirty = null;
    for (let fd = 0; fd < this.#slots.length; fd++) {
      const d = this.#slots[fd];
      if (d === undefined) continue;
      this.#slots[fd] = undefined;
      try { d.flush(); } catch { /* teardown */ }
      try { d.close(); } catch { /* teardown */ }
    }
    this.#slots.length = 0;
    this.#free.length = 0;
    this.#open = 0;
  }
}
