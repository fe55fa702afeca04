import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StringList } from './string-list.ts';

/** Reads back what writeTo put in memory: the strings the pointers point at, as a guest would. */
function readBack(u8: Uint8Array, dv: DataView, ptrs: number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = dv.getUint32(ptrs + i * 4, true);
    out.push(new TextDecoder().decode(u8.subarray(at, u8.indexOf(0, at))));
  }
  return out;
}

test('StringList lays out argv and environ as NUL-terminated UTF-8 with a pointer each', () => {
  const u8 = new Uint8Array(256).fill(0xee);
  const dv = new DataView(u8.buffer);
  const args = StringList.ofArgs(['prog', '', 'héllo ✓', '🙂']);
  assert.equal(args.count, 4);
  assert.equal(args.bytes, 5 + 1 + 11 + 5); // UTF-8 sizes plus a NUL each
  assert.equal(args.writeTo(u8, dv, 0, 64), true);
  assert.deepEqual(readBack(u8, dv, 0, 4), ['prog', '', 'héllo ✓', '🙂']);
  assert.equal(u8[64 + args.bytes], 0xee); // nothing written past the reported size

  const env = StringList.ofEnv({ A: '1', PATH_INFO: '/x=y', EMPTY: '' });
  assert.equal(env.count, 3);
  assert.equal(env.bytes, 'A=1\0PATH_INFO=/x=y\0EMPTY=\0'.length);
  assert.equal(env.writeTo(u8, dv, 128, 160), true);
  assert.deepEqual(readBack(u8, dv, 128, 3), ['A=1', 'PATH_INFO=/x=y', 'EMPTY=']);
});

test('StringList cuts an entry at an embedded NUL, as the guest would read it', () => {
  const u8 = new Uint8Array(64);
  const dv = new DataView(u8.buffer);
  const env = StringList.ofEnv({ K: 'a\0b', L: 'c' });
  assert.equal(env.bytes, 'K=a\0L=c\0'.length);
  assert.equal(env.writeTo(u8, dv, 0, 16), true);
  assert.deepEqual(readBack(u8, dv, 0, 2), ['K=a', 'L=c']);
});

test('StringList refuses ranges outside memory and writes nothing', () => {
  const u8 = new Uint8Array(32);
  const dv = new DataView(u8.buffer);
  const args = StringList.ofArgs(['abcdef', 'gh']);
  assert.equal(args.writeTo(u8, dv, 0, 30), false); // strings would end past 32
  assert.equal(args.writeTo(u8, dv, 28, 0), false); // pointers would end past 32
  assert.deepEqual([...u8], new Array(32).fill(0));
  const none = StringList.ofEnv({});
  assert.equal(none.count, 0);
  assert.equal(none.bytes, 0);
  assert.equal(none.writeTo(u8, dv, 32, 32), true);
});
