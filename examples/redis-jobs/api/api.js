// POST /jobs publishes the body as a job on the Redis channel `jobs` and answers its id;
// GET /jobs/<id> answers the worker's result from the key-value store (404 until it is there);
// GET /ticks answers how many cron ticks the tick component has counted. Spin JS SDK, spin-http.
import { Kv, Redis, Variables } from '@fermyon/spin-sdk';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function handle(request) {
  const path = new URL(request.url).pathname;
  if (request.method === 'POST' && path === '/jobs') {
    const id = crypto.randomUUID();
    const job = { id, text: await request.text() };
    Redis.open(Variables.get('redis_address')).publish('jobs', enc.encode(JSON.stringify(job)));
    return new Response(JSON.stringify({ id }) + '\n', { status: 202, headers: { 'content-type': 'application/json' } });
  }
  const m = /^\/jobs\/([0-9a-f-]+)$/.exec(path);
  if (request.method === 'GET' && m) {
    const result = Kv.openDefault().get(`job:${m[1]}`);
    if (result === undefined || result === null) return new Response('not done yet\n', { status: 404 });
    return new Response(dec.decode(result) + '\n', { headers: { 'content-type': 'application/json' } });
  }
  if (request.method === 'GET' && path === '/ticks') {
    const ticks = Kv.openDefault().get('ticks');
    return new Response(`${ticks ? dec.decode(ticks) : '0'}\n`);
  }
  return new Response('POST /jobs, GET /jobs/<id>, GET /ticks\n', { status: 404 });
}

addEventListener('fetch', (event) => event.respondWith(handle(event.request)));
