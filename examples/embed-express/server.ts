// examples/embed-app mounted under /wasm in an Express app:
//   node_modules/.bin/node examples/embed-express/server.ts [APP_DIR]   (PORT, default 3000)
//   curl http://127.0.0.1:3000/wasm/hello/x                    (WAGI)
//   curl -X PUT -d 'milk' http://127.0.0.1:3000/wasm/notes/shopping   (wasi:http + key-value)
//   curl http://127.0.0.1:3000/wasm/elsewhere                  (no wasmlet route: Express's 404)
import express from 'express';
import { fileURLToPath } from 'node:url';
import { createHandler, loadApp } from 'wasmlet';

const app = await loadApp(process.argv[2] ?? fileURLToPath(new URL('../embed-app', import.meta.url)));

const server = express();
server.get('/', (_req, res) => { res.send('an Express app with a wasmlet app under /wasm\n'); });
// Before any body parser: wasmlet reads the raw request body itself.
server.use('/wasm', createHandler(app));
server.use((req, res) => { res.status(404).send(`express: nothing at ${req.originalUrl}\n`); });

const listener = server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = listener.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});

process.once('SIGTERM', () => {
  listener.close();
  void app.close().then(() => process.exit(0));
});
