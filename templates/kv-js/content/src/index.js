// {{project-name}}: a wasi:http handler with a key-value store. GET /KEY answers the value
// stored under KEY (404 when there is none), PUT or POST /KEY stores the request body under KEY,
// DELETE /KEY removes it. The store is the one labelled "default" (a SQLite file under .wasmlet/
// unless the runtime config puts it elsewhere, e.g. on Redis).
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.12';
import { Store } from 'fermyon:spin/key-value@2.0.0';

const enc = new TextEncoder();

function respond(responseOut, status, bytes) {
  const headers = new Fields();
  headers.append('content-type', enc.encode('text/plain; charset=utf-8'));
  const response = new OutgoingResponse(headers);
  response.setStatusCode(status);
  const body = response.body();
  ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
  const out = body.write();
  out.blockingWriteAndFlush(bytes);
  out[Symbol.dispose]?.();
  OutgoingBody.finish(body, undefined);
}

/** The whole request body (wasi:io streams end with a `closed` error). */
function readBody(request) {
  const input = request.consume().stream();
  const chunks = [];
  for (;;) {
    try { chunks.push(input.blockingRead(65536n)); } catch (e) { if ((e?.payload ?? e)?.tag === 'closed') break; throw e; }
  }
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) { all.set(c, off); off += c.length; }
  return all;
}

export const incomingHandler = {
  handle(request, responseOut) {
    const method = request.method().tag;
    const key = decodeURIComponent((request.pathWithQuery() ?? '/').split('?')[0].slice(1)) || 'index';
    const store = Store.open('default');
    if (method === 'get') {
      const value = store.get(key);
      if (value === undefined) respond(responseOut, 404, enc.encode(`no value for '${key}'\n`));
      else respond(responseOut, 200, value);
    } else if (method === 'put' || method === 'post') {
      store.set(key, readBody(request));
      respond(responseOut, 201, enc.encode(`stored '${key}'\n`));
    } else if (method === 'delete') {
      store.delete(key);
      respond(responseOut, 200, enc.encode(`deleted '${key}'\n`));
    } else {
      respond(responseOut, 405, enc.encode('use GET, PUT, POST or DELETE\n'));
    }
  },
};
