// Messages per second through the Redis trigger with a trivial handler (the Spin JS SDK worker's
// `noop`: decode, split, return), against the same handler as a plain Node subscriber in the same
// run (node-redis SUBSCRIBE with the handler in JS: the floor, no Wasm, no worker thread).
// Both read one channel, whose messages the trigger handles one at a time in order (Spin's
// contract); `--channels N` spreads the messages over N channels (the trigger's channels run in
// parallel on the pool). Each message is timed from the first PUBLISH to the last completion.
//   node_modules/.bin/node bench/redis-trigger.ts [--messages 2000] [--channels 1] [--rounds 3] [--workers 2]
import { parseArgs } from 'node:util';
import { createClient } from '@redis/client';
import { loadTestApp } from '../test/support/redis-apps.ts';
import { startRedisServer } from '../test/support/redis-server.ts';
import { buildSpinSdkComponent } from '../test/support/spin-sdk.ts';
import { repoRoot } from '../test/support/fixtures.ts';
import { prepareEventRuntime } from '../src/triggers/event-runtime.ts';
import { subscribeRedis } from '../src/triggers/redis/pubsub-subscriber.ts';

const { values } = parseArgs({ options: { messages: { type: 'string' }, channels: { type: 'string' }, rounds: { type: 'string' }, workers: { type: 'string' } } });
const messages = Number(values.messages ?? 2000);
const channels = Number(values.channels ?? 1);
const rounds = Number(values.rounds ?? 3);
const workers = Number(values.workers ?? 2);

const cleanups: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => { cleanups.push(fn); } };
const source = await buildSpinSdkComponent(`${repoRoot}/test/fixtures/components/redis-sdk-worker/worker.js`, 'spin-redis');
const server = await startRedisServer();
const names = Array.from({ length: channels }, (_, i) => `bench${i}`);
const app = await loadTestApp(t, `spin_manifest_version = 2
[application]
name = "bench"
${names.map((ch) => `[[trigger.redis]]\naddress = "${server.url(0)}"\nchannel = "${ch}"\ncomponent = "worker"\n`).join('')}
[component.worker]
source = "${source}"
`);
const publisher = createClient({ url: server.url(0) });
await publisher.connect();

/** Publishes `messages` noop messages round-robin over `channels`; resolves when all are handled. */
async function measure(to: string[], count: Counter): Promise<number> {
  const done = count.reset();
  const t0 = performance.now();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < messages; i++) sends.push(publisher.publish(to[i % to.length]!, `noop ${i}`));
  await Promise.all(sends);
  await done;
  return messages / ((performance.now() - t0) / 1000);
}

interface Counter { tick(): void; reset(): Promise<void> }
function counter(): Counter {
  let n = 0;
  let resolve: () => void = () => {};
  return {
    tick() { if (++n === messages) resolve(); },
    reset() { n = 0; return new Promise<void>((r) => { resolve = r; }); },
  };
}

// The trigger (pub/sub subscriber + event pool), with a runtime that counts completions.
const runtime = (await prepareEventRuntime(app, { workers, defaultTimeoutMs: 30_000 }))!;
const triggerCount = counter();
const counted = {
  invoke: async (c: string, e: Parameters<typeof runtime.invoke>[1]) => { await runtime.invoke(c, e); triggerCount.tick(); },
  close: () => runtime.close(),
};
const sub = subscribeRedis(server.url(0), app.triggers.redis!, counted, { event: () => {} });
await sub.ready;

// A plain Node subscriber running the same handler logic, on channels of its own.
const plainNames = names.map((n) => `plain-${n}`);
const nodeCount = counter();
const dec = new TextDecoder();
const plain = createClient({ url: server.url(0) });
await plain.connect();
for (const ch of plainNames) {
  await plain.subscribe(ch, (message: Buffer) => {
    const [op] = dec.decode(message).split(' ');
    if (op === 'noop') nodeCount.tick();
  }, true);
}

const results: Record<string, number[]> = { trigger: [], node: [] };
await measure(names, triggerCount); // warm-up: JIT, the workers' first instances
for (let r = 0; r < rounds; r++) {
  results.trigger!.push(await measure(names, triggerCount));
  results.node!.push(await measure(plainNames, nodeCount));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`redis-trigger: ${messages} messages over ${channels} channel(s), ${workers} worker(s), ${rounds} round(s), median msgs/s`);
console.log(`  wasmlet redis trigger, Spin JS SDK component (fresh instance per message): ${Math.round(median(results.trigger!))}  (rounds: ${results.trigger!.map(Math.round).join(', ')})`);
console.log(`  plain Node subscriber, same handler in JS:                                 ${Math.round(median(results.node!))}  (rounds: ${results.node!.map(Math.round).join(', ')})`);
await sub.stop();
await runtime.close();
plain.destroy();
publisher.destroy();
await server.dispose();
for (const c of cleanups.reverse()) await c();
