// The `wasi-http` executor's worker side: a pool handler (see engine/pool.ts) that serves a
// `wasi:http/incoming-handler@0.2.x` component with a fresh instance per request. Several requests
// run at once on one thread: with JSPI a guest waiting for body bytes, an outbound response or
// client backpressure suspends, and the thread runs another.
//
// Per-request protocol, on a MessagePort the request carries (main = wasi-http.ts):
//   main -> worker  { type: 'chunk', bytes }   request body bytes (transferred)
//                   { type: 'end' }            request body complete
//                   { type: 'error', message } request body failed (client gone, over the limit)
//                   { type: 'ack', bytes }     response bytes handed to the socket
//                   { type: 'abort' }          the client went away: stop writing
//   worker -> main  { type: 'credit', bytes }  request body bytes the guest has read
// The response head and body go out as pool events ({@link WasiHttpEvent}), so they stay ordered
// with the job's completion. Both directions keep at most a window of bytes in flight, so a 1 GiB
// upload or download never sits in memory whole.
import type { MessagePort, Transferable } from 'node:worker_threads';
import { handleHttpRequest } from '../../engine/component/http-handler.ts';
import type { PreparedComponent } from '../../engine/component/transpile.ts';
import { componentFromWire, type ComponentWire } from '../../engine/component-wire.ts';
import type { PoolHandler } from '../../engine/pool.ts';
import { parseAllowedHosts, type AllowedHost } from '../../host/http-outbound/allowed-hosts.ts';
import { isExitSignal } from '../../host/wasi/p2/exit-signal.ts';
import { createSandboxFilesystem } from '../../host/wasi/p2/filesystem-sandbox.ts';
import { QueueSource } from '../../host/wasi/p2/io.ts';
import type { PreopenSpec } from '../../sandbox/preopen.ts';

/** Response bytes sent to the main thread and not yet acknowledged, at most (then the guest waits). */
export const RESPONSE_WINDOW_BYTES = 1 << 20;
/** Request bytes the guest read before the worker reports them (so main can send more). */
const CREDIT_STEP_BYTES = 64 * 1024;

/** A component route's per-unit data (structured clone). */
export interface WasiHttpUnitConfig {
  component: ComponentWire;
  /** `environment` of the component. */
  env: Record<string, string>;
  /** Read-only preopens for the component's `files`. */
  preopens: PreopenSpec[];
  /** `allowed_outbound_hosts`, verbatim from the manifest. */
  allowedOutboundHosts: string[];
}

/** One request as the main thread sends it. */
export interface WasiHttpInput {
  method: string;
  pathWithQuery: string;
  scheme: 'http' | 'https';
  authority: string;
  headers: [string, string][];
  /** False when the request has no body (the guest sees an empty stream at once). */
  hasBody: boolean;
  /** The per-request channel (transferred). */
  port: MessagePort;
}

/** Events to the main thread (pool `emit`). */
export type WasiHttpEvent =
  | { type: 'head'; status: number; headers: [string, string][] }
  | { type: 'chunk'; bytes: Uint8Array };

/** Messages on the per-request port, main -> worker. */
export type ToWorker =
  | { type: 'chunk'; bytes: Uint8Array }
  | { type: 'end' }
  | { type: 'error'; message: string }
  | { type: 'ack'; bytes: number }
  | { type: 'abort' };

/** Messages on the per-request port, worker -> main. */
export type FromWorker = { type: 'credit'; bytes: number };

interface Unit {
  prepared: PreparedComponent;
  env: Record<string, string>;
  preopens: PreopenSpec[];
  allowed: AllowedHost[];
}

/** The request body as the guest reads it; reports consumed bytes back as credit. */
class CreditedSource extends QueueSource {
  readonly #port: MessagePort;
  #unreported = 0;
  constructor(port: MessagePort) {
    super();
    this.#port = port;
  }
  override read(max: number): Uint8Array | null {
    const chunk = super.read(max);
    if (chunk !== null && chunk.length > 0) {
      this.#unreported += chunk.length;
      if (this.#unreported >= CREDIT_STEP_BYTES || this.buffered === 0) {
        this.#port.postMessage({ type: 'credit', bytes: this.#unreported } satisfies FromWorker);
        this.#unreported = 0;
      }
    }
    return chunk;
  }
}

async function loadUnit(config: WasiHttpUnitConfig): Promise<Unit> {
  return {
    prepared: await componentFromWire(config.component),
    env: config.env,
    preopens: config.preopens,
    allowed: parseAllowedHosts(config.allowedOutboundHosts),
  };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

async function serve(unit: Unit, input: WasiHttpInput, emit: (event: WasiHttpEvent, transfer?: Transferable[]) => void): Promise<{ ok: true }> {
  const { port } = input;
  const body = new CreditedSource(port);
  if (!input.hasBody) body.end();
  let inFlight = 0;
  let aborted = false;
  let wake: (() => void) | undefined;
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'chunk': body.push(m.bytes); break;
      case 'end': body.end(); break;
      case 'error': body.fail(m.message); break;
      case 'ack': inFlight -= m.bytes; if (inFlight <= RESPONSE_WINDOW_BYTES) { wake?.(); wake = undefined; } break;
      case 'abort': aborted = true; body.fail('the client closed the connection'); wake?.(); wake = undefined; break;
    }
  });
  const filesystem = createSandboxFilesystem({ preopens: unit.preopens });
  try {
    const res = await handleHttpRequest(unit.prepared, {
      method: input.method, pathWithQuery: input.pathWithQuery, scheme: input.scheme,
      authority: input.authority, headers: input.headers, body,
    }, { env: unit.env, filesystem, allowedOutboundHosts: unit.allowed });
    emit({ type: 'head', status: res.status, headers: res.headers.map(([k, v]) => [k, latin1(v)]) });
    for await (const chunk of res.body) {
      if (aborted) {
        (res.body as { cancel?: () => void }).cancel?.(); // the guest's next write fails with `closed`
        break;
      }
      // Own the whole buffer so it can be transferred (not copied) to the main thread.
      const bytes = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
      inFlight += bytes.byteLength;
      emit({ type: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
      if (inFlight > RESPONSE_WINDOW_BYTES) await new Promise<void>((resolve) => { wake = resolve; });
    }
    try {
      await res.done;
    } catch (err) {
      // `exit(ok)` after the response is a normal end; anything else after the head aborts it.
      if (!(isExitSignal(err) && err.code === 0)) throw err;
    }
    return { ok: true };
  } finally {
    filesystem.closeAll();
    port.close();
  }
}

/** The pool handler the `wasi-http` executor's workers import. */
export const poolHandler: PoolHandler = {
  load(_module, config) {
    const unit = loadUnit(config as WasiHttpUnitConfig);
    unit.catch(() => {}); // reported by the first run
    return unit;
  },
  async run(prepared, input, emit) {
    return serve(await (prepared as Promise<Unit>), input as WasiHttpInput, emit as (e: WasiHttpEvent, t?: Transferable[]) => void);
  },
};
