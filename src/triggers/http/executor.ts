// The seam between the HTTP front end (server.ts) and the code that turns one request into a guest
// invocation. WAGI (wagi.ts) implements it for core modules; `wasi-http` (components) plugs in the
// same way. The server owns routing, limits, logging and error -> status mapping; an executor owns
// only "run the guest for this request and write its response".
import type { IncomingMessage } from 'node:http';
import type { LockedComponent, LockedHttpRoute } from '../../app/locked-app.ts';
import type { GuestStream } from './guest-output.ts';
import type { RequestSpan } from './request-tracer.ts';

/** The route a request matched (the router's answer, kept opaque to executors that ignore it). */
export interface MatchedRoute {
  /** The `[[trigger.http]]` entry that matched. */
  route: LockedHttpRoute;
  /** The component that route names. */
  component: LockedComponent;
  /** Router output (params, matched prefix, trailing path) as `cgi-env.ts` expects it. */
  match: unknown;
}

/** Where the listening socket is, for CGI's SERVER_* variables and wasi:http authority defaults. */
export interface ServerInfo {
  /** Bound address, e.g. `127.0.0.1`. */
  host: string;
  /** Bound TCP port. */
  port: number;
  /**
   * The secret this listener accepts service-chained requests with (app-handler.ts), handed to
   * guests' hosts, never to guests. Absent: guests cannot chain.
   */
  serviceChainingSecret?: string;
}

/** One request handed to an executor. */
export interface HttpInvocation {
  /** Unique per request; appears in the access log and next to every guest stderr line. */
  requestId: string;
  /** The Node request: method, url, headers, socket. Its body must be read through {@link readBody}. */
  request: IncomingMessage;
  matched: MatchedRoute;
  server: ServerInfo;
  /**
   * The client address the guest is shown (CGI `REMOTE_ADDR`, `spin-client-addr`): the socket's
   * peer, or `0.0.0.0` port 0 for a service-chained request (Spin's `CHAINED_CLIENT_ADDR`,
   * spinframework/spin `crates/trigger-http/src/outbound_http.rs`).
   */
  readonly remoteAddress: string;
  /** The client's TCP port (see {@link remoteAddress}). */
  readonly remotePort: number;
  /**
   * Reads the whole request body, at most the server's body limit (`--max-body`).
   * @throws WasmletError `WASMLET_ERR_BODY_TOO_LARGE` (blame user; the server answers 413).
   */
  readBody(): Promise<Uint8Array>;
  /**
   * The server's request body limit in bytes (`--max-body`), for executors that stream the body
   * from `request` instead of calling {@link readBody}. Absent: no limit.
   */
  maxBodyBytes?: number;
  /** True once the client went away (or the server closed the connection) before the response finished. */
  readonly aborted: boolean;
  /**
   * Called once, when {@link aborted} turns true; an executor sets it to cancel its work (a field,
   * not an AbortSignal: the server builds one invocation per request and an EventTarget per
   * request is main-thread garbage). Set it, then check `aborted` (it may have turned already).
   */
  onAbort: (() => void) | undefined;
  /**
   * The request's span when tracing is on: executors pass `trace.context` into the worker and
   * give the spans it recorded to `trace.addRecords`. Undefined when not tracing.
   */
  readonly trace: RequestSpan | undefined;
  /** Sends one line (without newline) of guest stdout or stderr to the server log, tagged with this request's id. */
  logGuestOutput(stream: GuestStream, line: string): void;
}

/**
 * The response side. `head` is called at most once and before any `write`; the server sends
 * nothing to the client until the first `write` or `end`, so an executor can still fail (and the
 * server answer 5xx) after `head`. Once bytes are written, a failure aborts the connection.
 */
export interface HttpResponseWriter {
  /** Sets status and headers (header names as the guest wrote them; repeated names allowed). */
  head(status: number, headers: [string, string][]): void;
  /**
   * Queues body bytes. Returns false when the client is slow (Node's backpressure signal);
   * `flushed` is called once the bytes have been handed to the socket (or the connection failed):
   * the signal an executor uses to bound what it has in flight.
   */
  write(chunk: Uint8Array, flushed?: () => void): boolean;
  /**
   * Finishes the response, with `last` as the final body bytes: a Uint8Array, or a latin1 string
   * (one char per byte, as a WAGI result carries it: Node writes it after the head without a
   * Buffer of its own). When nothing was written before, the server sends a `Content-Length`
   * response instead of a chunked one.
   */
  end(last?: Uint8Array | string): void;
  /** True once anything (head or body) has reached the socket: a later failure can only abort. */
  readonly committed: boolean;
}

/**
 * A route's executor. `execute` resolves when the response has ended; it rejects with a
 * `WasmletError` whose `code` the server maps to a status:
 * `WASMLET_ERR_BODY_TOO_LARGE` 413, `WASMLET_ERR_QUEUE_FULL` 503 (+ `Retry-After`),
 * `WASMLET_ERR_TIMEOUT` 504, `WASMLET_ERR_CGI_RESPONSE` 502 (malformed guest response),
 * `WASMLET_ERR_TRAP` and anything else 500.
 */
export interface HttpExecutor {
  execute(invocation: HttpInvocation, response: HttpResponseWriter): Promise<void>;
}
