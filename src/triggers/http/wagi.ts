// The WAGI executor (main-thread side): reads the request body, builds the CGI environment and
// argv, and runs the guest in the worker pool (wagi-worker.ts), forwarding the parsed response
// head and body chunks to the client as they arrive. WAGI: https://github.com/deislabs/wagi
// (CGI 1.1, RFC 3875, over WASI); argv and env follow Spin's WAGI executor.
import type { PoolJob, WorkerPool } from '../../engine/pool.ts';
import { cgiArgv, cgiEnv } from './cgi-env.ts';
import type { RouteMatch } from './router.ts';
import { guestHeaders, headerPairs } from './limits.ts';
import type { HttpExecutor, HttpInvocation, HttpResponseWriter } from './executor.ts';
import { FLOW_CLOSED, FLOW_IN_FLIGHT } from './wagi-worker.ts';
import { LineSplitter } from './guest-output.ts';
import type { WagiEvent, WagiInput, WagiResult } from './wagi-worker.ts';

/** What one WAGI route needs. */
export interface WagiExecutorOptions {
  pool: WorkerPool;
  /** The pool unit of the route's component (module + {@link WagiUnitConfig}). */
  unit: string;
  /** argv template (`${SCRIPT_NAME} ${ARGS}` when absent), see `cgiArgv`. */
  argv?: string;
  /** Wall-clock limit of one invocation, in ms. */
  timeoutMs: number;
}

/** Runs a core module as a CGI program per request. */
export class WagiExecutor implements HttpExecutor {
  readonly #options: WagiExecutorOptions;

  constructor(options: WagiExecutorOptions) {
    this.#options = options;
  }

  /**
   * Runs the guest for one request.
   * @throws as `HttpExecutor.execute`; a guest `proc_exit(n != 0)` before a complete head is
   *   `WASMLET_ERR_HTTP_NO_RESPONSE` (500); after the head, the response is sent as written.
   */
  async execute(invocation: HttpInvocation, response: HttpResponseWriter): Promise<void> {
    const { request } = invocation;
    const stdin = await invocation.readBody();
    const url = request.url ?? '/';
    const headers = headerPairs(request.rawHeaders);
    const env = cgiEnv({
      method: request.method ?? 'GET',
      url,
      headers,
      remoteAddr: invocation.remoteAddress,
      remotePort: invocation.remotePort,
      httpVersion: request.httpVersion,
      bodyLength: stdin.length,
    }, invocation.matched.match as RouteMatch, invocation.server);
    const input: WagiInput = { args: cgiArgv(url, this.#options.argv), env };
    if (invocation.trace) input.trace = invocation.trace.context;
    if (stdin.length > 0) input.stdin = stdin;
    let flow: Int32Array | undefined; // arrives with the first streamed body chunk, if any
    const release = (bytes: number) => {
      Atomics.sub(flow!, FLOW_IN_FLIGHT, bytes);
      Atomics.notify(flow!, FLOW_IN_FLIGHT);
    };
    const onClose = () => {
      Atomics.store(flow!, FLOW_CLOSED, 1);
      Atomics.notify(flow!, FLOW_IN_FLIGHT);
    };

    const stderr = new LineSplitter((line) => invocation.logGuestOutput('stderr', line));
    const onEvent = (raw: unknown) => {
      const event = raw as WagiEvent;
      if (event.type === 'stderr') { stderr.push(event.text); return; }
      if (event.type === 'spans') { invocation.trace?.addRecords(event.spans); return; }
      if (event.flow) {
        // Only a streamed response has flow control to close when the client goes away.
        flow = new Int32Array(event.flow);
        if (invocation.aborted) onClose();
      }
      if (event.head) response.head(event.head.status, guestHeaders(event.head.headers));
      const bytes = event.chunk.byteLength;
      response.write(new Uint8Array(event.chunk), () => release(bytes));
    };
    const { pool } = this.#options;
    const job: PoolJob = {
      unit: this.#options.unit,
      input,
      transfer: stdin.byteLength > 0 ? [stdin.buffer as ArrayBuffer] : [],
      bytes: stdin.byteLength,
      timeoutMs: this.#options.timeoutMs,
      onEvent,
    };
    try {
      const running = pool.run(job);
      // The client going away drops the job if it is still waiting, and ends a streamed response.
      invocation.onAbort = () => { if (!pool.cancel(job) && flow) onClose(); };
      if (invocation.aborted) invocation.onAbort();
      const result = await running as WagiResult;
      if (result.head) response.head(result.head.status, guestHeaders(result.head.headers));
      response.end(result.body.length > 0 ? result.body : undefined);
    } finally {
      invocation.onAbort = undefined;
      stderr.end();
    }
  }
}

