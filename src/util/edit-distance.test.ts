import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestMatch, editDistance } from './edit-distance.ts';

test('editDistance counts insertions, deletions, substitutions and adjacent transpositions', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('name', 'name'), 0);
  assert.equal(editDistance('nmae', 'name'), 1);
  assert.equal(editDistance('sorce', 'source'), 1);
  assert.equal(editDistance('sources', 'source'), 1);
  assert.equal(editDistance('limts', 'limits'), 1);
  assert.equal(editDistance('memroy', 'memory'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('ca', 'abc'), 3, 'optimal string alignment: no substring edited twice');
});

test('closestMatch suggests only near candidates, case-insensitively', () => {
  const keys = ['source', 'files', 'limits', 'build', 'id'];
  assert.equal(closestMatch('sorce', keys), 'source');
  assert.equal(closestMatch('Source', keys), 'source');
  assert.equal(closestMatch('buidl', keys), 'build');
  assert.equal(closestMatch('colour', keys), undefined);
  assert.equal(closestMatch('x', keys), undefined, 'a one-letter key is not a typo of `id`');
  assert.equal(closestMatch('limitz', keys, 0), undefined);
});
