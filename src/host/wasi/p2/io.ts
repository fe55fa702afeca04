// wasi:io@0.2.x (error, poll, streams) for jco-transpiled components.
// Resources are classes with #private state; guest errors are thrown as WIT values
// (`{ tag: 'closed' }`, `{ tag: 'last-operation-failed', val: IoError }`), which jco lowers into
// `result::err`. Blocking methods return Promises: the component is transpiled with JSPI
// (`asyncMode: 'jspi'`), so the guest suspends on them without blocking the Node thread.

/** The most bytes one `read`/`blocking-read` returns: the guest picks `len`, the host allocates. */
export const MAX_READ_BYTES = 1 << 20;
/** Bytes `check-write` permits before the guest must flush (per output stream). */
export const WRITE_BUDGET_BYTES = 1 << 16;

/** `wasi:io/error.error`: an opaque error with a debug string (host detail stays in the host). */
export class IoError {
  #message: string;
  constructor(message: string) {
    this.#message = message;
  }
  /** `to-debug-string` */
  toDebugString(): string {
    return this.#message;
  }
}

/** `wasi:io/streams.stream-error` as jco expects it thrown. */
export type StreamError = { tag: 'closed' } | { tag: 'last-operation-failed'; val: IoError };

/** `wasi:io/poll.pollable`: readiness of something the guest may wait on. */
export class Pollable {
  #isReady: () => boolean;
  #whenReady: () => Promise<void>;
  constructor(isReady: () => boolean, whenReady: () => Promise<void>) {
    this.#isReady = isReady;
    this.#whenReady = whenReady;
  }
  /** A pollable that is always ready. */
  static ready(): Pollable {
    return new Pollable(() => true, () => Promise.resolve());
  }
  /** `ready` */
  ready(): boolean {
    return this.#isReady();
  }
  /** `block`: suspends the guest (JSPI) until ready. */
  block(): Promise<void> | void {
    if (this.#isReady()) return;
    return this.#whenReady();
  }
  /** @internal for `poll` */
  whenReady(): Promise<void> {
    return this.#isReady() ? Promise.resolve() : this.#whenReady();
  }
}

/**
 * `wasi:io/poll.poll`: waits until at least one pollable is ready; returns the indices of the ready
 * ones. Traps (throws an Error, not a WIT value) on an empty list, as the spec requires.
 */
export function poll(pollables: Pollable[]): Uint32Array | Promise<Uint32Array> {
  if (pollables.length === 0) throw new RangeError('wasi:io/poll.poll: empty list of pollables');
  const readyNow = (): Uint32Array => {
    const out: number[] = [];
    pollables.forEach((p, i) => { if (p.ready()) out.push(i); });
    return new Uint32Array(out);
  };
  const now = readyNow();
  if (now.length > 0) return now;
  return Promise.race(pollables.map((p) => p.whenReady())).then(readyNow);
}

/** Where an {@link InputStream} gets its bytes from. Built per stream by the host. */
export interface ByteSource {
  /** Up to `max` bytes now; empty when none is buffered yet; `null` at end of stream. */
  read(max: number): Uint8Array | null;
  /** True when `read` would return data or `null` without waiting. */
  ready(): boolean;
  /** Resolves when `ready()` turns true. */
  wait(): Promise<void>;
  /** The failure that ended the stream, if any (reported as `last-operation-failed`). */
  error?(): string | undefined;
}

/** Where an {@link OutputStream} puts its bytes. Built per stream by the host. */
export interface ByteSink {
  /** Takes the bytes (the sink copies them if it keeps them). Throws a string for an I/O failure. */
  write(bytes: Uint8Array): void;
  /** Bytes the sink accepts now without buffering more than it wants; `Infinity` for unbounded. */
  capacity?(): number;
  /** Resolves when buffered bytes are delivered (backpressure released). */
  flush?(): Promise<void> | void;
  /** True when the stream was closed by the other side (writes fail with `closed`). */
  closed?(): boolean;
}

/** A {@link ByteSource} fed by the host: push chunks, then `end()` or `fail()`. */
export class QueueSource implements ByteSource {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #error: string | undefined;
  #waiters: (() => void)[] = [];
  /** Appends a chunk (not copied: the caller gives up ownership). */
  push(chunk: Uint8Array): void {
    if (chunk.length > 0) this.#chunks.push(chunk);
    this.#wake();
  }
  /** Marks the end of the stream. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }
  /** Ends the stream with a failure. */
  fail(message: string): void {
    this.#error = message;
    this.end();
  }
  /** Bytes buffered and not yet read. */
  get buffered(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.length;
    return n;
  }
  read(max: number): Uint8Array | null {
    const head = this.#chunks[0];
    if (head === undefined) return this.#ended ? null : new Uint8Array(0);
    if (head.length <= max) {
      this.#chunks.shift();
      return head;
    }
    this.#chunks[0] = head.subarray(max);
    return head.subarray(0, max);
  }
  ready(): boolean {
    return this.#chunks.length > 0 || this.#ended;
  }
  wait(): Promise<void> {
    if (this.ready()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  error(): string | undefined {
    return this.#error;
  }
  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

function clampLen(len: bigint): number {
  return len > BigInt(MAX_READ_BYTES) ? MAX_READ_BYTES : Number(len);
}

/** `wasi:io/streams.input-stream` */
export class InputStream {
  #source: ByteSource;
  #onDrop: (() => void) | undefined;
  constructor(source: ByteSource, onDrop?: () => void) {
    this.#source = source;
    this.#onDrop = onDrop;
  }
  #end(): never {
    const message = this.#source.error?.();
    throw (message === undefined ? { tag: 'closed' } : { tag: 'last-operation-failed', val: new IoError(message) }) satisfies StreamError;
  }
  /** `read`: non-blocking; may return an empty list. */
  read(len: bigint): Uint8Array {
    const chunk = this.#source.read(clampLen(len));
    if (chunk === null) this.#end();
    return chunk;
  }
  /** `blocking-read`: waits for at least one byte or the end. */
  blockingRead(len: bigint): Uint8Array | Promise<Uint8Array> {
    if (this.#source.ready() || len === 0n) return this.read(len);
    return this.#source.wait().then(() => this.read(len));
  }
  /** `skip` */
  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }
  /** `blocking-skip` */
  blockingSkip(len: bigint): bigint | Promise<bigint> {
    const r = this.blockingRead(len);
    return r instanceof Promise ? r.then((b) => BigInt(b.length)) : BigInt(r.length);
  }
  /** `subscribe` */
  subscribe(): Pollable {
    return new Pollable(() => this.#source.ready(), () => this.#source.wait());
  }
  [Symbol.dispose](): void {
    this.#onDrop?.();
    this.#onDrop = undefined;
  }
}

/** `wasi:io/streams.output-stream` */
export class OutputStream {
  #sink: ByteSink;
  #onDrop: (() => void) | undefined;
  constructor(sink: ByteSink, onDrop?: () => void) {
    this.#sink = sink;
    this.#onDrop = onDrop;
  }
  #checkOpen(): void {
    if (this.#sink.closed?.()) throw { tag: 'closed' } satisfies StreamError;
  }
  /** `check-write`: bytes the guest may write now. */
  checkWrite(): bigint {
    this.#checkOpen();
    const cap = this.#sink.capacity?.() ?? Infinity;
    return BigInt(Math.max(0, Math.min(cap, WRITE_BUDGET_BYTES)));
  }
  /** `write` */
  write(contents: Uint8Array): void {
    this.#checkOpen();
    try {
      this.#sink.write(contents);
    } catch (err) {
      throw { tag: 'last-operation-failed', val: new IoError(String(err)) } satisfies StreamError;
    }
  }
  /** `blocking-write-and-flush` (the spec caps `contents` at 4096 bytes; we accept more). */
  blockingWriteAndFlush(contents: Uint8Array): void | Promise<void> {
    this.write(contents);
    return this.blockingFlush();
  }
  /** `flush`: starts delivery; completion is seen through `subscribe`. */
  flush(): void {
    this.#checkOpen();
    void this.#sink.flush?.();
  }
  /** `blocking-flush` */
  blockingFlush(): void | Promise<void> {
    this.#checkOpen();
    const done = this.#sink.flush?.();
    if (done instanceof Promise) return done;
  }
  /** `subscribe`: ready when `check-write` would be non-zero (or the stream is closed). */
  subscribe(): Pollable {
    const ready = () => this.#sink.closed?.() === true || (this.#sink.capacity?.() ?? Infinity) > 0;
    return new Pollable(ready, async () => {
      while (!ready()) await this.#sink.flush?.();
    });
  }
  /** `write-zeroes` */
  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(clampLen(len)));
  }
  /** `blocking-write-zeroes-and-flush` */
  blockingWriteZeroesAndFlush(len: bigint): void | Promise<void> {
    this.writeZeroes(len);
    return this.blockingFlush();
  }
  /** `splice`: moves up to `len` bytes that `src` has now. */
  splice(src: InputStream, len: bigint): bigint {
    const budget = this.checkWrite();
    const bytes = src.read(len < budget ? len : budget);
    this.write(bytes);
    return BigInt(bytes.length);
  }
  /** `blocking-splice` */
  async blockingSplice(src: InputStream, len: bigint): Promise<bigint> {
    const bytes = await src.blockingRead(len);
    this.write(bytes);
    await this.blockingFlush();
    return BigInt(bytes.length);
  }
  [Symbol.dispose](): void {
    this.#onDrop?.();
    this.#onDrop = undefined;
  }
}

/** Builds the `wasi:io/*` interface objects for one instance. */
export function createIo(): { error: object; poll: object; streams: object } {
  return {
    error: { Error: IoError },
    poll: { Pollable, poll },
    streams: { InputStream, OutputStream },
  };
}
