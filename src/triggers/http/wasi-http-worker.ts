// The `wasi-http` executor's worker side: a pool handler (see engine/pool.ts) that serves a
// `wasi:http/incoming-handler@0.2.x` component with a fresh instance per request. Several requests
// run at once on one thread: with JSPI a guest waiting for body bytes, an outbound response or
// client backpressure suspends, and the thread runs another.
//
// A small response goes back whole in the job's result (one message, no port): the worker holds
// the head and body while the guest produces them without waiting, up to INLINE_RESPONSE_BYTES.
// A request with a body, or a response that is larger or that pauses (a streaming guest), uses a
// per-request MessagePort: the request carries it when it has a body; otherwise the worker makes
// one when the response starts streaming and sends it first ({ type: 'port' } event).
//
// Per-request protocol on that port (main = wasi-http.ts):
//   main -> worker  { type: 'chunk', bytes }   request body bytes (transferred)
//                   { type: 'end' }            request body complete
//                   { type: 'error', message } request body failed (client gone, over the limit)
//                   { type: 'ack', bytes }     response bytes handed to the socket
//                   { type: 'abort' }          the client went away: stop writing
//   worker -> main  { type: 'credit', bytes }  request body bytes the guest has read
// The response head and body go out as pool events ({@link WasiHttpEvent}), so they stay ordered
// with the job's completion. Both directions keep at most a window of bytes in flight, so a 1 GiB
// upload or download never sits in memory whole.
import { MessageChannel, type MessagePort, type Transferable } from 'node:worker_threads';
import { RequestBodyQueue, handleHttpRequestOn, isNormalExit } from '../../engine/component/http-handler.ts';
import { createComponentHost } from '../../engine/component/component-host.ts';
import { createComponentInstance } from '../../engine/component/instantiate.ts';
import { SpanRecorder, type SpanRecord, type TraceContext } from '../../util/trace-context.ts';
import type { PreparedComponent } from '../../engine/component/transpile.ts';
import { SpinThreadBackends, type SpinHostOptions } from '../../engine/component/component-host.ts';
import { componentFromWire } from '../../engine/component-wire.ts';
import type { PoolHandler } from '../../engine/pool.ts';
import type { AllowedHost, PreopenSpec } from '../../engine/grants.ts';
import { guestOutputSink, type GuestOutputEvent } from './guest-output.ts';
import type { ComponentUnitConfig } from '../component-unit.ts';

/** Response bytes sent to the main thread and not yet acknowledged, at most (then the guest waits). */
export const RESPONSE_WINDOW_BYTES = 1 << 20;
/** Request bytes the guest read before the worker reports them (so main can send more). */
const CREDIT_STEP_BYTES = 64 * 1024;
/** A response body up to this size, complete without a pause, goes back in the job's result. */
export const INLINE_RESPONSE_BYTES = 64 * 1024;

/** A component route's per-unit data (structured clone): see component-unit.ts. */
export type WasiHttpUnitConfig = ComponentUnitConfig;

/** One request as the main thread sends it. */
export interface WasiHttpInput {
  method: string;
  pathWithQuery: string;
  scheme: 'http' | 'https';
  authority: string;
  headers: [string, string][];
  /**
   * Origin of the server's own listener (`http://127.0.0.1:3000`), where the guest's self requests
   * go (`allowed_outbound_hosts = ["http://self"]`). Known only once the server listens.
   */
  selfOrigin: string;
  /**
   * The listener's secret for service-chained requests (`http://<component>.spin.internal`), which
   * also go to {@link selfOrigin}. Absent: such requests fail (`HTTP-request-URI-invalid`).
   */
  serviceChainingSecret?: string;
  /** False when the request has no body (the guest sees an empty stream at once). */
  hasBody: boolean;
  /** The per-request channel (transferred); only when the request has a body. */
  port?: MessagePort;
  /** The request span's context when the request is traced: the worker records child spans. */
  trace?: TraceContext;
}

/** The job's result: the whole response when it was small and quick, else only the outcome. */
export type WasiHttpResult =
  | { ok: true; head: { status: number; headers: [string, string][] }; body: Uint8Array }
  | { ok: true; head?: undefined };

/** Events to the main thread (pool `emit`). */
export type WasiHttpEvent =
  | GuestOutputEvent
  | { type: 'spans'; spans: SpanRecord[] }
  | { type: 'port'; port: MessagePort }
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
  spin: SpinHostOptions;
}

/**
 * This thread's connections to the app's stores and databases, opened on first use and shared by
 * every unit and request on the thread. The one piece of module state here, on purpose: the pool
 * imports this module once per worker thread, so module scope IS the thread's scope (and
 * connections cannot cross threads).
 */
const threadBackends = new SpinThreadBackends();

/** The request body as the guest reads it; reports consumed bytes back as credit. */
class CreditedSource extends RequestBodyQueue {
  readonly #port: MessagePort | undefined;
  #unreported = 0;
  constructor(port: MessagePort | undefined) {
    super();
    this.#port = port;
  }
  override read(max: number): Uint8Array | null {
    const chunk = super.read(max);
    if (chunk !== null && chunk.length > 0 && this.#port !== undefined) {
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
    allowed: config.allowedOutboundHosts,
    spin: config.spin,
  };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Resolves after the current event-loop turn: what "the guest produced it without waiting" means. */
const NEXT_TURN = Symbol('next turn');
const nextTurn = () => new Promise<typeof NEXT_TURN>((resolve) => setImmediate(resolve, NEXT_TURN));

/**
 * Serves one request; when `input.trace` is set, records the spans `instantiate` and
 * `guest run` (host calls nest under it) and sends them back before the job settles.
 */
async function serve(unit: Unit, input: WasiHttpInput, emit: (event: WasiHttpEvent, transfer?: Transferable[]) => void): Promise<WasiHttpResult> {
  if (input.trace === undefined) return serveTraced(unit, input, emit, undefined);
  const recorder = new SpanRecorder(input.trace);
  try {
    return await serveTraced(unit, input, emit, recorder);
  } finally {
    emit({ type: 'spans', spans: recorder.records });
  }
}

async function serveTraced(unit: Unit, input: WasiHttpInput, emit: (event: WasiHttpEvent, transfer?: Transferable[]) => void,
  recorder: SpanRecorder | undefined): Promise<WasiHttpResult> {
  let port = input.port;
  const body = new CreditedSource(port);
  if (!input.hasBody) body.end();
  let inFlight = 0;
  let aborted = false;
  let wake: (() => void) | undefined;
  const onMessage = (m: ToWorker) => {
    switch (m.type) {
      case 'chunk': body.push(m.bytes); break;
      case 'end': body.end(); break;
      case 'error': body.fail(m.message); break;
      case 'ack': inFlight -= m.bytes; if (inFlight <= RESPONSE_WINDOW_BYTES) { wake?.(); wake = undefined; } break;
      case 'abort': aborted = true; body.fail('the client closed the connection'); wake?.(); wake = undefined; break;
    }
  };
  port?.on('message', onMessage);
  let run: ReturnType<SpanRecorder['start']> | undefined;
  try {
    const host = createComponentHost({
      env: unit.env, preopens: unit.preopens, allowedOutboundHosts: unit.allowed, selfOrigin: input.selfOrigin,
      ...(input.serviceChainingSecret === undefined ? {} : { serviceChainingSecret: input.serviceChainingSecret }),
      spin: { options: unit.spin, backends: threadBackends },
      stdout: guestOutputSink('stdout', emit), stderr: guestOutputSink('stderr', emit),
      ...(recorder ? { tracer: recorder.hostCalls } : {}),
    });
    const instantiating = recorder?.start('instantiate');
    const instance = await createComponentInstance(unit.prepared, host.imports);
    instantiating?.end();
    run = recorder?.start('guest run', {}, true);
    const res = await handleHttpRequestOn({ host, instance }, {
      method: input.method, pathWithQuery: input.pathWithQuery, scheme: input.scheme,
      authority: input.authority, headers: input.headers, body,
    });
    // A trap while the body is being read ends the read (the guest will never close the body)
    // and must not be an unhandled rejection, which would end the worker and every request on it.
    // (A per-request never-settling promise: a shared one would keep every request's reactions.)
    const never = new Promise<never>(() => {});
    const trapped = res.done.then(() => never, (err: unknown) => {
      if (isNormalExit(err)) return never;
      throw err;
    });
    trapped.catch(() => {});
    const head = { status: res.status, headers: res.headers.map(([k, v]): [string, string] => [k, latin1(v)]) };
    // Held back while the response may still fit in the result; streamed from the first pause.
    let held: Uint8Array[] | undefined = [];
    let heldBytes = 0;
    const send = (chunk: Uint8Array) => {
      // Own the whole buffer so it can be transferred (not copied) to the main thread.
      const bytes = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : chunk.slice();
      inFlight += bytes.byteLength;
      emit({ type: 'chunk', bytes }, [bytes.buffer as ArrayBuffer]);
    };
    const startStreaming = (needPort = true) => {
      if (port === undefined && needPort) {
        const channel = new MessageChannel();
        port = channel.port1;
        port.on('message', onMessage);
        emit({ type: 'port', port: channel.port2 }, [channel.port2]);
      }
      emit({ type: 'head', ...head });
      for (const chunk of held!) send(chunk);
      held = undefined;
    };
    const chunks = res.body[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = Promise.race([chunks.next(), trapped]);
        let step = held === undefined ? await next : await Promise.race([next, nextTurn()]);
        if (step === NEXT_TURN) { // the guest paused mid-body: stream from here on
          startStreaming();
          step = await next;
        }
        if (step.done) break;
        if (aborted) {
          (res.body as { cancel?: () => void }).cancel?.(); // the guest's next write fails with `closed`
          break;
        }
        const chunk = step.value;
        if (held !== undefined && heldBytes + chunk.byteLength <= INLINE_RESPONSE_BYTES) {
          held.push(chunk);
          heldBytes += chunk.byteLength;
          continue;
        }
        if (held !== undefined) startStreaming();
        send(chunk);
        if (inFlight > RESPONSE_WINDOW_BYTES) await new Promise<void>((resolve) => { wake = resolve; });
      }
      try {
        await res.done;
      } catch (err) {
        // `exit(ok)` after the response is a normal end; anything else after the head aborts it.
        if (!isNormalExit(err)) throw err;
      }
    } catch (err) {
      // The guest set a response, then failed: what it sent goes out before the failure (which
      // aborts the connection), as it would have had the response been streamed.
      if (held !== undefined) startStreaming(false);
      throw err;
    }
    run?.end();
    if (held === undefined) return { ok: true };
    return { ok: true, head, body: held.length === 1 ? held[0]! : Buffer.concat(held) };
  } catch (err) {
    run?.end(err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    port?.close();
  }
}

/** The pool handler the `wasi-http` executor's workers import. */
export const poolHandler: PoolHandler = {
  // jco's async runtime releases each instance from a timer: see PoolHandler.needsEventLoop.
  needsEventLoop: true,
  load(_module, config) {
    const unit = loadUnit(config as WasiHttpUnitConfig);
    unit.catch(() => {}); // reported by the first run
    return unit;
  },
  async run(prepared, input, emit) {
    return serve(await (prepared as Promise<Unit>), input as WasiHttpInput, emit as (e: WasiHttpEvent, t?: Transferable[]) => void);
  },
};
