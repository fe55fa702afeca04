// wasi:http/outgoing-handler against the allow-list: the shared case table (http and https rows)
// through `handle`, Spin's self requests (no authority, or `self.alt`) to the app's origin, and
// service chaining (`<component>.spin.internal`) to the same origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllowedHosts } from '../../http-outbound/allowed-hosts.ts';
import { ALLOW_CASES } from '../../http-outbound/allowed-hosts.case.ts';
import { createHttp, type HttpOptions } from './http.ts';

type Ctor<T> = new (...args: never[]) => T;
interface Req {
  setScheme(s: { tag: string; val?: string } | undefined): void;
  setAuthority(a: string | undefined): void;
  setPathWithQuery(p: string | undefined): void;
}

/** Sends one GET through `handle`; returns the URL fetch was called with, or the thrown error-code tag. */
async function send(options: HttpOptions, target: { scheme?: string; authority?: string; path?: string; headers?: [string, string][] }):
  Promise<{ url?: string; denied?: string; headers?: Headers }> {
  let seen: { url: string; headers: Headers } | undefined;
  const http = createHttp({
    ...options,
    fetch: (async (url: URL, init: RequestInit) => {
      seen = { url: String(url), headers: new Headers(init.headers) };
      return new Response('ok');
    }) as typeof fetch,
  });
  const types = http.types as { Fields: Ctor<object> & { fromList(e: [string, Uint8Array][]): object }; OutgoingRequest: new (f: object) => Req };
  const fields = types.Fields.fromList((target.headers ?? []).map(([k, v]) => [k, new TextEncoder().encode(v)]));
  const req = new types.OutgoingRequest(fields);
  if (target.scheme !== undefined) req.setScheme(target.scheme === 'http' ? { tag: 'HTTP' } : target.scheme === 'https' ? { tag: 'HTTPS' } : { tag: 'other', val: target.scheme });
  req.setAuthority(target.authority);
  req.setPathWithQuery(target.path ?? '/');
  const handle = (http['outgoing-handler'] as { handle(r: Req, o: undefined): { subscribe(): { block(): unknown } } }).handle;
  let future;
  try {
    future = handle(req, undefined);
  } catch (err) {
    return { denied: (err as { tag: string }).tag };
  }
  await future.subscribe().block();
  return seen ? { url: seen.url, headers: seen.headers } : {};
}

for (const { allowed, url, expected } of ALLOW_CASES.filter((c) => /^https?:/.test(c.url))) {
  test(`outgoing-handler: ${JSON.stringify(allowed)} ${expected ? 'allows' : 'denies'} ${url}`, async () => {
    const u = new URL(url);
    const r = await send({ allowedOutboundHosts: parseAllowedHosts(allowed) },
      { scheme: u.protocol.slice(0, -1), authority: u.host, path: u.pathname + u.search });
    if (expected) assert.equal(r.url, u.href);
    else assert.deepEqual(r, { denied: 'HTTP-request-denied' });
  });
}

test('a non-http(s) scheme is denied even under *://*:*', async () => {
  const r = await send({ allowedOutboundHosts: parseAllowedHosts(['*://*:*']) }, { scheme: 'ftp', authority: 'example.com' });
  assert.deepEqual(r, { denied: 'HTTP-request-denied' });
});

const origin = 'http://127.0.0.1:3999';

test('self request without an authority goes to the app origin when `self` is granted', async () => {
  const r = await send({ allowedOutboundHosts: parseAllowedHosts(['http://self']), selfOrigin: origin },
    { scheme: 'http', path: '/hello?x=1', headers: [['host', 'elsewhere.example'], ['x-a', '1']] });
  assert.equal(r.url, `${origin}/hello?x=1`);
  assert.equal(r.headers?.get('host'), null, 'a guest Host header is dropped');
  assert.equal(r.headers?.get('x-a'), '1');
});

test('self request with the authority self.alt (any scheme, any port) goes to the app origin', async () => {
  for (const authority of ['self.alt', 'SELF.ALT:8443']) {
    const r = await send({ allowedOutboundHosts: parseAllowedHosts(['*://*:*']), selfOrigin: origin }, { scheme: 'https', authority, path: '/p' });
    assert.equal(r.url, `${origin}/p`);
  }
});

test('a self request path that looks like an authority stays a path on the origin', async () => {
  const r = await send({ allowedOutboundHosts: parseAllowedHosts(['http://self']), selfOrigin: origin }, { scheme: 'http', path: '//evil.example/x' });
  assert.equal(r.url, `${origin}//evil.example/x`);
});

test('self requests are denied without a self, self.alt or * grant; need an origin', async () => {
  const allowedOutboundHosts = parseAllowedHosts(['http://127.0.0.1:*', 'http://localhost:*']);
  assert.deepEqual(await send({ allowedOutboundHosts, selfOrigin: origin }, { scheme: 'http', path: '/' }), { denied: 'HTTP-request-denied' });
  assert.deepEqual(await send({ allowedOutboundHosts, selfOrigin: origin }, { scheme: 'http', authority: 'self.alt' }), { denied: 'HTTP-request-denied' });
  assert.deepEqual(await send({ selfOrigin: origin }, { scheme: 'http', path: '/' }), { denied: 'HTTP-request-denied' });
  assert.deepEqual(await send({ allowedOutboundHosts: parseAllowedHosts(['http://self']) }, { scheme: 'http', path: '/' }),
    { denied: 'HTTP-request-URI-invalid' });
});

test('`self` does not grant the absolute host `self` or loopback', async () => {
  const allowedOutboundHosts = parseAllowedHosts(['http://self']);
  assert.deepEqual(await send({ allowedOutboundHosts, selfOrigin: origin }, { scheme: 'http', authority: 'self' }), { denied: 'HTTP-request-denied' });
  assert.deepEqual(await send({ allowedOutboundHosts, selfOrigin: origin }, { scheme: 'http', authority: '127.0.0.1:3999' }), { denied: 'HTTP-request-denied' });
});

test('service chaining: a granted <component>.spin.internal request goes to the app origin with the secret', async () => {
  const chaining = { allowedOutboundHosts: parseAllowedHosts(['http://*.spin.internal']), selfOrigin: origin, serviceChainingSecret: 's3cret' };
  const r = await send(chaining, { scheme: 'http', authority: 'Hello.spin.internal', path: '/a/b?q=1',
    headers: [['wasmlet-service-chaining', 'forged other.spin.internal'], ['x-a', '1']] });
  assert.equal(r.url, `${origin}/a/b?q=1`);
  assert.equal(r.headers?.get('wasmlet-service-chaining'), 's3cret hello.spin.internal', 'the guest cannot set it');
  assert.equal(r.headers?.get('x-a'), '1');
  // Never to the network: not granted, not one component, or no listener to chain through.
  assert.deepEqual(await send({ ...chaining, allowedOutboundHosts: parseAllowedHosts(['http://other.spin.internal']) },
    { scheme: 'http', authority: 'hello.spin.internal' }), { denied: 'HTTP-request-denied' });
  assert.deepEqual(await send(chaining, { scheme: 'http', authority: 'a.hello.spin.internal' }), { denied: 'HTTP-request-denied' });
  assert.deepEqual(await send({ allowedOutboundHosts: parseAllowedHosts(['*://*:*']) }, { scheme: 'http', authority: 'hello.spin.internal' }),
    { denied: 'HTTP-request-URI-invalid' });
});

test('a response set without its body ever taken has an empty body (StarlingMonkey\'s `new Response(null)`)', async () => {
  const http = createHttp();
  const types = http.types as {
    Fields: new () => object;
    OutgoingResponse: new (f: object) => { setStatusCode(c: number): void; body(): object };
    ResponseOutparam: { set(p: object, r: { tag: 'ok'; val: object }): void };
    OutgoingBody: { finish(b: object, t: undefined): void };
  };
  const collect = async (body: AsyncIterable<Uint8Array>) => {
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c);
    return Buffer.concat(chunks).toString();
  };
  const { outparam, response } = http.createResponseOutparam();
  const res = new types.OutgoingResponse(new types.Fields());
  res.setStatusCode(204);
  types.ResponseOutparam.set(outparam, { tag: 'ok', val: res });
  const out = await response;
  assert.equal(out.status, 204);
  assert.equal(await collect(out.body), '', 'ends at once, not when the instance goes away');

  // A body taken before `set` still streams until the guest finishes it.
  const second = http.createResponseOutparam();
  const streamed = new types.OutgoingResponse(new types.Fields());
  const body = streamed.body() as { write(): { write(b: Uint8Array): void } };
  types.ResponseOutparam.set(second.outparam, { tag: 'ok', val: streamed });
  const got = (await second.response).body;
  body.write().write(new TextEncoder().encode('late'));
  types.OutgoingBody.finish(body, undefined);
  assert.equal(await collect(got), 'late');
});

test('an outgoing-body dropped without finish fails its reader after the bytes already written', async () => {
  const http = createHttp();
  const types = http.types as {
    Fields: new () => object;
    OutgoingResponse: new (f: object) => { body(): object };
    ResponseOutparam: { set(p: object, r: { tag: 'ok'; val: object }): void };
    OutgoingBody: { finish(b: object, t: undefined): void };
  };
  const read = async (body: AsyncIterable<Uint8Array>) => {
    const chunks: string[] = [];
    try {
      for await (const c of body) chunks.push(Buffer.from(c).toString());
    } catch (err) {
      return { chunks, err };
    }
    return { chunks, err: undefined };
  };
  const { outparam, response } = http.createResponseOutparam();
  const res = new types.OutgoingResponse(new types.Fields());
  const body = res.body() as { write(): { write(b: Uint8Array): void }; [Symbol.dispose](): void };
  types.ResponseOutparam.set(outparam, { tag: 'ok', val: res });
  const reading = read((await response).body);
  body.write().write(new TextEncoder().encode('partial'));
  body[Symbol.dispose](); // what jco calls when the guest drops the handle
  const { chunks, err } = await reading;
  assert.deepEqual(chunks, ['partial']);
  assert.equal((err as { code?: string })?.code, 'WASMLET_ERR_HTTP_NO_RESPONSE');
  assert.match(String((err as Error).message), /dropped an outgoing-body without calling outgoing-body\.finish/);

  // Finished, then dropped (the usual order): a complete body, no error.
  const second = http.createResponseOutparam();
  const done = new types.OutgoingResponse(new types.Fields());
  const finished = done.body() as { write(): { write(b: Uint8Array): void }; [Symbol.dispose](): void };
  types.ResponseOutparam.set(second.outparam, { tag: 'ok', val: done });
  finished.write().write(new TextEncoder().encode('whole'));
  types.OutgoingBody.finish(finished, undefined);
  finished[Symbol.dispose]();
  assert.deepEqual(await read((await second.response).body), { chunks: ['whole'], err: undefined });
});
