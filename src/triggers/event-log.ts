// What the event triggers log through: the server's log (`ServerLog.event` of
// http/access-log.ts), so `wasmlet serve` prints HTTP access lines and trigger events alike.
import type { ServerLog } from './http/access-log.ts';

/**
 * The part of the server log the Redis and cron triggers use: `event` lines, and optionally the
 * guest's stdout/stderr lines (`guestOutput`, with the event id where HTTP gives a request id).
 */
export type TriggerLog = Pick<ServerLog, 'event'> & Partial<Pick<ServerLog, 'guestOutput'>>;

/** A Redis address for logs: scheme, host, port and db, never the credentials. */
export function redactAddress(address: string): string {
  try {
    const u = new URL(address);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable Redis address)';
  }
}

/** One line of why an invocation failed: the error's code and message. */
export function describeFailure(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  return typeof e?.code === 'string' ? `${e.code}: ${String(e.message)}` : String((e as Error | null)?.message ?? err);
}
