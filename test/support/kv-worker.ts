// A worker thread for the key-value case suite's concurrency cases: opens its OWN backend from the
// spec it is given (as each `wasmlet serve` worker does), runs its share of increments or
// compare-and-swap loops, and posts what it saw. workerData: { spec, label, key, op, n, barrier }:
// `barrier` (an Int32Array on a SharedArrayBuffer: [arrived, parties]) makes every thread start its
// loop at the same moment, so the operations really overlap (threads boot ~100 ms apart).
import { parentPort, workerData } from 'node:worker_threads';
import { openKeyValueBackend, type KeyValueBackendSpec } from '../../src/host/kv/index.ts';

const { spec, label, key, op, n, barrier } = workerData as { spec: KeyValueBackendSpec; label: string; key: string; op: 'increment' | 'cas'; n: number; barrier: Int32Array };
const backend = openKeyValueBackend(spec);
try {
  const store = await backend.open(label);
  await store.exists(key); // connected before the barrier
  Atomics.add(barrier, 0, 1);
  Atomics.notify(barrier, 0);
  for (let seen = Atomics.load(barrier, 0); seen < barrier[1]!; seen = Atomics.load(barrier, 0)) Atomics.wait(barrier, 0, seen, 100);
  if (op === 'increment') {
    const results = await Promise.all(Array.from({ length: n }, () => store.increment(key, 1n)));
    parentPort!.postMessage({ results });
  } else {
    // n successful read-modify-write rounds of a decimal counter, retrying on cas-failed.
    let failures = 0;
    for (let done = 0; done < n;) {
      const current = await store.get(key);
      const next = new TextEncoder().encode(String(Number(new TextDecoder().decode(current ?? new Uint8Array())) + 1));
      if (await store.compareAndSwap(key, current, next)) done++;
      else failures++;
    }
    parentPort!.postMessage({ failures });
  }
} finally {
  await backend.close();
}
