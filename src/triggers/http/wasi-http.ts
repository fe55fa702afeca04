// The `wasi-http` executor (main-thread side): runs a `wasi:http/incoming-handler@0.2.x` component
// in the worker pool (wasi-http-worker.ts) with a fresh instance per request, streaming the request
// body to the worker and the response body back, both with a bounded window of bytes in flight.
// A bodiless request with a small, quick response costs two messages (the job and its result):
// the per-request MessagePort exists only for a request body or a streamed response.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { PoolJob, WorkerPool } from '../../engine/pool.ts';
import { WasmletError, isWasmletError } from '../../util/errors.ts';
import type { HttpExecutor, HttpInvocation, HttpResponseWriter, ServerInfo } from './executor.ts';
import { bodyTooLarge, guestHeaders, headerPairs, mayHaveBody } from './limits.ts';
import { LineSplitter } from './guest-output.ts';
import type { RouteMatch } from './router.ts';
import { spinRequestHeaders, withSpinHeaders } from './spin-headers.ts';
import type { FromWorker, ToWorker, WasiHttpEvent, WasiHttpInput, WasiHttpResult } from './wasi-http-worker.ts';

/** Request bytes sent to the worker and not yet read by the guest, at most (then the socket pauses). */
export const REQUEST_WINDOW_BYTES = 1 << 20;

/** What one `wasi-http` route needs. */
export interface WasiHttpExecutorOptions {
  /** The component pool (handler: wasi-http-worker.ts). */
  pool: WorkerPool;
  /** The pool unit of the route's component ({@link WasiHttpUnitConfig}). */
  unit: string;
  /** Wall-clock limit of one request, in ms, from start until the response body ends. */
  timeoutMs: number;
}

/** Methods that are safe (RFC 9110 §9.2.1), so a bodiless request lost with its worker may rerun. */
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Where a guest's self requests go: the listener's origin, with a wildcard bind address
 * (`0.0.0.0`, `::`) replaced by loopback.
 */
export function selfOrigin(server: ServerInfo): string {
  const host = server.host === '0.0.0.0' ? '127.0.0.1' : server.host === '::' ? '::1' : server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;
}

/**
 * Runs a wasi:http component per request. The guest sees the client's headers plus Spin's
 * `spin-*` request headers (spin-headers.ts), as Spin's wasi-http executor passes them.
 */
export class WasiHttpExecutor implements HttpExecutor {
  readonly #options: WasiHttpExecutorOptions;
  #selfOrigin: string | undefined; // fixed once the server listens

  constructor(options: WasiHttpExecutorOptions) {
    this.#options = options;
  }

  /**
   * Runs the guest for one request.
   * @throws as `HttpExecutor.execute`: `WASMLET_ERR_BODY_TOO_LARGE` (413) when the streamed body
   *   passes the limit before the response started; `WASMLET_ERR_HTTP_NO_RESPONSE` (500) when the
   *   guest exits or traps before setting a response; `WASMLET_ERR_TIMEOUT` (504).
   */
  async execute(invocation: HttpInvocation, response: HttpResponseWriter): Promise<void> {
    const { request } = invocation;
    const authority = request.headers.host ?? `${invocation.server.host}:${invocation.server.port}`;
    const pathWithQuery = request.url ?? '/';
    const headers = withSpinHeaders(headerPairs(request.rawHeaders), spinRequestHeaders({
      url: pathWithQuery, authority,
      remoteAddr: invocation.remoteAddress, remotePort: invocation.remotePort,
    }, invocation.matched.match as RouteMatch));
    const hasBody = mayHaveBody(request);
    const method = request.method ?? 'GET';
    const base = {
      method,
      pathWithQuery,
      scheme: 'http' as const,
      authority,
      selfOrigin: this.#selfOrigin ??= selfOrigin(invocation.server),
      ...(invocation.server.serviceChainingSecret === undefined ? {} : { serviceChainingSecret: invocation.server.serviceChainingSecret }),
      headers, hasBody,
    };
    // A worker terminated under this request (another guest on it ran past its deadline) lost
    // it; a bodiless GET/HEAD/OPTIONS that sent nothing yet is run once more on another worker.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#attempt(invocation, response, base);
        return;
      } catch (err) {
        const retry = attempt === 0 && !hasBody && !response.committed && RETRYABLE_METHODS.has(method)
          && isWasmletError(err) && err.code === 'WASMLET_ERR_WORKER_LOST' && !invocation.aborted;
        if (!retry) throw err;
      }
    }
  }

  async #attempt(invocation: HttpInvocation, response: HttpResponseWriter, base: Omit<WasiHttpInput, 'port'>): Promise<void> {
    const { request } = invocation;
    const { hasBody } = base;
    // A port only for a request body; a streamed response brings its own (a 'port' event).
    let port1: MessagePort | undefined;
    let input: WasiHttpInput = invocation.trace ? { ...base, trace: invocation.trace.context } : base;
    if (hasBody) {
      const channel = new MessageChannel();
      port1 = channel.port1;
      input = { ...input, port: channel.port2 };
    }
    const post = (m: ToWorker, transfer?: ArrayBuffer[]) => port1?.postMessage(m, transfer ?? []);
    let finished = false;

    // Request body: socket -> worker, paused while the guest has a window's worth unread.
    let unread = 0;
    let paused = false;
    let failBody: ((err: WasmletError) => void) | undefined;
    const bodyFailed = new Promise<never>((_, reject) => { failBody = reject; });
    bodyFailed.catch(() => {});
    const limit = invocation.maxBodyBytes ?? Infinity;
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        stopBody();
        request.pause();
        post({ type: 'error', message: 'the request body is over the server limit' });
        failBody?.(bodyTooLarge(limit));
        return;
      }
      const bytes = new Uint8Array(chunk); // a copy that owns its buffer (socket chunks are pooled)
      unread += bytes.length;
      post({ type: 'chunk', bytes }, [bytes.buffer]);
      if (unread > REQUEST_WINDOW_BYTES && !paused) { paused = true; request.pause(); }
    };
    const onEnd = () => { stopBody(); post({ type: 'end' }); };
    const onError = () => { stopBody(); post({ type: 'error', message: 'the client closed the connection' }); };
    const stopBody = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('aborted', onError);
    };
    port1?.on('message', (m: FromWorker) => {
      unread -= m.bytes;
      if (paused && unread <= REQUEST_WINDOW_BYTES / 2) { paused = false; request.resume(); }
    });
    if (hasBody) {
      request.on('data', onData);
      request.on('end', onEnd);
      request.on('error', onError);
      request.on('aborted', onError);
    }

    const onEvent = (raw: unknown) => {
      const event = raw as WasiHttpEvent;
      if (event.type === 'stdout' || event.type === 'stderr') { output[event.type].push(event.text); return; }
      if (event.type === 'spans') { invocation.trace?.addRecords(event.spans); return; }
      if (finished) return;
      if (event.type === 'port') {
        port1 = event.port;
        if (invocation.aborted) post({ type: 'abort' });
        return;
      }
      if (event.type === 'head') {
        response.head(event.status, guestHeaders(event.headers));
        return;
      }
      const n = event.bytes.byteLength;
      response.write(event.bytes, () => { if (!finished) post({ type: 'ack', bytes: n }); });
    };
    const output = {
      stdout: new LineSplitter((line) => invocation.logGuestOutput('stdout', line)),
      stderr: new LineSplitter((line) => invocation.logGuestOutput('stderr', line)),
    };
    const { pool } = this.#options;
    const job: PoolJob = {
      unit: this.#options.unit,
      input,
      ...(input.port ? { transfer: [input.port] } : {}),
      timeoutMs: this.#options.timeoutMs,
      onEvent,
    };
    try {
      const running = pool.run(job);
      running.catch(() => {}); // may lose the race with a body failure
      // The client going away drops the job if it is still waiting, or tells the running guest.
      invocation.onAbort = () => { if (!pool.cancel(job)) post({ type: 'abort' }); };
      if (invocation.aborted) invocation.onAbort();
      const result = await Promise.race([running, bodyFailed]) as WasiHttpResult;
      if (result.head !== undefined) { // small and quick: the whole response in the result
        response.head(result.head.status, guestHeaders(result.head.headers));
        response.end(result.body);
      } else {
        response.end();
      }
    } finally {
      finished = true;
      output.stdout.end();
      output.stderr.end();
      stopBody();
      if (paused) request.resume();
      invocation.onAbort = undefined;
      port1?.close();
    }
  }
}
