// The WAGI side of a pool worker (a `PoolHandler`, see engine/pool.ts): one fresh instance per
// request, request body as stdin, CGI env + argv, and stdout parsed as a CGI response while the guest
// writes it: body bytes go to the main thread in chunks (ArrayBuffers transferred, not copied) as
// the guest writes them, so large responses stream; the head rides on the first chunk. (The server
// holds the head back until body bytes or the end arrive anyway, so that a trap right after the
// headers is still a 500; sending it alone would cost a message per request and gain nothing.)
// A small response is one message: the `done` result carries head and body.
//
// The guest itself is instantiated and run by the engine (engine/p1-guest.ts, the same path as
// `wasmlet run`); this file is the CGI protocol around it. Linear memory is recycled there
// (engine/component/recycled-memory.ts): the module was rewritten at prepare time to import its
// memory (`recycleMemory` in engine/prepare-module.ts), and each request gets a
// zeroed memory of the declared size from a per-unit pool. A fresh mmap + page faults + munmap per
// request was the largest cost of a small guest's instantiation (kernel time, and GC pressure from
// external memory). The instance is still new per request; the next one starts from all-zero
// memory of the initial size, exactly like a new memory.
//
// JSPI does not pay here: WAGI's stdin is bytes already in the worker, stdout/stderr are
// `postMessage` (non-blocking), and file reads from `files` mounts are local synchronous fs calls.
// Nothing the guest calls waits on the event loop, so suspending the guest would only add cost.
import type { Transferable } from 'node:worker_threads';
import { bytesInput } from '../../engine/grants.ts';
import type { OutputStream, PreopenSpec } from '../../engine/grants.ts';
import { guestOutputSink } from './guest-output.ts';
import { prepareP1Guest, requireExport, runP1Guest } from '../../engine/p1-guest.ts';
import type { P1Call, P1Guest } from '../../engine/p1-guest.ts';
import type { PoolHandler } from '../../engine/pool.ts';
import { WasmletError } from '../../util/errors.ts';
import { SpanRecorder, type SpanRecord, type TraceContext } from '../../util/trace-context.ts';
import { CgiResponseParser } from './cgi-response.ts';
import type { CgiHead } from './cgi-response.ts';

/** Per-component data posted once per worker (see `WorkerPool.register`). */
export interface WagiUnitConfig {
  /** The component's `environment`; CGI variables of a request override same-named entries. */
  env: Record<string, string>;
  preopens: PreopenSpec[];
  /** Export to call; `_start` (the default) runs the module as a WASI command. */
  entrypoint: string;
}

/** One request, as sent to the worker. */
export interface WagiInput {
  args: string[];
  /**
   * CGI meta-variables (cgi-env.ts). (Measured: packing them into one `NAME=value\0...` string
   * costs more to build and to serialize than this plain object.)
   */
  env: Record<string, string>;
  /** The whole request body (already bounded by the body limit); absent when empty. */
  stdin?: Uint8Array;
  /** The request span's context when traced: the worker records `instantiate` and `guest run`. */
  trace?: TraceContext;
}

/** Index of the in-flight byte count in {@link WagiInput.flow}. */
export const FLOW_IN_FLIGHT = 0;
/** Index of the client-gone flag in {@link WagiInput.flow}. */
export const FLOW_CLOSED = 1;
/**
 * Body bytes a guest may have in flight to a slow client before its writes block: the memory a
 * large response can hold on the main thread is bounded by this, not by the response size.
 */
export const FLOW_WINDOW_BYTES = 1024 * 1024;

/**
 * Events a WAGI run emits while the guest runs. The first `body` event carries `flow`, flow
 * control shared with the main thread (a SharedArrayBuffer viewed as an Int32Array):
 * `[FLOW_IN_FLIGHT]` body bytes sent but not yet flushed to the client (the worker adds, the main
 * thread subtracts and notifies), `[FLOW_CLOSED]` 1 once the client is gone. Made by the worker,
 * only for responses that stream: a small response needs none.
 */
export type WagiEvent =
  | { type: 'body'; chunk: ArrayBuffer; head?: WagiHead; flow?: SharedArrayBuffer }
  | { type: 'stderr'; text: string } // see guest-output.ts
  | { type: 'spans'; spans: SpanRecord[] };

/** The parsed CGI head, as sent to the main thread. */
export interface WagiHead { status: number; headers: [string, string][] }

/** A WAGI run's result: the guest's exit code and the body bytes not yet sent as events. */
export interface WagiResult {
  exitCode: number;
  /** Set when the head was not sent with a `body` event (the response came all at once). */
  head?: WagiHead;
  /**
   * Those bytes as a latin1 string (one char per byte): it costs less to post than a Uint8Array
   * (no ArrayBuffer to allocate on each side, nothing for the GC to track as external memory).
   */
  body: string;
}

const NO_BYTES = new Uint8Array(0);

/** Body bytes gathered before one `body` event: fewer messages for chatty guests. */
const BODY_CHUNK_BYTES = 32 * 1024;

interface Prepared {
  guest: P1Guest;
  config: WagiUnitConfig;
  /** The entrypoint call when it is not `_start` (one object per unit, reused by every request). */
  call: P1Call | undefined;
  /** Whether `config.env` has any entry (else a request's CGI env is used as is). */
  hasEnv: boolean;
  /** Reused across requests until it is transferred away. */
  buffer: Uint8Array;
}

/** Collects stdout: CGI head first, then body bytes in chunks. Never throws into the guest. */
class CgiStdout implements OutputStream {
  readonly #parser = new CgiResponseParser();
  readonly #prepared: Prepared;
  readonly #emit: (event: WagiEvent, transfer?: Transferable[]) => void;
  #length = 0;
  head: CgiHead | undefined;
  headEmitted = false;
  error: unknown;

  #flow: Int32Array | undefined;

  constructor(prepared: Prepared, emit: (event: WagiEvent, transfer?: Transferable[]) => void) {
    this.#prepared = prepared;
    this.#emit = emit;
  }

  write(bytes: Uint8Array): void {
    if (this.error !== undefined || bytes.length === 0) return;
    if (!this.head) {
      try {
        const head = this.#parser.push(bytes, true); // `bytes` is guest memory: copied only if kept
        if (!head) return;
        this.head = head;
        this.#append(head.bodyStart);
      } catch (err) {
        this.error = err; // reported when the guest is done; its later output is dropped
      }
      return;
    }
    this.#append(bytes);
  }

  #append(bytes: Uint8Array): void {
    if (this.#flow && Atomics.load(this.#flow, FLOW_CLOSED) === 1) return; // nobody is listening: drop
    let off = 0;
    while (off < bytes.length) {
      const buf = this.#prepared.buffer;
      const n = Math.min(bytes.length - off, buf.length - this.#length);
      buf.set(bytes.subarray(off, off + n), this.#length);
      this.#length += n;
      off += n;
      if (this.#length === buf.length) this.#flush();
    }
  }

  #flush(): void {
    const chunk = this.#prepared.buffer.buffer as ArrayBuffer;
    const event: WagiEvent = { type: 'body', chunk };
    if (!this.headEmitted) {
      event.head = { status: this.head!.status, headers: this.head!.headers };
      this.headEmitted = true;
    }
    let flow = this.#flow;
    if (!flow) {
      flow = this.#flow = new Int32Array(new SharedArrayBuffer(8));
      event.flow = flow.buffer as SharedArrayBuffer;
    }
    Atomics.add(flow, FLOW_IN_FLIGHT, this.#length);
    this.#emit(event, [chunk]);
    this.#prepared.buffer = new Uint8Array(BODY_CHUNK_BYTES);
    this.#length = 0;
    // Backpressure: block the guest (this worker runs only it) until the client catches up. Timed
    // waits, so a worker.terminate() at the deadline is never stuck behind a wait.
    for (;;) {
      const inFlight = Atomics.load(flow, FLOW_IN_FLIGHT);
      if (inFlight <= FLOW_WINDOW_BYTES || Atomics.load(flow, FLOW_CLOSED) === 1) break;
      Atomics.wait(flow, FLOW_IN_FLIGHT, inFlight, 100);
    }
  }

  /** The head if the guest ended inside the header block (no blank line): the parser decides. */
  finishHead(): CgiHead {
    if (this.error !== undefined) throw this.error;
    this.head = this.#parser.end();
    this.#append(this.head.bodyStart);
    return this.head;
  }

  /** Body bytes gathered since the last `body` event, as latin1 (see {@link WagiResult.body}). */
  tail(): string {
    const buf = this.#prepared.buffer;
    const out = this.#length === 0 ? '' : Buffer.from(buf.buffer, buf.byteOffset, this.#length).toString('latin1');
    this.#length = 0;
    return out;
  }
}

/** Runs `prepared` once with `input`; see {@link poolHandler}. */
export function runWagi(prepared: Prepared, input: WagiInput, emit: (event: WagiEvent, transfer?: Transferable[]) => void): WagiResult {
  const stdout = new CgiStdout(prepared, emit);
  if (input.trace !== undefined) {
    const recorder = new SpanRecorder(input.trace);
    const instantiating = recorder.start('instantiate');
    let run: ReturnType<SpanRecorder['start']> | undefined;
    try {
      return finishWagi(stdout, runP1Guest(prepared.guest, wasiOptions(prepared, input, stdout, emit), prepared.call, () => {
        instantiating.end();
        run = recorder.start('guest run');
      }));
    } catch (err) {
      (run ?? instantiating).end(err instanceof Error ? err.message : String(err));
      throw err;
    } finally {
      run?.end();
      emit({ type: 'spans', spans: recorder.records });
    }
  }
  return finishWagi(stdout, runP1Guest(prepared.guest, wasiOptions(prepared, input, stdout, emit), prepared.call));
}

/** The WASI options of one WAGI run. */
function wasiOptions(prepared: Prepared, input: WagiInput, stdout: CgiStdout, emit: (event: WagiEvent) => void): Parameters<typeof runP1Guest>[1] {
  const { guest, config } = prepared;
  return {
    args: input.args,
    // The input is this request's own copy (structured clone): no merge to make when the
    // component sets no environment.
    env: prepared.hasEnv ? { ...config.env, ...input.env } : input.env,
    preopens: config.preopens,
    stdin: bytesInput(input.stdin ?? NO_BYTES),
    stdout,
    stderr: guestOutputSink('stderr', emit),
    only: guest.wasiImports,
  };
}

/** The run's result from what the guest wrote and its exit code. */
function finishWagi(stdout: CgiStdout, exitCode: number): WagiResult {
  if (!stdout.head) {
    if (exitCode !== 0) {
      throw new WasmletError('WASMLET_ERR_HTTP_NO_RESPONSE',
        `the guest exited with code ${exitCode} before writing a complete CGI response`, { blame: 'guest' });
    }
    stdout.finishHead();
  }
  const result: WagiResult = { exitCode, body: stdout.tail() };
  if (!stdout.headEmitted) result.head = { status: stdout.head!.status, headers: stdout.head!.headers };
  return result;
}

/** The pool handler for WAGI units (`WorkerPool({ handler: new URL('./wagi-worker.ts', ...) })`). */
export const poolHandler: PoolHandler = {
  load(module: WebAssembly.Module, config: unknown): Prepared {
    const cfg = config as WagiUnitConfig;
    // Checked once per worker, not per request (see prepareP1Guest).
    const guest = prepareP1Guest(module);
    if (cfg.entrypoint !== '_start') requireExport(guest, cfg.entrypoint, 'the WAGI entrypoint');
    return {
      guest, config: cfg, call: cfg.entrypoint === '_start' ? undefined : { name: cfg.entrypoint, args: [] },
      hasEnv: Object.keys(cfg.env).length > 0, buffer: new Uint8Array(BODY_CHUNK_BYTES),
    };
  },
  run(prepared: unknown, input: unknown, emit): WagiResult {
    return runWagi(prepared as Prepared, input as WagiInput, emit);
  },
};
