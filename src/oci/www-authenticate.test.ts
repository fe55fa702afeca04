import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenge } from './www-authenticate.ts';

test('parses bearer challenges with quoted, comma-bearing values', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"'), {
    scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:a/b:pull,push' },
  });
  assert.deepEqual(parseChallenge('Basic realm="x \\"y\\""'), { scheme: 'basic', params: { realm: 'x "y"' } });
  assert.deepEqual(parseChallenge('Bearer realm=plain, service=s'), { scheme: 'bearer', params: { realm: 'plain', service: 's' } });
  assert.equal(parseChallenge(null), undefined);
  assert.equal(parseChallenge(''), undefined);
});
