// Limits the HTTP front end enforces before a guest runs, with their defaults and why.
import type { IncomingMessage } from 'node:http';
import { WasmletError } from '../../util/errors.ts';

/** Default request body limit: 10 MiB. WAGI buffers the whole body in memory, so it must be bounded. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
/**
 * Default cap on the request head (request line + headers), in bytes: Node's own default (16 KiB),
 * enforced by its parser with a 431 response.
 */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
/** Default wall-clock limit of one guest invocation when the component sets none: 30 s. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** How long shutdown waits for in-flight requests before closing their connections: 10 s. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** `Retry-After` (seconds) sent with a 503 when the queue is full. */
export const RETRY_AFTER_SECONDS = 1;

/** The error for a request body over `limit` bytes (`WASMLET_ERR_BODY_TOO_LARGE`, blame user; 413). */
export function bodyTooLarge(limit: number): WasmletError {
  return new WasmletError('WASMLET_ERR_BODY_TOO_LARGE',
    `the request body is larger than the limit of ${limit} bytes (server option --max-body)`, { blame: 'user' });
}

/** Response headers a guest may not set: the server frames the response itself (RFC 9112 §6). */
const FRAMING_HEADERS = new Set(['connection', 'transfer-encoding', 'content-length', 'keep-alive']);

/** A guest's response headers without the framing ones (`Content-Length`, `Transfer-Encoding`, ...). */
export function guestHeaders<V>(headers: [string, V][]): [string, V][] {
  return headers.filter(([name]) => !FRAMING_HEADERS.has(name.toLowerCase()));
}

/** Node's flat `rawHeaders` (`[name, value, name, value, ...]`) as pairs, in arrival order. */
export function headerPairs(rawHeaders: string[]): [string, string][] {
  const headers: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) headers.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return headers;
}

/**
 * Checks `Content-Length` against `maxBytes` before reading anything.
 * @throws WasmletError `WASMLET_ERR_BODY_TOO_LARGE` (blame user) when it is over the limit.
 */
export function checkContentLength(request: IncomingMessage, maxBytes: number): void {
  const declared = request.headers['content-length'];
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBytes) throw bodyTooLarge(maxBytes);
}

/**
 * Whether `request` may carry a body. An HTTP/1.x request with neither Content-Length nor
 * Transfer-Encoding, or with Content-Length 0, has none (RFC 9112 §6.3; the fetch adapter marks a
 * body of unknown length chunked). An HTTP/2 request (createHandler under a `node:http2` server)
 * frames its body itself, without either header, so it may always have one.
 */
export function mayHaveBody(request: IncomingMessage): boolean {
  if (request.readableEnded) return false;
  if (request.httpVersionMajor !== 1) return true;
  const { 'content-length': declared, 'transfer-encoding': coding } = request.headers;
  return coding !== undefined || (declared !== undefined && declared !== '0');
}

/**
 * Reads the whole body of `request`, failing as soon as it passes `maxBytes` (so a chunked body
 * without Content-Length cannot grow memory without bound). Returns an empty array for no body.
 * The result owns its whole `ArrayBuffer` (safe to transfer).
 * @throws WasmletError `WASMLET_ERR_BODY_TOO_LARGE` (blame user); `WASMLET_ERR_ABORTED`
 *   when the client goes away mid-body.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  checkContentLength(request, maxBytes);
  // No body: answered at once, without a trip through the stream (four listeners, resume, 'end'
  // on a later tick), which cost the main thread more per GET than the rest of the body path.
  // Node's server discards the unread end of a request once its response is finished
  // (`resOnFinish` in _http_server).
  if (!mayHaveBody(request)) {
    return Promise.resolve(new Uint8Array(0));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxBytes) {
        cleanup();
        request.pause(); // stop reading; the server answers 413 and closes the connection
        reject(bodyTooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      // A fresh, exact-size buffer: socket chunks can be views into larger pooled buffers, and
      // this one is transferred to a worker whole.
      const out = new Uint8Array(length);
      let at = 0;
      for (const c of chunks) { out.set(c, at); at += c.length; }
      resolve(out);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new WasmletError('WASMLET_ERR_ABORTED', `reading the request body failed: ${err.message}`,
        { blame: 'user', cause: err }));
    };
    const onAborted = () => onError(new Error('the client closed the connection'));
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('aborted', onAborted);
  });
}
