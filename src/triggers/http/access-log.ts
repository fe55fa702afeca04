// The server's log: one access line per request, guest stdout/stderr lines tagged with the request id, and
// server events (listening, errors with their reason). Formatting only; where lines go (stdout)
// is the CLI's choice, passed in as `write`.

import type { GuestStream } from './guest-output.ts';

/** `text`: one human-readable line per record; `json`: one JSON object per line (for machines). */
export type LogFormat = 'text' | 'json';

/** One finished request. */
export interface AccessRecord {
  requestId: string;
  /** `-` for a request Node's parser refused (no request line to take it from). */
  method: string;
  /**
   * Request target as received (path and query; an absolute-form target as the origin form it is
   * routed by); `-` for a request Node's parser refused.
   */
  path: string;
  /** Matched route as written in the manifest; absent when none matched. */
  route?: string;
  component?: string;
  /**
   * The status the client got: when the client cut its request short, the 400 the server answered
   * on the connection; when nothing could be sent, the one the server meant to send.
   */
  status: number;
  /** Wall-clock time from the request's arrival to the end of the response, in ms. */
  durationMs: number;
  /** Why the server answered with an error status (error code and message), when it did. */
  error?: string;
}

/** The sink the HTTP server logs through. */
export interface ServerLog {
  access(record: AccessRecord): void;
  /** One line (without newline) the guest wrote to `stream`. */
  guestOutput(stream: GuestStream, requestId: string, component: string, line: string): void;
  /** A server event: `info` (listening, shutting down) or `error` (with a reason). Never buffered. */
  event(level: 'info' | 'error', message: string, fields?: Record<string, string | number>): void;
  /** Writes out any buffered lines now (see {@link ServerLogOptions.flushMs}). */
  flush?(): void;
}

/** Options of {@link createServerLog}. */
export interface ServerLogOptions {
  /**
   * Buffer access and guest-stderr lines and write them at most this many ms later, in one
   * `write` call (at most {@link ServerLogOptions.bufferBytes} per call): a synchronous write per
   * request costs more than the request's own HTTP work under load. Event lines flush the buffer
   * first and are written at once, so the order of lines never changes. Default: no buffering
   * (every line is written when it happens).
   */
  flushMs?: number;
  /** Buffered characters that trigger an early flush; default 16 KiB. */
  bufferBytes?: number;
}

/** ` key=value` (the value quoted when it is empty or has spaces, `"` or `=`); `` for undefined. */
function textField(key: string, value: string | number | undefined): string {
  if (value === undefined) return '';
  const s = String(value);
  return ` ${key}=${/[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s}`;
}

function textFields(fields: Record<string, string | number | undefined>): string {
  let out = '';
  for (const k of Object.keys(fields)) out += textField(k, fields[k]);
  return out;
}

/**
 * `new Date().toISOString()`, formatted once per millisecond: under load many lines share one
 * (the access line is written per request on the main thread).
 */
function isoClock(): () => string {
  let ms = -1;
  let iso = '';
  return () => {
    const now = Date.now();
    if (now !== ms) { ms = now; iso = new Date(now).toISOString(); }
    return iso;
  };
}

/**
 * A {@link ServerLog} writing one line per record to `write` (which gets the line with its `\n`).
 * Text lines start with an ISO timestamp; JSON lines have `time`, `level` and `msg`
 * (`request`, `stderr` or the event message) plus the record's fields.
 */
export function createServerLog(format: LogFormat, write: (line: string) => void, options: ServerLogOptions = {}): ServerLog {
  const lines = options.flushMs === undefined ? unbuffered(write) : new LineBuffer(write, options.flushMs, options.bufferBytes ?? 16 * 1024);
  if (format === 'json') {
    const json = (level: string, msg: string, fields: object) =>
      `${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`;
    return {
      access: (r) => lines.add(json('info', 'request', { ...r, durationMs: round(r.durationMs) })),
      guestOutput: (stream, requestId, component, line) => lines.add(json('info', stream, { requestId, component, line })),
      event: (level, message, fields = {}) => { lines.flush(); write(json(level, message, fields)); },
      flush: () => lines.flush(),
    };
  }
  const time = isoClock();
  return {
    access: (r) => lines.add(`${time()} ${r.method} ${r.path} ${r.status} ${round(r.durationMs)}ms${textField('route', r.route)}`
      + `${textField('component', r.component)}${textField('req', r.requestId)}${textField('error', r.error)}\n`),
    guestOutput: (stream, requestId, component, line) =>
      lines.add(`${time()} [${component} ${stream}]${textField('req', requestId)} ${line}\n`),
    event: (level, message, fields = {}) => {
      lines.flush();
      write(`${new Date().toISOString()} ${level === 'error' ? 'ERROR ' : ''}${message}${textFields(fields)}\n`);
    },
    flush: () => lines.flush(),
  };
}

interface Lines { add(line: string): void; flush(): void }

function unbuffered(write: (line: string) => void): Lines {
  return { add: write, flush: () => {} };
}

/** Lines joined into one write per `flushMs` (timer unref'd: it never keeps the process alive). */
class LineBuffer implements Lines {
  readonly #write: (text: string) => void;
  readonly #flushMs: number;
  readonly #maxChars: number;
  #text = '';
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(write: (text: string) => void, flushMs: number, maxChars: number) {
    this.#write = write;
    this.#flushMs = flushMs;
    this.#maxChars = maxChars;
  }

  add(line: string): void {
    this.#text += line;
    if (this.#text.length >= this.#maxChars) { this.flush(); return; }
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), this.#flushMs);
      this.#timer.unref();
    }
  }

  flush(): void {
    if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined; }
    if (this.#text === '') return;
    const text = this.#text;
    this.#text = '';
    this.#write(text);
  }
}

/** Milliseconds to 3 decimals (microsecond resolution). */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
