// A fetch `Request` as the Node request/response pair the app's request handler takes
// (triggers/http/app-handler.ts), so `app.fetch()` goes down the same path as `wasmlet serve`:
// the request becomes a real `IncomingMessage` (the executors read its head and stream its body
// as they do a socket's), and the handler writes into a {@link FetchResponse}, which turns into
// a `Response` as soon as the head is written and streams the body with backpressure.
import { EventEmitter } from 'node:events';
import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { ResponseTarget } from '../triggers/http/app-handler.ts';

/** Response headers that frame a Node response; a `Response` has no use for them. */
const FRAMING = new Set(['connection', 'keep-alive', 'transfer-encoding']);

/** Statuses whose response has no body (Fetch: "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** The client of a fetch exchange, when the framework knows it (a `Request` does not say). */
export interface FetchClient {
  /** The client's IP address (CGI `REMOTE_ADDR`, Spin's `spin-client-addr`). Default: empty. */
  remoteAddress?: string;
  /** The client's port. Default 0. */
  remotePort?: number;
}

/**
 * `request` as an `IncomingMessage`: method, origin-form URL, headers (plus `Host` from the URL
 * when absent, and `Transfer-Encoding: chunked` for a body of unknown length, as Node would see
 * it on the wire), HTTP/1.1, and the body streamed from `request.body` at the reader's pace. The
 * remote address is `client`'s; the local one is the URL's host and port.
 */
export function toIncomingMessage(request: Request, client: FetchClient = {}): IncomingMessage {
  const url = new URL(request.url);
  const socket = Object.assign(new Duplex({ read() {}, write(_c, _e, cb) { cb(); } }), {
    remoteAddress: client.remoteAddress ?? '', remotePort: client.remotePort ?? 0,
    localAddress: url.hostname.replace(/^\[|\]$/g, ''),
    localPort: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
  });
  const req = new IncomingMessage(socket as unknown as Socket);
  req.method = request.method;
  req.url = `${url.pathname}${url.search}`;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  const raw: string[] = [];
  const headers: Record<string, string> = {};
  for (const [name, value] of request.headers) { raw.push(name, value); headers[name] = value; }
  if (headers.host === undefined) { raw.unshift('host', url.host); headers.host = url.host; }
  const body = request.body;
  if (body !== null && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
    raw.push('transfer-encoding', 'chunked');
    headers['transfer-encoding'] = 'chunked';
  }
  req.rawHeaders = raw;
  req.headers = headers;
  if (body === null) {
    req.push(null);
    return req;
  }
  const reader = body.getReader();
  let pumping = false;
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) { req.push(null); return; }
        if (!req.push(value)) return; // resumes on the next _read
      }
    } catch (err) {
      req.destroy(err as Error);
    } finally {
      pumping = false;
    }
  };
  req._read = () => { void pump(); };
  const onAbort = () => {
    if (!req.readableEnded) req.destroy(new Error('the request was aborted'));
    void reader.cancel().catch(() => {});
  };
  request.signal.addEventListener('abort', onAbort, { once: true });
  req.once('close', () => request.signal.removeEventListener('abort', onAbort));
  return req;
}

/**
 * The response side of one fetch exchange: what the request handler writes (status, headers,
 * body chunks) becomes {@link response}. It resolves once the head is written; the body streams
 * behind it, each write's callback running once the consumer has pulled (backpressure). A
 * consumer that cancels the body, or an aborted request, closes it (the handler then aborts the
 * guest, as for a client that went away).
 */
export class FetchResponse extends EventEmitter implements ResponseTarget {
  statusCode = 200;
  shouldKeepAlive = true; // no connection to keep: ignored
  /** The `Response`, once the head is written; rejects when the exchange ends before a head. */
  readonly response: Promise<Response>;
  #headersSent = false;
  #finished = false;
  #destroyed = false;
  #closed = false;
  #pending: [string, string][] = [];
  #resolve!: (response: Response) => void;
  #reject!: (err: Error) => void;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #waiting: (() => void)[] = [];
  readonly #bodyless: boolean;

  /** @param bodyless a `HEAD` request: the response carries no body. */
  constructor(bodyless: boolean) {
    super();
    this.#bodyless = bodyless;
    this.response = new Promise((resolve, reject) => { this.#resolve = resolve; this.#reject = reject; });
    this.response.catch(() => {}); // the caller awaits it; an unawaited failure is not unhandled
  }

  get headersSent(): boolean { return this.#headersSent; }
  get writableFinished(): boolean { return this.#finished; }
  get destroyed(): boolean { return this.#destroyed; }

  setHeader(name: string, value: string): this {
    this.#pending.push([name, value]);
    return this;
  }

  writeHead(status: number, headers: string[] | Record<string, string | number> = {}): this {
    if (this.#headersSent) return this;
    this.#headersSent = true;
    this.statusCode = status;
    const out = new Headers();
    const add = (name: string, value: string) => { if (!FRAMING.has(name.toLowerCase())) out.append(name, value); };
    for (const [name, value] of this.#pending) add(name, value);
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i]!, headers[i + 1]!);
    } else {
      for (const [name, value] of Object.entries(headers)) add(name, String(value));
    }
    let body: ReadableStream<Uint8Array> | null = null;
    if (!this.#bodyless && !NULL_BODY.has(status)) {
      body = new ReadableStream<Uint8Array>({
        start: (controller) => { this.#controller = controller; },
        pull: () => { for (const w of this.#waiting.splice(0)) w(); },
        cancel: () => { this.#close(true); },
      }, { highWaterMark: 4 });
    }
    try {
      this.#resolve(new Response(body, { status, headers: out }));
    } catch (err) { // a status a Response cannot carry (1xx, > 599)
      this.#reject(err as Error);
    }
    return this;
  }

  write(chunk: Uint8Array | string, callback?: () => void, encoding: 'utf8' | 'latin1' = 'utf8'): boolean {
    if (!this.#headersSent) this.writeHead(this.statusCode);
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    const controller = this.#controller;
    if (controller === undefined || this.#destroyed || this.#finished) {
      if (callback) queueMicrotask(callback);
      return true;
    }
    if (bytes.length > 0) controller.enqueue(bytes);
    const room = (controller.desiredSize ?? 0) > 0;
    if (callback) { if (room) queueMicrotask(callback); else this.#waiting.push(callback); }
    return room;
  }

  /** `encoding` applies to a string chunk (Node's `end(chunk, encoding)`); default utf8. */
  end(chunk?: Uint8Array | string, encoding?: 'utf8' | 'latin1'): this {
    if (this.#finished || this.#destroyed) return this;
    if (chunk !== undefined) this.write(chunk, undefined, encoding);
    else if (!this.#headersSent) this.writeHead(this.statusCode);
    this.#finished = true;
    try { this.#controller?.close(); } catch { /* cancelled by the consumer */ }
    this.#close(false);
    return this;
  }

  destroy(): this {
    if (this.#destroyed) return this;
    if (!this.#finished) {
      if (!this.#headersSent) this.#reject(new Error('the response was aborted before its head was written'));
      try { this.#controller?.error(new Error('the response was aborted')); } catch { /* already closed */ }
    }
    this.#close(true);
    return this;
  }

  /** Ends the exchange: the request handler's 'close' (its access line, or a guest's abort). */
  #close(destroyed: boolean): void {
    if (destroyed) this.#destroyed = true;
    for (const w of this.#waiting.splice(0)) w();
    if (this.#closed) return;
    this.#closed = true;
    queueMicrotask(() => this.emit('close'));
  }
}
