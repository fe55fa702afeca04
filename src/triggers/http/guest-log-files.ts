// Guest stdout/stderr per component in files, as `spin up --log-dir` writes them
// (spinframework/spin crates/trigger/src/cli/stdio.rs: `<component>_stdout.txt` and
// `<component>_stderr.txt`, appended, the guest's own lines without prefixes), plus rotation by
// size, which Spin leaves to the operator: a file that would pass `maxFileBytes` is renamed to
// `.1` (`.1` to `.2`, ...; the oldest beyond `maxFiles` is removed) and a new one started.
// Lines are buffered and written at most `flushMs` later, one write per file: a synchronous write
// per guest line would cost the main thread more than the request.
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { WasmletError } from '../../util/errors.ts';
import type { ServerLog } from './access-log.ts';
import type { GuestStream } from './guest-output.ts';

/** Default size a log file may reach before it is rotated: 10 MiB. */
export const DEFAULT_LOG_FILE_BYTES = 10 * 1024 * 1024;
/** Default rotated files kept per stream (`.1` .. `.5`) besides the current one. */
export const DEFAULT_LOG_FILES = 5;

/** Options of {@link GuestLogFiles}. */
export interface GuestLogFilesOptions {
  /** Created if missing (with parents). */
  dir: string;
  /** Bytes a file may hold before it is rotated; default {@link DEFAULT_LOG_FILE_BYTES}. */
  maxFileBytes?: number;
  /** Rotated files kept per stream; default {@link DEFAULT_LOG_FILES}; 0 keeps none (the file restarts). */
  maxFiles?: number;
  /** Buffering delay in ms; default 100. */
  flushMs?: number;
  /** Told (once per file) when a write fails: the server keeps serving. */
  onError?: (message: string) => void;
}

/** The file name of a component's stream: Spin's, with characters unsafe in a file name as `_`. */
export function guestLogFileName(component: string, stream: GuestStream): string {
  return `${component.replace(/[^A-Za-z0-9._-]/g, '_')}_${stream}.txt`;
}

interface LogFile { path: string; fd: number | undefined; size: number; pending: string[]; failed: boolean }

/** Per-component guest output files under one directory, rotated by size. */
export class GuestLogFiles {
  readonly dir: string;
  readonly #maxFileBytes: number;
  readonly #maxFiles: number;
  readonly #flushMs: number;
  readonly #onError: (message: string) => void;
  readonly #files = new Map<string, LogFile>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Creates `options.dir`.
   * @throws WasmletError `WASMLET_ERR_LOG_DIR` (blame user) when it cannot be created.
   */
  constructor(options: GuestLogFilesOptions) {
    this.dir = options.dir;
    this.#maxFileBytes = Math.max(1, options.maxFileBytes ?? DEFAULT_LOG_FILE_BYTES);
    this.#maxFiles = Math.max(0, options.maxFiles ?? DEFAULT_LOG_FILES);
    this.#flushMs = options.flushMs ?? 100;
    this.#onError = options.onError ?? (() => {});
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (err) {
      throw new WasmletError('WASMLET_ERR_LOG_DIR', `cannot create the log directory ${this.dir}: ${(err as Error).message}; pick another --log-dir`,
        { blame: 'user', cause: err });
    }
  }

  /** Queues one line (without newline) of `component`'s `stream`. */
  write(component: string, stream: GuestStream, line: string): void {
    const name = guestLogFileName(component, stream);
    let file = this.#files.get(name);
    if (!file) {
      file = { path: join(this.dir, name), fd: undefined, size: 0, pending: [], failed: false };
      this.#files.set(name, file);
    }
    file.pending.push(`${line}\n`);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      this.#timer.unref();
    }
  }

  /** Writes every queued line now. */
  flush(): void {
    if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined; }
    for (const file of this.#files.values()) {
      if (file.pending.length === 0) continue;
      const lines = file.pending;
      file.pending = [];
      try {
        this.#append(file, lines);
      } catch (err) {
        if (!file.failed) this.#onError(`cannot write guest log ${file.path}: ${(err as Error).message}`);
        file.failed = true;
      }
    }
  }

  /** Flushes and closes every file. */
  close(): void {
    this.flush();
    for (const file of this.#files.values()) {
      if (file.fd !== undefined) closeSync(file.fd);
      file.fd = undefined;
    }
  }

  /** Writes `lines` in as few writes as rotation allows (a file rotates between lines, never inside one). */
  #append(file: LogFile, lines: string[]): void {
    if (file.fd === undefined) {
      file.fd = openSync(file.path, 'a');
      file.size = statSync(file.path).size;
    }
    let batch = '';
    let batchBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (file.size + batchBytes > 0 && file.size + batchBytes + bytes > this.#maxFileBytes) {
        if (batch !== '') writeSync(file.fd!, batch);
        this.#rotate(file);
        batch = '';
        batchBytes = 0;
      }
      batch += line;
      batchBytes += bytes;
    }
    writeSync(file.fd!, batch);
    file.size += batchBytes;
  }

  /** current -> .1 -> .2 ... -> .maxFiles (dropped past it); then a new, empty current file. */
  #rotate(file: LogFile): void {
    closeSync(file.fd!);
    file.fd = undefined;
    if (this.#maxFiles === 0) {
      rmSync(file.path, { force: true });
    } else {
      rmSync(`${file.path}.${this.#maxFiles}`, { force: true });
      for (let i = this.#maxFiles - 1; i >= 1; i--) {
        try { renameSync(`${file.path}.${i}`, `${file.path}.${i + 1}`); } catch { /* not there yet */ }
      }
      renameSync(file.path, `${file.path}.1`);
    }
    file.fd = openSync(file.path, 'a');
    file.size = 0;
  }
}

/** `log` that also writes guest output lines to `files` (and flushes them with it). */
export function withGuestLogFiles(log: ServerLog, files: GuestLogFiles): ServerLog {
  return {
    access: (record) => log.access(record),
    guestOutput: (stream, requestId, component, line) => {
      log.guestOutput(stream, requestId, component, line);
      files.write(component, stream, line);
    },
    event: (level, message, fields) => log.event(level, message, fields),
    flush: () => { log.flush?.(); files.flush(); },
  };
}
