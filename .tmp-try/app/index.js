// A WASI 0.2 HTTP handler in JavaScript, built into a component with componentize-js
// (examples/build.sh). It exports wasi:http/incoming-handler: GET answers a greeting, any other
// method echoes the request body back as it streams in.
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const enc = new TextEncoder();

function isClosed(e) {
  return (e && (e.payload ?? e)).tag === 'closed';
}

export const incomingHandler = {
  handle(request, responseOut) {
    const method = request.method().tag === 'other' ? request.method().val : request.method().tag.toUpperCase();
    const headers = new Fields();
    headers.append('content-type', enc.encode(method === 'GET' ? 'text/plain; charset=utf-8' : 'application/octet-stream'));
    const response = new OutgoingResponse(headers);
    const body = response.body();
    ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
    const out = body.write();
    if (method === 'GET') {
      out.blockingWriteAndFlush(enc.encode(`Hello from a WASI 0.2 component! ${method} ${request.pathWithQuery() ?? '/'}\n`));
    } else {
      const input = request.consume().stream();
      for (;;) {
        let chunk;
        try { chunk = input.blockingRead(65536n); } catch (e) { if (isClosed(e)) break; throw e; }
        for (let off = 0; off < chunk.length; off += 4096) out.blockingWriteAndFlush(chunk.subarray(off, off + 4096));
      }
    }
    out[Symbol.dispose]?.();
    OutgoingBody.finish(body, undefined);
  },
};
