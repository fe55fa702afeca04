// The admin listener of `wasmlet serve --admin-listen ADDR`: Prometheus metrics at `/metrics`, the
// dashboard at `/` (static files shipped in the package, dashboard/, no build step, nothing fetched
// from the network) and its data at `/api/status`. Separate from the app's listener so it can be
// bound to a private address; it serves no guest code.
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { WasmletError } from '../../util/errors.ts';
import type { DashboardStats } from './dashboard-stats.ts';
import type { ServeMetrics } from './metrics.ts';

/** Options of {@link startAdminServer}. */
export interface AdminServerOptions {
  /** Address to bind; default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  metrics: ServeMetrics;
  dashboard: DashboardStats;
}

/** A listening admin server. */
export interface RunningAdminServer {
  /** `http://HOST:PORT` of the bound socket. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes its connections. */
  close(): Promise<void>;
}

/** The dashboard's files, by URL path: read once at start. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};

/**
 * Starts the admin listener.
 * @throws WasmletError `WASMLET_ERR_LISTEN` (blame user) when the address cannot be bound.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<RunningAdminServer> {
  const host = options.host ?? '127.0.0.1';
  // Beside this module in src/, and copied beside it into dist/ by `npm run build`.
  const assets = new Map(Object.entries(ASSETS).map(([path, { file, type }]) =>
    [path, { body: readFileSync(new URL(`./dashboard/${file}`, import.meta.url)), type }]));
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(body);
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET' && req.method !== 'HEAD') { send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n'); return; }
    if (path === '/metrics') {
      options.metrics.render().then((text) => send(res, 200, options.metrics.contentType, text),
        (err: unknown) => send(res, 500, 'text/plain; charset=utf-8', `cannot collect metrics: ${(err as Error).message}\n`));
      return;
    }
    if (path === '/api/status') { send(res, 200, 'application/json', JSON.stringify(options.dashboard.snapshot())); return; }
    const asset = assets.get(path);
    if (asset) { send(res, 200, asset.type, asset.body); return; }
    send(res, 404, 'text/plain; charset=utf-8', 'not found: the admin listener serves /, /metrics and /api/status\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: Error & { code?: string }) => reject(new WasmletError('WASMLET_ERR_LISTEN',
      `cannot listen on ${host}:${options.port} for --admin-listen: ${err.code ?? err.message}; pick another address`,
      { blame: 'user', cause: err })));
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
