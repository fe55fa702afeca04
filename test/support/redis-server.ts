// A real `redis-server` for tests (installed by scripts/install-deps.sh): a free port on
// 127.0.0.1, no persistence (`--save '' --appendonly no`), its own temp dir. `stop()` kills it and
// `start()` brings it back on the same port, to test a Redis that goes away and returns;
// `pause()`/`resume()` freeze it, to test one that hangs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>/<db>`. */
  url(db?: number): string;
  /** Kills the server (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence) and waits until it accepts connections. */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Unfreezes it (SIGCONT). */
  resume(): void;
  /** Stops it and removes its dir. */
  dispose(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Thrown when another process's server answers on the port (two test files picked the same free port). */
class PortTaken extends Error {}

/** The `process_id` in `INFO server` of whatever answers on 127.0.0.1:port; undefined when nothing does. */
function serverPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let text = '';
    const done = (pid: number | undefined) => { s.destroy(); resolve(pid); };
    s.once('error', () => done(undefined));
    s.setTimeout(2000, () => done(undefined));
    s.on('connect', () => s.write('*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n'));
    s.on('data', (d) => {
      text += d.toString();
      const m = /process_id:(\d+)/.exec(text);
      if (m) done(Number(m[1]));
    });
  });
}

/**
 * Resolves once `child` itself answers on 127.0.0.1:port (polls every 20 ms, up to 10 s).
 * @throws PortTaken when another redis-server answers there (ours then fails to bind and exits).
 */
async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const pid = await serverPid(port);
    if (pid === child.pid) return;
    if (pid !== undefined) throw new PortTaken(`port ${port} is another redis-server's (pid ${pid})`);
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts `redis-server` on a free port. Throws when it cannot be started. */
export async function startRedisServer(): Promise<RedisServer> {
  let port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-redis-'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], { stdio: 'ignore' });
    child = c;
    await new Promise<void>((resolve, reject) => { c.once('spawn', resolve); c.once('error', reject); });
    await waitForPort(port, c);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  // Test files run in parallel: a port found free may be taken by another file's server first.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      await stop();
      if (!(err instanceof PortTaken) || attempt === 5) throw err;
      port = await freePort();
    }
  }
  return {
    get port() { return port; },
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    stop,
    start,
    pause: () => { child?.kill('SIGSTOP'); },
    resume: () => { child?.kill('SIGCONT'); },
    async dispose() { await stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}
