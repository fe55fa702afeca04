// A growable byte buffer for re-encoding a Wasm binary: raw byte ranges are copied in bulk
// (`Uint8Array.set`), so rewriting a 12 MB module costs a few copies, not one push per byte.
import { uleb128 } from '../binary.ts';

/** An append-only byte buffer; `length` bytes of it are valid. */
export class ByteWriter {
  #buf: Uint8Array;
  length = 0;

  /** @param capacity initial size in bytes (it doubles as needed). */
  constructor(capacity = 1024) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
  }

  #reserve(n: number): void {
    if (this.length + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
  }

  byte(b: number): void {
    this.#reserve(1);
    this.#buf[this.length++] = b;
  }

  /** Appends `src[start, end)`. */
  bytes(src: Uint8Array | readonly number[], start = 0, end = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    this.#reserve(n);
    if (src instanceof Uint8Array) this.#buf.set(src.subarray(start, end), this.length);
    else for (let i = start; i < end; i++) this.#buf[this.length + i - start] = src[i]!;
    this.length += n;
  }

  /** Appends `value` as unsigned LEB128. */
  uleb(value: number): void {
    if (value < 0x80) { this.byte(value); return; }
    this.bytes(uleb128(value));
  }

  /** Appends another writer's contents prefixed with their length (a section payload, a function body). */
  sized(inner: ByteWriter): void {
    this.uleb(inner.length);
    this.bytes(inner.#buf, 0, inner.length);
  }

  /** Appends another writer's contents. */
  append(inner: ByteWriter): void {
    this.bytes(inner.#buf, 0, inner.length);
  }

  /** Empties the buffer (keeps its capacity), for reuse as scratch space. */
  clear(): void { this.length = 0; }

  /** A copy of the valid bytes, exactly `length` long. */
  toBytes(): Uint8Array<ArrayBuffer> {
    return this.#buf.slice(0, this.length);
  }
}
