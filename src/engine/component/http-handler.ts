// Invokes a `wasi:http/incoming-handler` component for one request: fresh host, fresh instance.
import { WasmletError } from '../../util/errors.ts';
import { QueueSource } from '../../host/wasi/p2/io.ts';
import { isExitSignal } from '../../host/wasi/p2/exit-signal.ts';
import type { BodyPipe, OutgoingResponseResult } from '../../host/wasi/p2/http.ts';
import { createComponentHost, type ComponentHostOptions } from './component-host.ts';
import { createComponentInstance, findExport } from './instantiate.ts';
import type { ReadyInstance } from './prewarmed-instances.ts';
import type { PreparedComponent } from './transpile.ts';

/**
 * The request-body queue a trigger feeds (push chunks, then `end()` or `fail(message)`); a
 * subclass can override `read` to watch what the guest consumes (flow control).
 */
export { QueueSource as RequestBodyQueue };

/**
 * True when `err`, as the guest's `handle` settled, is `wasi:cli/exit` with `ok` (code 0): a normal
 * end, not a failure.
 */
export function isNormalExit(err: unknown): boolean {
  return isExitSignal(err) && err.code === 0;
}

/** `handle` returned before setting a response (a marker, not an Error: see handleHttpRequestOn). */
const RETURNED_WITHOUT_RESPONSE = Symbol('returned without a response');
/** `handle` trapped before setting a response; `cause` is the trap. */
class TrappedBeforeResponse {
  readonly cause: unknown;
  constructor(cause: unknown) { this.cause = cause; }
}

/** An HTTP request as the trigger hands it over. */
export interface HttpRequestInput {
  method: string;
  /** Path and query, e.g. `/a?b=1`. */
  pathWithQuery: string;
  /** Default `'http'`. */
  scheme?: 'http' | 'https';
  /** Host[:port] of the request. Default `'localhost'`. */
  authority?: string;
  headers?: readonly (readonly [string, string])[];
  /**
   * Body bytes or chunks (e.g. a Node `IncomingMessage`), or a `QueueSource` the caller feeds
   * itself (a subclass can watch what the guest reads, for flow control). Default: empty.
   */
  body?: Uint8Array | AsyncIterable<Uint8Array> | QueueSource;
}

/** The guest's response: the body streams while the guest is still writing it. */
export interface HttpResponseOutput extends OutgoingResponseResult {
  /** Settles when the guest's `handle` returns (rejects on a trap after the response was set). */
  done: Promise<void>;
}

/**
 * Calls the guest's `handle(request, response-outparam)` and resolves once the guest has set the
 * response (headers/status known; body still streaming).
 * @throws WasmletError `WASMLET_ERR_COMPONENT_NOT_HTTP` (blame `guest`) if the component has no
 *   `wasi:http/incoming-handler@0.2.x` export; `WASMLET_ERR_HTTP_NO_RESPONSE` (blame `guest`) if
 *   `handle` returns or traps without setting a response; `WASMLET_ERR_HTTP_GUEST_ERROR` if the guest
 *   sets an `error-code`.
 */
export async function handleHttpRequest(prepared: PreparedComponent, request: HttpRequestInput, options: ComponentHostOptions = {}): Promise<HttpResponseOutput> {
  const host = createComponentHost(options);
  return handleHttpRequestOn({ host, instance: await createComponentInstance(prepared, host.imports) }, request);
}

/**
 * {@link handleHttpRequest} on a never-used instance the caller supplies (e.g. from
 * `PrewarmedInstances.take()`). The instance serves this one request and is retired when `handle`
 * settles; never pass the same instance twice. Same errors as {@link handleHttpRequest}.
 */
export async function handleHttpRequestOn(ready: ReadyInstance, request: HttpRequestInput): Promise<HttpResponseOutput> {
  const { host, instance } = ready;
  const handle = findExport(instance.exports, 'wasi:http/incoming-handler')?.handle as ((req: object, out: object) => Promise<void>) | undefined;
  if (typeof handle !== 'function') {
    instance.retire();
    throw new WasmletError('WASMLET_ERR_COMPONENT_NOT_HTTP',
      'the component does not export wasi:http/incoming-handler@0.2.x; `serve` needs an http component',
      { blame: 'guest' });
  }
  const input = request.body;
  const body = input instanceof QueueSource ? input : new QueueSource();
  if (input instanceof QueueSource) { /* fed by the caller */ } else if (input === undefined) body.end();
  else if (input instanceof Uint8Array) { body.push(input); body.end(); }
  else {
    void (async () => {
      try {
        for await (const chunk of input) body.push(chunk);
        body.end();
      } catch (err) {
        body.fail(String(err));
      }
    })();
  }
  const incoming = host.http.createIncomingRequest({
    method: request.method,
    pathWithQuery: request.pathWithQuery,
    scheme: request.scheme ?? 'http',
    authority: request.authority ?? 'localhost',
    headers: request.headers ?? [],
    body,
  });
  const { outparam, response } = host.http.createResponseOutparam();
  const done = handle(incoming, outparam);
  // One request per instance: once `handle` settles the instance never runs again, and the host
  // files it left open are closed.
  const retire = () => { instance.retire(); host.close(); };
  done.then(retire, retire);
  // `handle` settles after the response is set on every request, so its outcome is a cheap marker;
  // the Error (a stack trace: ~0.5 ms) is built only when the response really never came.
  const noResponse = done.then(() => { throw RETURNED_WITHOUT_RESPONSE; }, (cause: unknown) => { throw new TrappedBeforeResponse(cause); });
  let res: OutgoingResponseResult;
  try {
    res = await Promise.race([response, noResponse]);
  } catch (err) {
    if (err === RETURNED_WITHOUT_RESPONSE) {
      throw new WasmletError('WASMLET_ERR_HTTP_NO_RESPONSE', 'the guest returned from handle without setting a response', { blame: 'guest' });
    }
    if (err instanceof TrappedBeforeResponse) {
      const cause = err.cause;
      throw new WasmletError('WASMLET_ERR_HTTP_NO_RESPONSE', `the guest trapped before setting a response: ${(cause as Error)?.message ?? cause}`, { cause, blame: 'guest' });
    }
    throw new WasmletError('WASMLET_ERR_HTTP_GUEST_ERROR', `the guest answered with error-code ${JSON.stringify(err)}`, { blame: 'guest' });
  }
  noResponse.catch(() => {});
  // `handle` returning (or `exit(ok)`) ends the guest for good: a body it never finished never
  // ends by itself, so fail it now rather than leave the client waiting until the deadline. (A
  // trap fails the response through `done` itself.)
  const pipe = res.body as BodyPipe;
  const unfinished = (how: string) => {
    if (pipe.ended === false) {
      pipe.abort(new WasmletError('WASMLET_ERR_HTTP_NO_RESPONSE',
        `the guest ${how} without finishing the response body (outgoing-body.finish)`, { blame: 'guest' }));
    }
  };
  done.then(() => unfinished('returned from handle'), (err: unknown) => { if (isNormalExit(err)) unfinished('exited (exit(ok))'); });
  return { ...res, done: done.then(() => undefined) };
}
