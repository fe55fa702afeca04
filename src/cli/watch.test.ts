import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildPlan } from '../app/build-plan.ts';
import type { LockedApp } from '../app/locked-app.ts';
import { classifyChange, noChanges } from './watch.ts';

test('a change is classified: manifest, build.watch globs (relative to workdir), source bytes, files mounts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-watch-unit-'));
  try {
    const plan: BuildPlan = {
      manifestPath: join(dir, 'wasmlet.toml'), dir, componentIds: ['a', 'b'],
      components: [
        { id: 'a', build: { command: ['make'], workdir: 'a', watch: ['src/**/*.c'] }, workdir: join(dir, 'a') },
        { id: 'b', build: { command: ['make'], watch: ['*.ts'] }, workdir: dir },
      ],
    };
    writeFileSync(join(dir, 'a.wasm'), 'built');
    const app = {
      components: {
        a: { source: join(dir, 'a.wasm'), files: [{ hostPath: join(dir, 'static'), guestPath: '/static' }],
          binary: { kind: 'module', sha256: 'not-the-bytes-on-disk' } },
      },
    } as unknown as LockedApp;
    const classify = (path: string) => { const c = noChanges(); classifyChange(path, plan, app, c); return c; };

    assert.equal(classify(join(dir, 'wasmlet.toml')).manifest, true);
    assert.deepEqual([...classify(join(dir, 'a/src/x/y.c')).build], ['a']);
    assert.deepEqual([...classify(join(dir, 'src/y.c')).build], [], 'a glob is relative to its workdir');
    assert.deepEqual([...classify(join(dir, 'index.ts')).build], ['b']);
    assert.equal(classify(join(dir, 'static/logo.png')).reload, true);
    assert.equal(classify(join(dir, 'a.wasm')).reload, true, 'the source bytes differ from the loaded digest');
    const { createHash } = process.getBuiltinModule('node:crypto');
    app.components.a!.binary!.sha256 = createHash('sha256').update('built').digest('hex');
    assert.equal(classify(join(dir, 'a.wasm')).reload, false, 'a build that wrote the bytes already served');
    const none = classify(join(dir, 'notes.md'));
    assert.equal(none.manifest || none.reload || none.build.size > 0, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
