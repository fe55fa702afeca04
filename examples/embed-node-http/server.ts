// examples/embed-app served by a plain `node:http` server, next to a route of its own:
//   node_modules/.bin/node examples/embed-node-http/server.ts [APP_DIR]   (PORT, default 3000)
//   curl http://127.0.0.1:3000/hello/x        (WAGI)      curl http://127.0.0.1:3000/health
//   curl -X PUT -d 'milk' http://127.0.0.1:3000/notes/shopping && curl http://127.0.0.1:3000/notes/shopping
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createHandler, loadApp } from 'wasmlet';

const app = await loadApp(process.argv[2] ?? fileURLToPath(new URL('../embed-app', import.meta.url)));
const wasm = createHandler(app);

const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.end('ok\n');
    return;
  }
  wasm(req, res); // no `next`: a path no route matches is answered 404 by wasmlet
});
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});

process.once('SIGTERM', () => {
  server.close();
  void app.close().then(() => process.exit(0)); // in-flight requests finish first
});
