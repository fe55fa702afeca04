// A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8), started on a free
// loopback port with its own config and storage in a temp dir (scripts/install-deps.sh installs
// it; its packaged service is not used). Optional htpasswd auth (bcrypt entry from `htpasswd -B`,
// apache2-utils).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`, the registry part of a reference. */
  host: string;
  /** The storage root (`docker/registry/v2/blobs/sha256/<ab>/<hex>/data` holds each blob). */
  storage: string;
  /** Stops the registry and removes its files. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The path of a blob in a registry's storage (distribution's filesystem driver layout). */
export function storedBlobPath(registry: TestRegistry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(registry.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

/**
 * Starts `/usr/bin/docker-registry serve CONFIG` and waits until `GET /v2/` answers.
 * @param auth when given, the registry requires HTTP Basic auth with this user (htpasswd).
 */
export async function startRegistry(auth?: { username: string; password: string }): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-registry-'));
  const storage = join(dir, 'storage');
  const port = await freePort();
  let authYaml = '';
  if (auth) {
    const entry = execFileSync('htpasswd', ['-nbB', auth.username, auth.password], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'htpasswd'), `${entry}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: wasmlet-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
  secret: wasmlet-test-secret
${authYaml}`);
  const proc = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let alive = true;
  void exited.then(() => { alive = false; });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (!alive) throw new Error(`docker-registry exited before serving: ${stderr}`);
    try {
      const res = await fetch(`http://${host}/v2/`);
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) break;
    } catch { /* not listening yet */ }
    if (i > 200) { proc.kill(); throw new Error(`docker-registry did not answer on ${host} within 10 s: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host, storage,
    async stop() {
      if (alive) { proc.kill('SIGTERM'); await exited; }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
