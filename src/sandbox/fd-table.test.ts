import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutputStreamDescriptor } from './descriptor.ts';
import { DEFAULT_MAX_OPEN_FDS, FdTable } from './fd-table.ts';
import { nullOutput } from './stdio.ts';

const desc = () => new OutputStreamDescriptor(nullOutput());

test('push past maxOpen throws EMFILE; remove and renumber free a slot', () => {
  const t = new FdTable(3);
  assert.deepEqual([t.push(desc()), t.push(desc()), t.push(desc())], [0, 1, 2]);
  assert.equal(t.full, true);
  assert.throws(() => t.push(desc()), { name: 'FsError', code: 'EMFILE' });
  t.remove(1);
  assert.equal(t.size, 2);
  assert.equal(t.full, false);
  assert.equal(t.push(desc()), 1);
  assert.ok(t.renumber(2, 0)); // replaces fd 0: one fewer open
  assert.equal(t.size, 2);
  assert.equal(t.push(desc()), 2);
  assert.throws(() => t.push(desc()), { code: 'EMFILE' });
  t.closeAll();
  assert.equal(t.size, 0);
  assert.equal(t.push(desc()), 0);
});

test('the default cap is DEFAULT_MAX_OPEN_FDS', () => {
  const t = new FdTable();
  for (let i = 0; i < DEFAULT_MAX_OPEN_FDS; i++) t.push(desc());
  assert.equal(DEFAULT_MAX_OPEN_FDS, 1024);
  assert.throws(() => t.push(desc()), { code: 'EMFILE' });
});
