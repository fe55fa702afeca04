// The CLI's only way to talk to humans: synchronous writes to fds 1 and 2, so that wasmlet's own
// lines and a guest's output (also written synchronously) appear in the order they happened.
// Not `import`: see main.ts (an ESM import of node:fs costs ~5 ms of start-up).
const { writeSync } = process.getBuiltinModule('node:fs');

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EAGAIN') throw err;
    }
  }
}

/** Writes `text` to stdout. */
export function printOut(text: string): void { writeAll(1, text); }

/** Writes `text` to stderr. */
export function printErr(text: string): void { writeAll(2, text); }

/**
 * Prints `wasmlet: error: <message>` (never a stack trace). A message of several lines holds one
 * problem per line (a manifest's diagnostics): each gets its own prefixed line.
 */
export function printError(message: string): void {
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  printErr(lines.map((l) => `wasmlet: error: ${l}\n`).join(''));
}
