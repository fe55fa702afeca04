import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCredentials, storeCredentials } from './credentials.ts';

test('stored credentials win over docker\'s config.json, which is read as docker writes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlet-creds-'));
  try {
    const env = { XDG_CONFIG_HOME: join(dir, 'cfg'), DOCKER_CONFIG: join(dir, 'docker') };
    mkdirSync(env.DOCKER_CONFIG);
    writeFileSync(join(env.DOCKER_CONFIG, 'config.json'), JSON.stringify({ auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw:with:colons').toString('base64') },
      'reg.example:5000': { auth: Buffer.from('bob:docker').toString('base64') },
    } }));
    assert.deepEqual(await findCredentials('registry-1.docker.io', env), { username: 'hub', password: 'pw:with:colons' });
    assert.deepEqual(await findCredentials('reg.example:5000', env), { username: 'bob', password: 'docker' });
    assert.equal(await findCredentials('other.example', env), undefined);
    const path = await storeCredentials('reg.example:5000', { username: 'alice', password: 'pw' }, env);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await findCredentials('reg.example:5000', env), { username: 'alice', password: 'pw' });
    assert.match(readFileSync(path, 'utf8'), /"auths"/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
