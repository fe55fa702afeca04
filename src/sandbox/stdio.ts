// Byte streams a guest's stdio descriptors are bound to. The guest's fds 0/1/2 are entries in
// its own descriptor table pointing at these objects; closing or renumbering them never touches
// the host process's real stdio.
import { readSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';

/** A synchronous byte source. */
export interface InputStream {
  /** Reads into `into` synchronously (blocking if needed); returns bytes read, 0 at EOF. */
  read(into: Uint8Array): number;
  /** True when the source is a terminal (reported to the guest as a character device). */
  readonly isTTY?: boolean;
}

/** A synchronous byte sink. `write` must not keep `bytes` after it returns (it is a view into guest memory). */
export interface OutputStream {
  write(bytes: Uint8Array): void;
  flush?(): void;
  /** True when the sink is a terminal (reported to the guest as a character device). */
  readonly isTTY?: boolean;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isAgain(err: unknown): boolean {
  return (err as { code?: unknown }).code === 'EAGAIN';
}

/**
 * Streams from a host fd with `fs.readSync` (no position: pipes and terminals work). A
 * non-blocking pipe's `EAGAIN` is waited out (1 ms sleeps) so the guest sees a blocking read.
 * Other errors are thrown as Node errors (the ABI layer maps their `code`).
 */
export function fdInput(fd: number): InputStream {
  return {
    isTTY: isatty(fd),
    read(into: Uint8Array): number {
      if (into.length === 0) return 0;
      for (;;) {
        try {
          return readSync(fd, into, 0, into.length, null);
        } catch (err) {
          if (isAgain(err)) { sleepMs(1); continue; }
          if ((err as { code?: unknown }).code === 'EOF') return 0;
          throw err;
        }
      }
    },
  };
}

/** Writes to a host fd with a `fs.writeSync` loop (partial writes and `EAGAIN` retried). */
export function fdOutput(fd: number): OutputStream {
  return {
    isTTY: isatty(fd),
    write(bytes: Uint8Array): void {
      let off = 0;
      while (off < bytes.length) {
        try {
          off += writeSync(fd, bytes, off, bytes.length - off);
        } catch (err) {
          if (isAgain(err)) { sleepMs(1); continue; }
          throw err;
        }
      }
    },
  };
}

/** Reads from a fixed byte array, then EOF. */
export function bytesInput(bytes: Uint8Array): InputStream {
  let pos = 0;
  return {
    read(into: Uint8Array): number {
      const n = Math.min(into.length, bytes.length - pos);
      into.set(bytes.subarray(pos, pos + n));
      pos += n;
      return n;
    },
  };
}

/** Collects everything written; `bytes()` / `text()` (UTF-8) return it so far. */
export function collectOutput(): OutputStream & { bytes(): Uint8Array; text(): string } {
  let buf = new Uint8Array(256);
  let len = 0;
  return {
    write(bytes: Uint8Array): void {
      if (len + bytes.length > buf.length) {
        const next = new Uint8Array(Math.max(buf.length * 2, len + bytes.length));
        next.set(buf.subarray(0, len));
        buf = next;
      }
      buf.set(bytes, len);
      len += bytes.length;
    },
    bytes: () => buf.slice(0, len),
    text: () => new TextDecoder().decode(buf.subarray(0, len)),
  };
}

/** Always at EOF. */
export function nullInput(): InputStream {
  return { read: () => 0 };
}

/** Discards everything. */
export function nullOutput(): OutputStream {
  return { write: () => {} };
}
