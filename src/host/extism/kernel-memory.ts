// The Extism kernel's memory: the host-side heap that `extism:host/env` `alloc`/`free`/`length`/
// `load_*`/`store_*` address. Extism keeps it outside the guest's linear memory (the Rust runtime
// in a kernel Wasm module, extism/extism kernel/src/lib.rs `MemoryRoot`; the JS host as an array
// of ArrayBuffer "blocks", extism/js-sdk src/call-context.ts `Block`). wasmlet keeps it in one
// buffer with a bump allocator, so an address is a plain byte offset (no index/offset split to
// decode per call, which is what makes `load_u8` and friends cheap), and the allocator's state
// lives in the buffer itself: a SharedArrayBuffer arena is then the same heap on the worker that
// runs the plugin and on the main thread that runs its host functions.

/** Layout: bytes [0, 8) hold the state words, blocks follow, each `[len u32][tag u32][data]`. */
const STATE_TOP = 0; // u32 index: byte offset of the first free byte
const STATE_LIVE = 1; // u32 index: bytes in live blocks (for `memory.maxPages`)
const HEADER = 8;
const FIRST_BLOCK = 8;
const TAG_LIVE = 0x4b4c4f42;
const TAG_FREE = 0;
const PAGE = 65536;
/** Address space a kernel heap may reserve when `memory.maxPages` is unset (virtual, not committed). */
export const DEFAULT_KERNEL_MAX_BYTES = 1 << 30;

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** The buffer a heap lives in: a plain ArrayBuffer (in-process) or a growable SharedArrayBuffer (worker mode). */
export type KernelBuffer = ArrayBuffer | SharedArrayBuffer;

/**
 * Makes the buffer of a new heap of at most `maxBytes`. Shared (a growable SharedArrayBuffer, the
 * same heap on two threads) when the plugin runs on a worker. In-process it is a plain
 * ArrayBuffer, replaced by a larger copy when it fills: V8 reads plain buffers faster than
 * resizable ones (measured ~1.5x on `getBigUint64`), and `load_*` are the kernel's hottest calls.
 */
export function createKernelBuffer(maxBytes: number, shared: boolean): KernelBuffer {
  const initial = Math.min(PAGE, maxBytes);
  const buf = shared ? new SharedArrayBuffer(initial, { maxByteLength: maxBytes }) : new ArrayBuffer(initial);
  new Uint32Array(buf, 0, 2)[STATE_TOP] = FIRST_BLOCK;
  return buf;
}

/**
 * One plugin's kernel heap. Offsets are numbers; the ABI passes them as i64, converted once by the
 * caller. Offset 0 is never a block (Extism's null). Reading outside a live block but inside the
 * buffer yields stale bytes of this same plugin, never another's; writes below the first block
 * are ignored so a guest cannot break the allocator.
 */
export class KernelMemory {
  /** The buffer and its views: replaced when a plain buffer grows, so read them per access. */
  buffer: KernelBuffer;
  u8: Uint8Array;
  view: DataView;
  #state: Uint32Array;
  readonly #maxLiveBytes: number;
  readonly #maxBytes: number;

  /**
   * @param buffer from {@link createKernelBuffer} (or the same buffer on another thread).
   * @param maxPages Extism's `memory.maxPages`: the most 64 KiB pages live blocks may add up to;
   *   past it `alloc` returns 0 (as js-sdk's CallContext.alloc does). Undefined: no cap.
   * @param maxBytes the most a plain buffer may grow to (a shared one: its `maxByteLength`).
   */
  constructor(buffer: KernelBuffer, maxPages?: number, maxBytes: number = DEFAULT_KERNEL_MAX_BYTES) {
    this.buffer = buffer;
    this.u8 = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.#state = new Uint32Array(buffer, 0, 2);
    this.#maxLiveBytes = maxPages === undefined ? Infinity : maxPages * PAGE;
    this.#maxBytes = buffer instanceof SharedArrayBuffer ? buffer.maxByteLength : maxBytes;
  }

  /** Bytes in live blocks. */
  get liveBytes(): number { return this.#state[STATE_LIVE]!; }

  /** Frees every block (at the start of each call, as Extism resets its kernel per call). */
  reset(): void {
    this.#state[STATE_TOP] = FIRST_BLOCK;
    this.#state[STATE_LIVE] = 0;
  }

  /**
   * Allocates a block of `size` bytes (contents unspecified).
   * @returns its offset, or 0 when the `maxPages` cap or the buffer's reservation would be passed
   *   ({@link pagesWith} then gives the pages asked for, for Extism's log line).
   */
  alloc(size: number): number {
    const state = this.#state;
    const top = state[STATE_TOP]!;
    const off = top + HEADER;
    const end = off + align8(size);
    const live = state[STATE_LIVE]! + size;
    if (live > this.#maxLiveBytes || size < 0 || !this.#ensure(end)) return 0;
    this.view.setUint32(top, size, true);
    this.view.setUint32(top + 4, TAG_LIVE, true);
    state[STATE_TOP] = end;
    state[STATE_LIVE] = live;
    return off;
  }

  /** Pages live blocks would need after allocating `size` more bytes (js-sdk's limit message). */
  pagesWith(size: number): number {
    return Math.ceil((this.liveBytes + size) / PAGE);
  }

  /** The length of the live block at `off`, or -1 when `off` is not one. */
  length(off: number): number {
    if (off < FIRST_BLOCK + HEADER || (off & 7) !== 0) return -1;
    const top = this.#state[STATE_TOP]!;
    if (off > top) return -1;
    const view = this.view;
    if (view.getUint32(off - 4, true) !== TAG_LIVE) return -1;
    const len = view.getUint32(off - 8, true);
    return off + len <= top ? len : -1;
  }

  /** Frees the block at `off` (a no-op for anything else); the last block's space is reused. */
  free(off: number): void {
    const len = this.length(off);
    if (len < 0) return;
    const state = this.#state;
    this.view.setUint32(off - 4, TAG_FREE, true);
    state[STATE_LIVE] = state[STATE_LIVE]! - len;
    if (off + align8(len) === state[STATE_TOP]) state[STATE_TOP] = off - HEADER;
  }

  /** Shortens the last-allocated block at `off` to `len` bytes (no-op for any other block). */
  shrink(off: number, len: number): void {
    const old = this.length(off);
    const state = this.#state;
    if (old < len || off + align8(old) !== state[STATE_TOP]) return;
    this.view.setUint32(off - 8, len, true);
    state[STATE_TOP] = off + align8(len);
    state[STATE_LIVE] = state[STATE_LIVE]! - old + len;
  }

  /** A copy of `len` bytes at `off`. */
  copyOut(off: number, len: number): Uint8Array {
    return this.u8.slice(off, off + len);
  }

  /** Allocates a block holding `bytes`; 0 when it cannot. */
  store(bytes: Uint8Array): number {
    const off = this.alloc(bytes.byteLength);
    if (off !== 0) this.u8.set(bytes, off);
    return off;
  }

  /** Whether a guest store at `off` may land (not in the allocator's words). */
  static writable(off: number): boolean { return off >= FIRST_BLOCK + HEADER; }

  #ensure(end: number): boolean {
    const buf = this.buffer;
    if (end <= buf.byteLength) return true;
    const max = this.#maxBytes;
    if (end > max) return false;
    const next = Math.min(max, Math.max(end, buf.byteLength * 2));
    if (buf instanceof SharedArrayBuffer) {
      buf.grow(next); // length-tracking views follow
      return true;
    }
    const bigger = new ArrayBuffer(next);
    const u8 = new Uint8Array(bigger);
    u8.set(this.u8);
    this.buffer = bigger;
    this.u8 = u8;
    this.view = new DataView(bigger);
    this.#state = new Uint32Array(bigger, 0, 2);
    return true;
  }
}
