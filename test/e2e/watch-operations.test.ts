// `wasmlet watch` takes serve's operator flags: `--admin-listen` (metrics and the dashboard's
// data follow the reloaded app: a route added by a manifest edit appears, a kept route keeps its
// count) and `--log-dir` (announced, and the guest's stderr lands in its file). The app is a copy
// of examples/hello, then a WAGI route to test/fixtures/serve/slow.c (one stderr line per request)
// added by an edit; run with --skip-build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCliServer, until } from '../support/cli.ts';
import { buildC, repoRoot } from '../support/fixtures.ts';

interface Status { app: { name: string }; routes: { route: string; total: number }[] }

test('watch --admin-listen --log-dir: metrics and dashboard follow the reloaded app, guest stderr goes to the log dir', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'wasmlet-watch-ops-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  copyFileSync(join(repoRoot, 'examples/hello/hello.wasm'), join(root, 'hello.wasm'));
  copyFileSync(buildC('test/fixtures/serve/slow.c'), join(root, 'noisy.wasm'));
  const manifest = (routes: string) => `spin_manifest_version = 2
[application]
name = "watched-ops"
${routes}
[component.hello]
source = "hello.wasm"
[component.noisy]
source = "noisy.wasm"
`;
  const helloRoute = '[[trigger.http]]\nroute = "/hello"\ncomponent = "hello"\nexecutor = { type = "wagi" }\n';
  const noisyRoute = '[[trigger.http]]\nroute = "/noisy"\ncomponent = "noisy"\nexecutor = { type = "wagi" }\n';
  writeFileSync(join(root, 'spin.toml'), manifest(helloRoute));
  const logDir = join(root, 'logs');
  const child = await startCliServer(['watch', root, '--skip-build', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
    '--log-dir', logDir, '--debounce', '50', '--workers', '1']);
  t.after(async () => { child.proc.kill('SIGINT'); await child.exit; });
  await until(() => /admin listening on http/.test(child.stdout()), 'the admin listener');
  const admin = /admin listening on (http:\/\/[^\s]+)/.exec(child.stdout())![1]!;
  assert.match(child.stdout(), new RegExp(`logging component output to ${logDir}`));
  const status = async () => await (await fetch(`${admin}/api/status`)).json() as Status;

  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${child.url}/hello`)).status, 200);
  let now = await status();
  assert.equal(now.app.name, 'watched-ops');
  assert.deepEqual(now.routes.map((r) => [r.route, r.total]), [['/hello', 3]]);

  writeFileSync(join(root, 'spin.toml'), manifest(helloRoute + noisyRoute));
  await until(() => / reloaded app=watched-ops/.test(child.stdout()), 'the reload');
  // The new route is listed before any request reaches it; the kept one has its count.
  now = await status();
  assert.deepEqual(now.routes.map((r) => [r.route, r.total]), [['/hello', 3], ['/noisy', 0]]);
  const noisy = await fetch(`${child.url}/noisy?1`);
  assert.equal(await noisy.text(), 'slept 1 ms\n');
  now = await status();
  assert.deepEqual(now.routes.map((r) => [r.route, r.total]), [['/hello', 3], ['/noisy', 1]]);
  const metrics = await (await fetch(`${admin}/metrics`)).text();
  assert.match(metrics, /wasmlet_http_requests_total\{route="\/noisy",component="noisy",status="200"\} 1/);

  const stderrFile = join(logDir, 'noisy_stderr.txt');
  await until(() => existsSync(stderrFile) && readFileSync(stderrFile, 'utf8') === 'slow guest: waiting 1 ms\n', 'the guest stderr file');
});
