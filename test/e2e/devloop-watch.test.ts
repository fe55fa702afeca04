// `wasmlet watch` on an app made by `wasmlet new http-c`: every change to main.c rebuilds and
// reloads the app in place while a client sends a request every 10 ms (all must get 200), and a
// broken build or manifest leaves the previous app serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCliServer, until } from '../support/cli.ts';

test('watch: 5 reloads under a request every 10 ms, all 200; broken build and manifest keep the old app', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wasmlet-watch-'));
  const dir = join(root, 'app');
  assert.equal((await runCli(['new', 'http-c', 'watched', '-o', dir])).status, 0);
  const main = join(dir, 'main.c');
  const manifest = join(dir, 'wasmlet.toml');
  const source = readFileSync(main, 'utf8');
  const child = await startCliServer(['watch', dir, '--listen', '127.0.0.1:0', '--debounce', '50', '--workers', '1']);
  const statuses = new Map<number, number>();
  let last = '';
  let sending = true;
  // One request every 10 ms, each on its own (not waiting for the previous answer).
  const inFlight: Promise<void>[] = [];
  const client = (async () => {
    while (sending) {
      inFlight.push(fetch(`${child.url}/v`).then(async (res) => {
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        last = await res.text();
      }, () => { statuses.set(0, (statuses.get(0) ?? 0) + 1); }));
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await until(() => last.startsWith('Hello from watched!'), 'the first answer');
    for (let i = 1; i <= 5; i++) {
      writeFileSync(main, source.replace('Hello from', `Version ${i} of`));
      await until(() => last.startsWith(`Version ${i} of watched!`), `version ${i}`);
    }
    const reloads = (child.stdout().match(/ reloaded app=watched/g) ?? []).length;
    assert.ok(reloads >= 5, `${reloads} reloads logged`);

    // A build that fails: the error is printed, version 5 keeps answering.
    writeFileSync(main, `${source}\nthis is not C;\n`);
    // The error and the "still serving" line are two writes: wait for the second.
    await until(() => /still serving the previous app/.test(child.stderr()), 'the build failure');
    assert.match(child.stderr(), /\[watched\] .*error/);
    assert.match(child.stderr(), /failed with exit status 1\n(.*\n)?wasmlet: still serving the previous app/);
    const answer = await fetch(`${child.url}/v`);
    assert.equal(answer.status, 200);
    assert.match(await answer.text(), /^Version 5 of watched!/);

    // A manifest that does not load: the error names the key, version 5 keeps answering.
    const good = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, good.replace('source = "watched.wasm"', 'source = "watched.wasm"\nsourc = "typo"'));
    writeFileSync(main, source.replace('Hello from', 'Version 6 of'));
    await until(() => /unknown key `sourc`/.test(child.stderr()), 'the manifest error');
    assert.match(last, /^Version 5 of watched!/);
    writeFileSync(manifest, good);
    await until(() => last.startsWith('Version 6 of watched!'), 'version 6 after the manifest is fixed');
  } finally {
    sending = false;
    await client;
    await Promise.all(inFlight);
    child.proc.kill('SIGTERM');
  }
  assert.equal(await child.exit, 0);
  assert.deepEqual([...statuses.keys()], [200], `statuses seen: ${JSON.stringify(Object.fromEntries(statuses))}`);
  assert.ok(statuses.get(200)! > 50, `${statuses.get(200)} requests answered`);
  rmSync(root, { recursive: true, force: true });
});
