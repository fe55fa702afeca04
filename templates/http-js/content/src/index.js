// {{project-name}}: a wasi:http/incoming-handler in JavaScript. Each request gets a fresh
// instance; the response is "Hello from {{project-name}}!" and the request's method and path.
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';

const enc = new TextEncoder();

export const incomingHandler = {
  handle(request, responseOut) {
    const method = request.method().tag === 'other' ? request.method().val : request.method().tag.toUpperCase();
    const headers = new Fields();
    headers.append('content-type', enc.encode('text/plain; charset=utf-8'));
    const response = new OutgoingResponse(headers);
    response.setStatusCode(200);
    const body = response.body();
    ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
    const out = body.write();
    out.blockingWriteAndFlush(enc.encode(`Hello from {{project-name}}! ${method} ${request.pathWithQuery() ?? '/'}\n`));
    out[Symbol.dispose]?.();
    OutgoingBody.finish(body, undefined);
  },
};
