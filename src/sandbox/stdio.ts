// Byte streams a guest's stdio descriptors are bound to. The guest's fds 0/1/2 are entries in
// its own descriptor table pointing at these objects; closing or renumbering them never touches
// the host process's real stdio.
// Builtins through process.getBuiltinModule, not `import`: an ESM import of node:fs builds a
// facade that touches every export (loading fs streams and fs/promises, ~5 ms of `wasmlet run`
// start-up), and node:tty pulls in net and streams; it is loaded only when a char device is seen.
const { fstatSync, readSync, writeSync } = process.getBuiltinModule('node:fs');

/** Linux's major number of the memory devices (/dev/null, /dev/zero, /dev/urandom...): never a terminal. */
const LINUX_MEM_MAJOR = 1;

/**
 * isatty(3) for a host fd, cheaply: only a character device can be a terminal, and on Linux
 * the memory devices (what stdio is often redirected to) are not one; anything else asks
 * node:tty. An fd that cannot be fstat'ed is not a terminal.
 */
function isTerminal(fd: number): boolean {
  let s;
  try {
    s = fstatSync(fd);
  } catch {
    return false;
  }
  if (!s.isCharacterDevice()) return false;
  // glibc's dev_t: major in bits 8-19 (and 32+, zero for the small majors checked here).
  if (process.platform === 'linux' && s.rdev < 2 ** 32 && ((s.rdev >>> 8) & 0xfff) === LINUX_MEM_MAJOR) return false;
  return process.getBuiltinModule('node:tty').isatty(fd);
}

/** A synchronous byte source. */
export interface InputStream {
  /** Reads into `into` synchronously (blocking if needed); returns bytes read, 0 at EOF. */
  read(into: Uint8Array): number;
  /** True when the source is a terminal (reported to the guest as a character device). */
  readonly isTTY?: boolean;
}

/** A synchronous byte sink. `write` must not keep `bytes` after it returns (it is a view into guest memory). */
export interface OutputStream {
  /** Takes all of `bytes` synchronously (a short write is not reported back to the guest). */
  write(bytes: Uint8Array): void;
  /** Pushes out anything buffered; called when the guest finishes, before the result is returned. */
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
  let tty: boolean | undefined;
  return {
    get isTTY(): boolean { return tty ??= isTerminal(fd); },
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
  let tty: boolean | undefined;
  return {
    get isTTY(): boolean { return tty ??= isTerminal(fd); },
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
