// wasi:http@0.2.x: `types` and `outgoing-handler` imports. `incoming-handler` is a guest export;
// the host side of it (building an `incoming-request`, collecting the `response-outparam`) is
// `createIncomingRequest` / `createResponseOutparam` below, used by the engine.
// Outbound requests go through the instance's allow-list (parsed at app load, matched here); a
// denied request is the WIT error `HTTP-request-denied`, never a host exception. A self request
// (no authority, or the host `self.alt`) goes to the app's own listener, as in Spin's
// `crates/factor-outbound-http/src/wasi.rs` `prepare_request`. A granted request to
// `<component>.spin.internal` (Spin's service chaining, http-outbound/service-chaining.ts) goes
// there too, marked for that component; any other request under `spin.internal` is denied, so
// none ever reaches DNS or the network.
import type { HostCallTracer } from '../../../util/trace-context.ts';
import { WasmletError } from '../../../util/errors.ts';
import {
  allowsSelfRequests, isOutboundAllowed, isSelfAuthority, type AllowedHost,
} from '../../http-outbound/allowed-hosts.ts';
import {
  SERVICE_CHAINING_HEADER, isServiceChainingDomain, serviceChainingHeaderValue, serviceChainingTarget,
} from '../../http-outbound/service-chaining.ts';
import { InputStream, IoError, OutputStream, Pollable, QueueSource, type ByteSink } from './io.ts';

/** `wasi:http/types.method` */
export type Method = { tag: 'get' | 'head' | 'post' | 'put' | 'delete' | 'connect' | 'options' | 'trace' | 'patch' } | { tag: 'other'; val: string };
/** `wasi:http/types.scheme` */
export type Scheme = { tag: 'HTTP' } | { tag: 'HTTPS' } | { tag: 'other'; val: string };
/** `wasi:http/types.error-code` (the cases the host produces; others pass through as-is). */
export type ErrorCode =
  | { tag: 'HTTP-request-denied' } | { tag: 'connection-refused' } | { tag: 'connection-timeout' }
  | { tag: 'DNS-error'; val: { rcode?: string; infoCode?: number } } | { tag: 'HTTP-request-URI-invalid' }
  | { tag: 'HTTP-protocol-error' } | { tag: 'internal-error'; val?: string };

const knownMethods = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);

/** Converts an HTTP method name to the WIT variant. */
export function toWitMethod(name: string): Method {
  const lower = name.toLowerCase();
  return knownMethods.has(lower) ? { tag: lower } as Method : { tag: 'other', val: name };
}

/** Converts the WIT method variant to an HTTP method name (upper-case for the known ones). */
export function fromWitMethod(method: Method): string {
  return method.tag === 'other' ? method.val : method.tag.toUpperCase();
}

/** Largest body chunk queued before `check-write` reports 0 (backpressure), in bytes. */
export const BODY_HIGH_WATER_BYTES = 1 << 16;

const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A one-directional body pipe: the producer writes through a {@link ByteSink}, the consumer
 * reads with `for await`. `check-write` reports the room left below {@link BODY_HIGH_WATER_BYTES}
 * and `blocking-flush` waits until the consumer has taken the queued bytes.
 */
export class BodyPipe implements ByteSink {
  #queue = new QueueSource();
  #drainWaiters: (() => void)[] = [];
  #closed = false;
  #ended = false;
  #failure: Error | undefined;
  write(bytes: Uint8Array): void {
    this.#queue.push(bytes.slice());
  }
  capacity(): number {
    return Math.max(0, BODY_HIGH_WATER_BYTES - this.#queue.buffered);
  }
  flush(): Promise<void> | void {
    if (this.#queue.buffered === 0 || this.#closed) return;
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }
  closed(): boolean {
    return this.#closed;
  }
  /** Producer is done. */
  end(): void {
    this.#ended = true;
    this.#queue.end();
  }
  /** Whether the producer ended the body (finished it, or {@link abort}ed it). */
  get ended(): boolean {
    return this.#ended;
  }
  /**
   * Producer failed (the guest dropped the body, or returned, without `outgoing-body.finish`):
   * the consumer reads the bytes already queued, then `failure` is thrown. A no-op once ended.
   */
  abort(failure: Error): void {
    if (this.#ended) return;
    this.#failure = failure;
    this.end();
  }
  /** Consumer went away: further writes fail with `closed`. */
  cancel(): void {
    this.#closed = true;
    this.#drain();
  }
  #drain(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      await this.#queue.wait();
      const chunk = this.#queue.read(Number.MAX_SAFE_INTEGER);
      if (this.#queue.buffered === 0) this.#drain();
      if (chunk === null) {
        if (this.#failure !== undefined) throw this.#failure;
        return;
      }
      if (chunk.length > 0) yield chunk;
    }
  }
}

/** Options for the http part of a p2 host. */
export interface HttpOptions {
  /** Parsed `allowed_outbound_hosts`. Default: none (every outbound request is denied). */
  allowedOutboundHosts?: readonly AllowedHost[];
  /**
   * Origin of the app's own HTTP listener (`http://127.0.0.1:3000`), where self requests go when
   * the allow-list grants them (`http://self`, `*://*:*`, ...). Default: none (a granted self
   * request fails with `HTTP-request-URI-invalid`, as in Spin without a self origin).
   */
  selfOrigin?: string;
  /**
   * The listener's service chaining secret: a granted request to `<component>.spin.internal` goes
   * to {@link selfOrigin} with it (`SERVICE_CHAINING_HEADER`). Default: none (such a request fails
   * with `HTTP-request-URI-invalid`, as a self request without a self origin does).
   */
  serviceChainingSecret?: string;
  /** The fetch implementation used for allowed outbound requests. Default: global `fetch`. */
  fetch?: typeof fetch;
  /**
   * Traces each outbound request as a client span and sends its W3C `traceparent` with it.
   * Default: none (untraced).
   */
  tracer?: HostCallTracer;
}

/** What the host hands to a guest's `incoming-handler.handle` and reads back. */
export interface IncomingRequestInit {
  method: string;
  /** Path and query, e.g. `/a?b=1`. */
  pathWithQuery: string;
  scheme: 'http' | 'https';
  authority: string;
  headers: readonly (readonly [string, string | Uint8Array])[];
  /** The request body, fed by the host (ended when the body is complete). */
  body: QueueSource;
}

/** The guest's response as collected from `response-outparam.set`. */
export interface OutgoingResponseResult {
  status: number;
  headers: [string, Uint8Array][];
  /** The body as the guest writes it; ends when the guest calls `outgoing-body.finish`. */
  body: AsyncIterable<Uint8Array>;
}

/** Per-instance `wasi:http` host objects plus the hooks the engine needs for incoming requests. */
export interface HttpHost {
  types: object;
  'outgoing-handler': object;
  /** Builds the `incoming-request` resource for one call of the guest's handler. */
  createIncomingRequest(init: IncomingRequestInit): object;
  /**
   * Builds a `response-outparam`; `response` settles when the guest calls `set` (rejects with the
   * guest's `error-code` if it sets an error).
   */
  createResponseOutparam(): { outparam: object; response: Promise<OutgoingResponseResult> };
}

function toBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? new TextEncoder().encode(v) : v;
}

function fetchErrorCode(err: unknown): ErrorCode {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code;
  if (code === 'ECONNREFUSED') return { tag: 'connection-refused' };
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return { tag: 'connection-timeout' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { tag: 'DNS-error', val: { rcode: code } };
  return { tag: 'internal-error', val: String(cause?.message ?? (err as Error)?.message ?? err) };
}

/** Builds the `wasi:http/*` interface objects for one instance. */
export function createHttp(options: HttpOptions = {}): HttpHost {
  const allowed = options.allowedOutboundHosts ?? [];
  const selfAllowed = allowsSelfRequests(allowed);
  const selfOrigin = options.selfOrigin;
  const chainingSecret = options.serviceChainingSecret;
  const doFetch = options.fetch ?? fetch;
  const tracer = options.tracer;

  class Fields {
    #map = new Map<string, { name: string; values: Uint8Array[] }>();
    #immutable = false;
    static fromList(entries: [string, Uint8Array][]): Fields {
      const f = new Fields();
      for (const [k, v] of entries) f.append(k, v);
      return f;
    }
    /** @internal */
    static frozen(entries: readonly (readonly [string, string | Uint8Array])[]): Fields {
      const f = new Fields();
      for (const [k, v] of entries) f.#add(k, toBytes(v));
      f.#immutable = true;
      return f;
    }
    #add(name: string, value: Uint8Array): void {
      const key = name.toLowerCase();
      const entry = this.#map.get(key);
      if (entry) entry.values.push(value.slice());
      else this.#map.set(key, { name, values: [value.slice()] });
    }
    #check(name: string): void {
      if (this.#immutable) throw { tag: 'immutable' };
      if (!headerName.test(name)) throw { tag: 'invalid-syntax' };
    }
    get(name: string): Uint8Array[] {
      return (this.#map.get(name.toLowerCase())?.values ?? []).map((v) => v.slice());
    }
    has(name: string): boolean {
      return this.#map.has(name.toLowerCase());
    }
    set(name: string, values: Uint8Array[]): void {
      this.#check(name);
      this.#map.set(name.toLowerCase(), { name, values: values.map((v) => v.slice()) });
    }
    delete(name: string): void {
      this.#check(name);
      this.#map.delete(name.toLowerCase());
    }
    append(name: string, value: Uint8Array): void {
      this.#check(name);
      this.#add(name, value);
    }
    entries(): [string, Uint8Array][] {
      const out: [string, Uint8Array][] = [];
      for (const [key, { values }] of this.#map) for (const v of values) out.push([key, v.slice()]);
      return out;
    }
    clone(): Fields {
      return Fields.fromList(this.entries());
    }
    /** @internal */
    freeze(): this {
      this.#immutable = true;
      return this;
    }
  }

  class FutureTrailers {
    #taken = false;
    subscribe(): Pollable {
      return Pollable.ready();
    }
    get(): object {
      if (this.#taken) return { tag: 'err', val: undefined };
      this.#taken = true;
      return { tag: 'ok', val: { tag: 'ok', val: undefined } };
    }
  }

  class IncomingBody {
    #source: QueueSource | undefined;
    constructor(source: QueueSource) {
      this.#source = source;
    }
    stream(): InputStream {
      const source = this.#source;
      if (source === undefined) throw undefined;
      this.#source = undefined;
      return new InputStream(source);
    }
    static finish(_body: IncomingBody): FutureTrailers {
      return new FutureTrailers();
    }
  }

  class IncomingRequest {
    #init: IncomingRequestInit | undefined;
    #headers: Fields;
    #consumed = false;
    constructor(init: IncomingRequestInit) {
      this.#init = init;
      this.#headers = Fields.frozen(init.headers);
    }
    method(): Method { return toWitMethod(this.#init!.method); }
    pathWithQuery(): string | undefined { return this.#init!.pathWithQuery; }
    scheme(): Scheme | undefined { return this.#init!.scheme === 'https' ? { tag: 'HTTPS' } : { tag: 'HTTP' }; }
    authority(): string | undefined { return this.#init!.authority; }
    headers(): Fields { return this.#headers; }
    consume(): IncomingBody {
      if (this.#consumed) throw undefined;
      this.#consumed = true;
      return new IncomingBody(this.#init!.body);
    }
  }

  class OutgoingBody {
    #pipe: BodyPipe;
    #taken = false;
    #finished = false;
    #onFinish: () => void;
    constructor(pipe: BodyPipe, onFinish: () => void = () => {}) {
      this.#pipe = pipe;
      this.#onFinish = onFinish;
    }
    write(): OutputStream {
      if (this.#taken) throw undefined;
      this.#taken = true;
      return new OutputStream(this.#pipe);
    }
    static finish(body: OutgoingBody, _trailers: Fields | undefined): void {
      body.#finished = true;
      body.#pipe.end();
      body.#onFinish();
    }
    /**
     * The guest dropped the body. Without `finish` first, the body is incomplete: wasi:http
     * (types.wit, `outgoing-body`) says to treat that as an error and make it visible on the wire,
     * as wasmtime-wasi-http aborts the body when its `HostOutgoingBody` is dropped unfinished.
     */
    [Symbol.dispose](): void {
      if (this.#finished) return;
      this.#pipe.abort(new WasmletError('WASMLET_ERR_HTTP_NO_RESPONSE',
        'the guest dropped an outgoing-body without calling outgoing-body.finish, so the body is incomplete', { blame: 'guest' }));
    }
  }

  class OutgoingResponse {
    #status = 200;
    #headers: Fields;
    #body: OutgoingBody | undefined;
    #bodyTaken = false;
    /** @internal */
    readonly pipe = new BodyPipe();
    constructor(headers: Fields) {
      this.#headers = headers.freeze();
      this.#body = new OutgoingBody(this.pipe);
    }
    statusCode(): number { return this.#status; }
    setStatusCode(code: number): void {
      if (code < 100 || code > 999) throw undefined;
      this.#status = code;
    }
    headers(): Fields { return this.#headers; }
    body(): OutgoingBody {
      if (this.#bodyTaken) throw undefined;
      this.#bodyTaken = true;
      return this.#body!;
    }
    /** @internal */
    bodyTaken(): boolean { return this.#bodyTaken; }
  }

  class ResponseOutparam {
    #settle: ((r: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: ErrorCode }) => void) | undefined;
    constructor(settle: (r: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: ErrorCode }) => void) {
      this.#settle = settle;
    }
    static set(param: ResponseOutparam, response: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: ErrorCode }): void {
      const settle = param.#settle;
      if (settle === undefined) throw new Error('wasi:http response-outparam.set called twice');
      param.#settle = undefined;
      settle(response);
    }
  }

  class RequestOptions {
    #connect: bigint | undefined;
    #firstByte: bigint | undefined;
    #between: bigint | undefined;
    connectTimeout(): bigint | undefined { return this.#connect; }
    setConnectTimeout(ns: bigint | undefined): void { this.#connect = ns; }
    firstByteTimeout(): bigint | undefined { return this.#firstByte; }
    setFirstByteTimeout(ns: bigint | undefined): void { this.#firstByte = ns; }
    betweenBytesTimeout(): bigint | undefined { return this.#between; }
    setBetweenBytesTimeout(ns: bigint | undefined): void { this.#between = ns; }
  }

  class OutgoingRequest {
    #method: Method = { tag: 'get' };
    #path: string | undefined;
    #scheme: Scheme | undefined;
    #authority: string | undefined;
    #headers: Fields;
    #bodyTaken = false;
    #finished = false;
    #onFinish: (() => void)[] = [];
    /** @internal */
    readonly pipe = new BodyPipe();
    constructor(headers: Fields) {
      this.#headers = headers.freeze();
    }
    method(): Method { return this.#method; }
    setMethod(m: Method): void {
      if (m.tag === 'other' && !headerName.test(m.val)) throw undefined;
      this.#method = m;
    }
    pathWithQuery(): string | undefined { return this.#path; }
    setPathWithQuery(p: string | undefined): void { this.#path = p; }
    scheme(): Scheme | undefined { return this.#scheme; }
    setScheme(s: Scheme | undefined): void { this.#scheme = s; }
    authority(): string | undefined { return this.#authority; }
    setAuthority(a: string | undefined): void { this.#authority = a; }
    headers(): Fields { return this.#headers; }
    body(): OutgoingBody {
      if (this.#bodyTaken) throw undefined;
      this.#bodyTaken = true;
      return new OutgoingBody(this.pipe, () => {
        this.#finished = true;
        for (const f of this.#onFinish.splice(0)) f();
      });
    }
    /** @internal resolves when the guest has finished the body (or never took it). */
    bodyDone(): Promise<void> {
      if (!this.#bodyTaken || this.#finished) return Promise.resolve();
      return new Promise((resolve) => this.#onFinish.push(resolve));
    }
    /** @internal */
    bodyTaken(): boolean { return this.#bodyTaken; }
  }

  class IncomingResponse {
    #status: number;
    #headers: Fields;
    #body: QueueSource | undefined;
    constructor(status: number, headers: Fields, body: QueueSource) {
      this.#status = status;
      this.#headers = headers;
      this.#body = body;
    }
    status(): number { return this.#status; }
    headers(): Fields { return this.#headers; }
    consume(): IncomingBody {
      if (this.#body === undefined) throw undefined;
      const body = new IncomingBody(this.#body);
      this.#body = undefined;
      return body;
    }
  }

  type FutureResult = { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode };

  class FutureIncomingResponse {
    #result: FutureResult | undefined;
    #taken = false;
    #done: Promise<void>;
    constructor(work: Promise<FutureResult>) {
      this.#done = work.then((r) => { this.#result = r; });
    }
    subscribe(): Pollable {
      return new Pollable(() => this.#result !== undefined, () => this.#done);
    }
    get(): object | undefined {
      if (this.#result === undefined) return undefined;
      if (this.#taken) return { tag: 'err', val: undefined };
      this.#taken = true;
      return { tag: 'ok', val: this.#result };
    }
  }

  /** `chain`: the `SERVICE_CHAINING_HEADER` value of a chained request. */
  async function send(request: OutgoingRequest, scheme: string, url: URL, chain?: string): Promise<FutureResult> {
    const method = fromWitMethod(request.method());
    const hasBody = request.bodyTaken() && method !== 'GET' && method !== 'HEAD';
    let body: ReadableStream<Uint8Array> | undefined;
    if (hasBody) {
      const iterator = request.pipe[Symbol.asyncIterator]();
      body = new ReadableStream({
        async pull(controller) {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        },
      });
    } else {
      request.pipe.cancel();
    }
    const headers = new Headers();
    // No `host`: fetch derives it from the URL, which the allow-list checked (Spin drops it too).
    for (const [k, v] of request.headers().entries()) {
      const name = k.toLowerCase();
      if (name !== 'host' && name !== SERVICE_CHAINING_HEADER) headers.append(k, new TextDecoder().decode(v));
    }
    if (chain !== undefined) headers.set(SERVICE_CHAINING_HEADER, chain);
    const span = tracer?.start(`${method}`, 'client', { 'http.request.method': method, 'url.full': url.href, 'server.address': url.hostname });
    if (span) headers.set('traceparent', span.traceparent);
    try {
      const res = await doFetch(url, {
        method, headers, redirect: 'manual',
        ...(body ? { body, duplex: 'half' } as RequestInit : {}),
      });
      span?.end(res.status >= 500 ? `HTTP ${res.status}` : undefined);
      const source = new QueueSource();
      void (async () => {
        try {
          if (res.body) for await (const chunk of res.body) source.push(chunk);
          source.end();
        } catch (err) {
          source.fail(String(err));
        }
      })();
      const resHeaders: [string, string][] = [];
      res.headers.forEach((v, k) => resHeaders.push([k, v]));
      void scheme;
      return { tag: 'ok', val: new IncomingResponse(res.status, Fields.frozen(resHeaders), source) };
    } catch (err) {
      const code = fetchErrorCode(err);
      span?.end(code.tag);
      return { tag: 'err', val: code };
    }
  }

  function handle(request: OutgoingRequest, _options: RequestOptions | undefined): FutureIncomingResponse {
    const schemeV = request.scheme() ?? { tag: 'HTTPS' };
    const scheme = schemeV.tag === 'other' ? schemeV.val.toLowerCase() : schemeV.tag.toLowerCase();
    const authority = request.authority();
    const path = request.pathWithQuery() ?? '/';
    let url: URL;
    try {
      url = new URL(`${scheme}://${authority || 'self.alt'}${path}`);
    } catch {
      throw { tag: 'HTTP-request-URI-invalid' } satisfies ErrorCode;
    }
    if (!authority || isSelfAuthority(url.hostname)) {
      if (!selfAllowed) throw { tag: 'HTTP-request-denied' } satisfies ErrorCode;
      if (selfOrigin === undefined) throw { tag: 'HTTP-request-URI-invalid' } satisfies ErrorCode;
      // Concatenated, not resolved: a path like `//elsewhere/x` must stay a path on the origin.
      url = new URL(`${selfOrigin}${path.startsWith('/') ? '' : '/'}${path}`);
      return new FutureIncomingResponse(send(request, url.protocol.slice(0, -1), url));
    }
    if ((scheme !== 'http' && scheme !== 'https') || !isOutboundAllowed(allowed, {
      scheme, host: url.hostname, ...(url.port ? { port: Number(url.port) } : {}),
    })) {
      throw { tag: 'HTTP-request-denied' } satisfies ErrorCode;
    }
    if (isServiceChainingDomain(url.hostname)) {
      // Spin's `OutboundHttpInterceptor`: handled by the component, never sent to the network.
      if (serviceChainingTarget(url.hostname) === undefined) throw { tag: 'HTTP-request-denied' } satisfies ErrorCode;
      if (selfOrigin === undefined || chainingSecret === undefined) throw { tag: 'HTTP-request-URI-invalid' } satisfies ErrorCode;
      const chained = new URL(`${selfOrigin}${path.startsWith('/') ? '' : '/'}${path}`);
      return new FutureIncomingResponse(send(request, 'http', chained, serviceChainingHeaderValue(chainingSecret, url.host)));
    }
    return new FutureIncomingResponse(send(request, scheme, url));
  }

  return {
    types: {
      Fields, FutureIncomingResponse, FutureTrailers, IncomingBody, IncomingRequest, IncomingResponse,
      OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions, ResponseOutparam,
      httpErrorCode: (_err: IoError): undefined => undefined,
    },
    'outgoing-handler': { handle },
    createIncomingRequest: (init) => new IncomingRequest(init),
    createResponseOutparam() {
      let resolve!: (r: OutgoingResponseResult) => void;
      let reject!: (e: unknown) => void;
      const response = new Promise<OutgoingResponseResult>((res, rej) => { resolve = res; reject = rej; });
      const outparam = new ResponseOutparam((r) => {
        if (r.tag === 'err') {
          reject(r.val);
          return;
        }
        const res = r.val;
        // The response now belongs to the host, so the guest can no longer take its body: one it
        // never took is empty (StarlingMonkey sends a `new Response(null)` this way), as in
        // wasmtime-wasi-http, where an untaken outgoing body becomes an empty hyper body.
        if (!res.bodyTaken()) res.pipe.end();
        resolve({ status: res.statusCode(), headers: res.headers().entries(), body: res.pipe });
      });
      return { outparam, response };
    },
  };
}
