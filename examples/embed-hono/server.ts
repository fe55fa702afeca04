// examples/embed-app mounted under /wasm in a Hono app, through `app.fetch` (Request -> Response):
//   node_modules/.bin/node examples/embed-hono/server.ts [APP_DIR]   (PORT, default 3000)
//   curl http://127.0.0.1:3000/wasm/hello/x                    (WAGI)
//   curl -X PUT -d 'milk' http://127.0.0.1:3000/wasm/notes/shopping   (wasi:http + key-value)
import { serve, type HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { fileURLToPath } from 'node:url';
import { loadApp } from 'wasmlet';

const app = await loadApp(process.argv[2] ?? fileURLToPath(new URL('../embed-app', import.meta.url)));

const hono = new Hono();
hono.get('/', (c) => c.text('a Hono app with a wasmlet app under /wasm\n'));
// `mount` strips the /wasm prefix before calling the fetch handler; @hono/node-server passes the
// Node request as `env.incoming`, whose socket knows the client's address (CGI REMOTE_ADDR).
hono.mount('/wasm', (request, env: HttpBindings) => app.fetch(request, {
  remoteAddress: env.incoming.socket.remoteAddress, remotePort: env.incoming.socket.remotePort,
}));

const server = serve({ fetch: hono.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});

process.once('SIGTERM', () => {
  server.close();
  void app.close().then(() => process.exit(0));
});
