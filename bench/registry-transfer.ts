// `wasmlet registry push/pull` times for the ~13 MB examples/http-component app (componentize-js
// handler.wasm) against Debian's docker-registry on loopback: whole CLI runs (process start
// included), N rounds, each on a fresh repository and an empty cache.
// Run: node_modules/.bin/node bench/registry-transfer.ts [--rounds N]   (after `npm run build`)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildExampleHttpComponent } from '../test/support/components.ts';
import { repoRoot } from '../test/support/fixtures.ts';
import { startRegistry } from '../test/support/registry.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
const work = mkdtempSync(join(tmpdir(), 'wasmlet-bench-registry-'));
const app = join(work, 'app');
cpSync(join(repoRoot, 'examples/http-component'), app, { recursive: true });
cpSync(await buildExampleHttpComponent(), join(app, 'handler.wasm'));
const registry = await startRegistry();
const env = { ...process.env, WASMLET_CACHE_DIR: join(work, 'cache'), XDG_CONFIG_HOME: join(work, 'config'), DOCKER_CONFIG: join(work, 'docker') };
const rows = new Map<string, number[]>();
const time = (label: string, args: string[]) => {
  const t0 = performance.now();
  execFileSync(process.execPath, [join(repoRoot, 'bin/wasmlet.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  rows.set(label, [...rows.get(label) ?? [], performance.now() - t0]);
};
try {
  for (let i = 0; i < rounds; i++) {
    const ref = `${registry.host}/bench/app${i}:v1`;
    rmSync(join(work, 'cache'), { recursive: true, force: true });
    time('push, fresh repository', ['registry', 'push', ref, app]);
    time('re-push, every blob skipped', ['registry', 'push', ref, app]);
    time('pull -o, empty cache', ['registry', 'pull', ref, '-o', join(work, `out${i}`)]);
    time('pull into the cache, blobs cached', ['registry', 'pull', ref]);
    time('pull, app dir cached', ['registry', 'pull', ref]);
    time('wasmlet --version (process start)', ['--version']);
  }
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}

console.log('| step | min ms | median ms | max ms |\n|---|---:|---:|---:|');
for (const [label, ms] of rows) {
  const s = [...ms].sort((a, b) => a - b);
  console.log(`| ${label} | ${s[0]!.toFixed(0)} | ${s[Math.floor(s.length / 2)]!.toFixed(0)} | ${s.at(-1)!.toFixed(0)} |`);
}
