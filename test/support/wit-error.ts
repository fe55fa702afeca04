// Reads the WIT error value a host import threw, the way jco's glue does (its `getErrorPayload`:
// the thrown object's own `payload`), for unit tests of wasmlet's WIT hosts.
import assert from 'node:assert/strict';

/** A WIT variant value in jco's shape. */
export type WitPayload = { tag: string; val?: unknown };

/** Awaits `call` and returns the `payload` of what it threw; fails when it does not throw one. */
export async function witErrorOf(call: () => unknown): Promise<WitPayload> {
  try {
    await call();
  } catch (err) {
    assert.ok(err !== null && typeof err === 'object' && Object.hasOwn(err, 'payload'), `not a WIT error: ${err}`);
    return (err as { payload: WitPayload }).payload;
  }
  assert.fail('expected an error');
}
