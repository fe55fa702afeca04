// The server's log: one access line per request, guest stderr tagged with the request id, and
// server events (listening, errors with their reason). Formatting only; where lines go (stdout)
// is the CLI's choice, passed in as `write`.

/** `text`: one human-readable line per record; `json`: one JSON object per line (for machines). */
export type LogFormat = 'text' | 'json';

/** One finished request. */
export interface AccessRecord {
  requestId: string;
  method: string;
  /** Request target as received (path and query). */
  path: string;
  /** Matched route as written in the manifest; absent when none matched. */
  route?: string;
  component?: string;
  status: number;
  /** Wall-clock time from the request's arrival to the end of the response, in ms. */
  durationMs: number;
  /** Why the server answered with an error status (error code and message), when it did. */
  error?: string;
}

/** The sink the HTTP server logs through. */
export interface ServerLog {
  access(record: AccessRecord): void;
  /** One line (without newline) the guest wrote to stderr. */
  guestStderr(requestId: string, component: string, line: string): void;
  /** A server event: `info` (listening, shutting down) or `error` (with a reason). */
  event(level: 'info' | 'error', message: string, fields?: Record<string, string | number>): void;
}

function textFields(fields: Record<string, string | number | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = String(v);
    out += ` ${k}=${/[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s}`;
  }
  return out;
}

/**
 * A {@link ServerLog} writing one line per record to `write` (which gets the line with its `\n`).
 * Text lines start with an ISO timestamp; JSON lines have `time`, `level` and `msg`
 * (`request`, `stderr` or the event message) plus the record's fields.
 */
export function createServerLog(format: LogFormat, write: (line: string) => void): ServerLog {
  if (format === 'json') {
    const emit = (level: string, msg: string, fields: object) =>
      write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
    return {
      access: (r) => emit('info', 'request', { ...r, durationMs: round(r.durationMs) }),
      guestStderr: (requestId, component, line) => emit('info', 'stderr', { requestId, component, line }),
      event: (level, message, fields = {}) => emit(level, message, fields),
    };
  }
  return {
    access: (r) => write(`${new Date().toISOString()} ${r.method} ${r.path} ${r.status} ${round(r.durationMs)}ms${textFields({
      route: r.route, component: r.component, req: r.requestId, error: r.error })}\n`),
    guestStderr: (requestId, component, line) =>
      write(`${new Date().toISOString()} [${component} stderr]${textFields({ req: requestId })} ${line}\n`),
    event: (level, message, fields = {}) =>
      write(`${new Date().toISOString()} ${level === 'error' ? 'ERROR ' : ''}${message}${textFields(fields)}\n`),
  };
}

/** Milliseconds to 3 decimals (microsecond resolution). */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
