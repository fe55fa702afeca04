// Invokes an event handler a non-HTTP trigger calls, on a fresh instance: Spin's Redis handler
// (`fermyon:spin/inbound-redis` `handle-message: func(message: payload) -> result<_, error>`,
// spinframework/spin `wit/deps/spin@unversioned/inbound-redis.wit`) or the cron plugin's
// `handle-cron-event: func(metadata: metadata { timestamp: u64 }) -> result<_, error>`
// (fermyon/spin-trigger-cron `cron.wit`, package `fermyon:spin-cron@2.0.0`, where it is a
// world-level export; also accepted inside an `inbound-cron` interface of that package). jco lifts
// `result<_, E>` as a return on `ok` and a thrown `ComponentError` whose `payload` is `E` on `err`.
import { WasmletError } from '../../util/errors.ts';
import { createComponentHost, type ComponentHostOptions } from './component-host.ts';
import { createComponentInstance } from './instantiate.ts';
import type { PreparedComponent } from './transpile.ts';

/** One event: a Redis message's bytes, or a cron tick's time in seconds since the Unix epoch. */
export type GuestEvent = { kind: 'redis'; payload: Uint8Array } | { kind: 'cron'; timestamp: number };

/** The export each event kind calls, for messages: as the WIT names it. */
export const GUEST_EVENT_EXPORTS: Readonly<Record<GuestEvent['kind'], string>> = {
  redis: 'fermyon:spin/inbound-redis#handle-message',
  cron: 'handle-cron-event (fermyon:spin-cron@2.0.0)',
};

/**
 * True when a component's export list (jco's names: `fermyon:spin/inbound-redis`,
 * `handle-cron-event`, `fermyon:spin-cron/inbound-cron@2.0.0`) has the handler of `kind`.
 */
export function hasGuestEventExport(exports: readonly string[], kind: GuestEvent['kind']): boolean {
  return exports.some((e) => (kind === 'redis'
    ? /^fermyon:spin\/inbound-redis(@2\.0\.\d+)?$/.test(e)
    : e === 'handle-cron-event' || e === 'handleCronEvent' || /^fermyon:spin-cron\/inbound-cron(@2\.0\.\d+)?$/.test(e)));
}

function findHandler(exports: Record<string, unknown>, kind: GuestEvent['kind']): ((arg: unknown) => Promise<void>) | undefined {
  if (kind === 'cron' && typeof exports.handleCronEvent === 'function') return exports.handleCronEvent as (arg: unknown) => Promise<void>;
  for (const [name, value] of Object.entries(exports)) {
    if (!hasGuestEventExport([name], kind) || name === 'handle-cron-event' || name === 'handleCronEvent') continue;
    const fn = (value as Record<string, unknown>)[kind === 'redis' ? 'handleMessage' : 'handleCronEvent'];
    if (typeof fn === 'function') return fn as (arg: unknown) => Promise<void>;
  }
  return undefined;
}

/** The WIT `error` value of a handler's `err`, for the message (Spin's redis: `error` enum; cron: `other(string)`). */
function describeGuestError(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  const v = payload as { tag?: unknown; val?: unknown } | undefined;
  if (v && typeof v.tag === 'string') return typeof v.val === 'string' ? `${v.tag}: ${v.val}` : v.tag;
  return JSON.stringify(payload) ?? String(payload);
}

/**
 * Instantiates `prepared` with a fresh host and calls the handler of `event.kind` once; retires the
 * instance and closes its host when it settles.
 * @throws WasmletError `WASMLET_ERR_COMPONENT_NO_HANDLER` (blame guest) when the export is missing;
 *   `WASMLET_ERR_GUEST_HANDLER_ERROR` (blame guest) when the handler returns `err` (the message has
 *   the error value); a trap propagates as thrown by the instance.
 */
export async function handleGuestEvent(prepared: PreparedComponent, event: GuestEvent, options: ComponentHostOptions = {}): Promise<void> {
  const host = createComponentHost(options);
  let instance;
  try {
    instance = await createComponentInstance(prepared, host.imports);
  } catch (err) {
    host.close();
    throw err;
  }
  try {
    const handler = findHandler(instance.exports, event.kind);
    if (handler === undefined) {
      throw new WasmletError('WASMLET_ERR_COMPONENT_NO_HANDLER', `the component does not export ${GUEST_EVENT_EXPORTS[event.kind]}`, { blame: 'guest' });
    }
    try {
      await handler(event.kind === 'redis' ? event.payload : { timestamp: BigInt(event.timestamp) });
    } catch (err) {
      // jco's glue class has no `name` of its own: recognise it by constructor and `payload`.
      if (err instanceof Error && err.constructor.name === 'ComponentError' && Object.hasOwn(err, 'payload')) {
        const payload = (err as { payload?: unknown }).payload;
        throw new WasmletError('WASMLET_ERR_GUEST_HANDLER_ERROR', `the handler returned an error: ${describeGuestError(payload)}`, { blame: 'guest' });
      }
      throw err;
    }
  } finally {
    instance.retire();
    host.close();
  }
}
