// What every wasi_snapshot_preview1 syscall of one instance works on: the version-neutral
// context (descriptor table, args/env, clocks, random), the guest's linear memory as views, and
// the helpers that decode guest pointers and find descriptors. The syscalls themselves live one
// witx group per file (args-env.ts, clocks-random.ts, fd.ts, path.ts, poll.ts, proc.ts, sock.ts).
import { Descriptor, DirDescriptor } from '../../../sandbox/descriptor.ts';
import { fsError } from '../../../sandbox/fs-error.ts';
import type { InputStream, OutputStream } from '../../../sandbox/stdio.ts';
import type { FileType, TimeSpec, VfsStat } from '../../../sandbox/vfs.ts';
import type { WasiCtx } from '../ctx.ts';
import { errnoOf } from './errno.ts';
import { StringList } from './string-list.ts';
import {
  FILETYPE_BLOCK_DEVICE, FILETYPE_CHARACTER_DEVICE, FILETYPE_DIRECTORY, FILETYPE_REGULAR_FILE,
  FILETYPE_SOCKET_STREAM, FILETYPE_SYMBOLIC_LINK, FILETYPE_UNKNOWN,
} from './wasi-defs.ts';

/** The context a p1 instance sits on: its stdio are the sandbox's synchronous streams. */
export type P1Ctx = WasiCtx<InputStream, OutputStream>;

const strictDecoder = new TextDecoder('utf-8', { fatal: true });
/** The views before the first refresh(): zero-length, so nothing can be stored through them (no shared state). */
const NO_BYTES = new Uint8Array(0);
const NO_VIEW = new DataView(new ArrayBuffer(0));

/** witx `filetype` of each sandbox file type. */
export const FILETYPE: Readonly<Record<FileType, number>> = {
  'unknown': FILETYPE_UNKNOWN,
  'block-device': FILETYPE_BLOCK_DEVICE,
  'character-device': FILETYPE_CHARACTER_DEVICE,
  'directory': FILETYPE_DIRECTORY,
  'fifo': FILETYPE_UNKNOWN, // p1 has no FIFO type (Wasmtime reports UNKNOWN)
  'symbolic-link': FILETYPE_SYMBOLIC_LINK,
  'regular-file': FILETYPE_REGULAR_FILE,
  'socket': FILETYPE_SOCKET_STREAM,
};

/** Traps: a WASI call was given a pointer outside linear memory (Wasmtime traps too). */
export function oob(): never {
  throw new WebAssembly.RuntimeError('WASI call got a pointer outside linear memory');
}

/** A guest u64 offset/size as a JS number; EINVAL beyond 2^53 (no host file is that large). */
export function toNum(v: bigint): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw fsError('EINVAL');
  return Number(v);
}

/** Wasmtime's systimespec: setting a time and "now" together is EINVAL. */
export function timeSpec(flags: number, value: bigint, setBit: number, nowBit: number): TimeSpec {
  const set = (flags & setBit) !== 0;
  const now = (flags & nowBit) !== 0;
  if (set && now) throw fsError('EINVAL');
  return set ? value : now ? 'now' : null;
}

/** One p1 instance's state. Fields are public for the syscall files of this folder only. */
export class P1State {
  readonly ctx: P1Ctx;
  readonly table: P1Ctx['table'];
  /** argv / environ, encoded on the guest's first args_* / environ_* call. */
  argList: StringList | null = null;
  envList: StringList | null = null;
  #memory: WebAssembly.Memory | null = null;
  #ab: ArrayBufferLike | null = null;
  #shared = false;
  /** All of linear memory, current after `refresh()`. */
  u8: Uint8Array = NO_BYTES;
  dv: DataView = NO_VIEW;
  /** `u8` as a Buffer, made on first use (for latin1 string slices). */
  #latin1: Buffer | null = null;

  constructor(ctx: P1Ctx) {
    this.ctx = ctx;
    this.table = ctx.table;
  }

  /** Points the views at `memory` (start()/initialize()). */
  bind(memory: WebAssembly.Memory): void {
    this.#memory = memory;
    this.#ab = null;
    this.#latin1 = null;
    this.u8 = NO_BYTES;
  }

  /**
   * Makes `u8`/`dv` current. Cheap when nothing changed: growing a non-shared memory detaches
   * its old buffer, so an empty view means "re-read memory.buffer"; a shared memory never
   * detaches and is re-read every time.
   */
  refresh(): void {
    if (this.u8.length === 0 || this.#shared) this.#rebind();
  }

  #rebind(): void {
    const memory = this.#memory;
    if (memory === null) throw new WebAssembly.RuntimeError('WASI call before start()/initialize() bound the memory');
    const buf = memory.buffer;
    if (buf !== this.#ab) {
      this.#ab = buf;
      this.#latin1 = null;
      this.#shared = typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer;
      this.u8 = new Uint8Array(buf);
      this.dv = new DataView(buf);
    }
  }

  /** errno for a failure; anything that is not an I/O error is a trap and is rethrown. */
  fail(err: unknown): number {
    const errno = errnoOf(err);
    if (errno >= 0) return errno;
    if (err instanceof RangeError) throw new WebAssembly.RuntimeError(`WASI call accessed memory out of bounds: ${err.message}`);
    throw err;
  }

  /** A guest string (u32 pointer and length) as UTF-8; EILSEQ if it is not. Call after refresh(). */
  str(ptr: number, len: number): string {
    const u8 = this.u8;
    if (ptr + len > u8.length) oob();
    // Paths are nearly always ASCII: check, then one latin1 slice of memory (one flat string;
    // no per-character concatenation, no subarray, no decoder).
    const end = ptr + len;
    let k = ptr;
    while (k < end && u8[k]! < 0x80) k++;
    if (k === end) {
      return (this.#latin1 ??= Buffer.from(u8.buffer, u8.byteOffset, u8.length)).toString('latin1', ptr, end);
    }
    try {
      return strictDecoder.decode(u8.subarray(ptr, ptr + len));
    } catch {
      throw fsError('EILSEQ');
    }
  }

  /** A guest path argument (u32 pointer and length): see str(). */
  path(ptr: number, len: number): string {
    return this.str(ptr >>> 0, len >>> 0);
  }

  /** The descriptor at `fd`; EBADF if none. */
  get(fd: number): Descriptor {
    const d = this.table.get(fd);
    if (d === undefined) throw fsError('EBADF');
    return d;
  }

  /** The directory at `fd`; EBADF if it is not one. */
  dir(fd: number): DirDescriptor {
    const d = this.table.get(fd);
    if (!(d instanceof DirDescriptor)) throw fsError('EBADF');
    return d;
  }

  /**
   * The directory at `fd` for a path_* call, after writing back buffered data (a path
   * operation may observe the file) and refreshing the memory views. EBADF if not a directory.
   */
  dirAt(fd: number): DirDescriptor {
    const table = this.table;
    if (table.dirty !== null) table.flushPending();
    const d = this.dir(fd);
    this.refresh();
    return d;
  }

  /** Writes a witx `filestat` (64 bytes) at `ptr`. */
  writeFilestat(ptr: number, s: VfsStat): void {
    const dv = this.dv;
    if (ptr + 64 > this.u8.length) oob();
    dv.setBigUint64(ptr, s.dev, true);
    dv.setBigUint64(ptr + 8, s.ino, true);
    dv.setUint32(ptr + 16, FILETYPE[s.type], true); // filetype u8 + padding (no BigInt to allocate)
    dv.setUint32(ptr + 20, 0, true);
    dv.setBigUint64(ptr + 24, s.nlink, true);
    dv.setBigUint64(ptr + 32, s.size, true);
    // Times before 1970 are negative: store their two's complement, as a u64 field holds them.
    dv.setBigInt64(ptr + 40, s.atimNs, true);
    dv.setBigInt64(ptr + 48, s.mtimNs, true);
    dv.setBigInt64(ptr + 56, s.ctimNs, true);
  }

  /**
   * Transfers the guest's iovec array at `iovs` (`iovsLen` entries of {buf u32, len u32})
   * between guest memory and `d`: reads into memory unless `write`; sequentially when `pos` < 0,
   * else at `pos` on. Stops at a short transfer; returns the bytes moved. Data moves straight
   * between the host and guest memory (no host buffer sized by the guest). An array or buffer
   * outside memory traps (Wasmtime: out-of-bounds pointers trap).
   */
  iov(d: Descriptor, iovs: number, iovsLen: number, pos: number, write: boolean): number {
    this.refresh();
    const dv = this.dv;
    const u8 = this.u8;
    iovs >>>= 0;
    iovsLen >>>= 0;
    if (iovs + iovsLen * 8 > u8.length) oob();
    let total = 0;
    for (let i = 0; i < iovsLen; i++) {
      const buf = dv.getUint32(iovs + i * 8, true);
      const len = dv.getUint32(iovs + i * 8 + 4, true);
      if (len === 0) continue;
      if (buf + len > u8.length) oob();
      const n = write
        ? (pos < 0 ? d.write(u8, buf, len) : d.pwrite(u8, buf, len, pos + total))
        : (pos < 0 ? d.read(u8, buf, len) : d.pread(u8, buf, len, pos + total));
      total += n;
      if (n < len) break;
    }
    return total;
  }
}
