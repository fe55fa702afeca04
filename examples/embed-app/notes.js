// A wasi:http handler keeping notes in Spin's key-value store `default`, built into a component
// with componentize-js (examples/build.sh):
//   PUT /notes/NAME (body) -> stores the body under NAME; 201 "saved NAME (N bytes)"
//   GET /notes/NAME        -> 200 the note, or 404 "no note NAME"
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';
import { Store } from 'fermyon:spin/key-value@2.0.0';

const enc = new TextEncoder();

function respond(responseOut, status, body) {
  const headers = new Fields();
  headers.append('content-type', enc.encode('text/plain; charset=utf-8'));
  const response = new OutgoingResponse(headers);
  response.setStatusCode(status);
  const outgoing = response.body();
  ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
  const out = outgoing.write();
  out.blockingWriteAndFlush(typeof body === 'string' ? enc.encode(body) : body);
  out[Symbol.dispose]?.();
  OutgoingBody.finish(outgoing, undefined);
}

function readBody(request) {
  const input = request.consume().stream();
  const chunks = [];
  let length = 0;
  for (;;) {
    let chunk;
    try { chunk = input.blockingRead(65536n); } catch (e) { if ((e?.payload ?? e)?.tag === 'closed') break; throw e; }
    chunks.push(chunk);
    length += chunk.length;
  }
  const body = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) { body.set(c, at); at += c.length; }
  return body;
}

export const incomingHandler = {
  handle(request, responseOut) {
    const path = (request.pathWithQuery() ?? '/').split('?')[0];
    const name = decodeURIComponent(path.split('/').pop());
    const method = request.method().tag;
    const store = Store.open('default');
    if (method === 'put' || method === 'post') {
      const body = readBody(request);
      store.set(name, body);
      respond(responseOut, 201, `saved ${name} (${body.length} bytes)`);
      return;
    }
    const note = store.get(name);
    if (note === undefined) respond(responseOut, 404, `no note ${name}`);
    else respond(responseOut, 200, note);
  },
};
