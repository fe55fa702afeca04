// A host application that loads examples/component-plugin's plugin and calls it with JS values.
// Build the plugin first (`bash examples/build.sh`), then:
//   node_modules/.bin/node examples/component-plugin/host.ts [PLUGIN.wasm]
import { readFileSync } from 'node:fs';
import { createComponentPlugin, ComponentError } from 'wasmlet';

const plugin = await createComponentPlugin(readFileSync(process.argv[2] ?? new URL('plugin.wasm', import.meta.url)), {
  imports: {
    'example:plugin/host': {
      log: (msg: string) => console.log(`[plugin] ${msg}`),
      getSetting: (key: string) => (key === 'greeting' ? 'Welcome' : undefined),
    },
  },
  grants: { env: { PLUGIN_MODE: 'example' } },          // nothing else: no files, no network
  limits: { memoryBytes: 64 * 1024 * 1024, timeoutMs: 1000 },
});
const greeter = plugin.exports.greeter as Record<string, (...args: unknown[]) => Promise<unknown>>;
console.log(await greeter.greet!({ name: 'Ada', age: 36 }));
console.log(await greeter.area!({ tag: 'rect', val: [2, 3] }));
try {
  await greeter.parseAge!('forty');
} catch (err) {
  if (err instanceof ComponentError) console.log(`parse-age failed: ${String(err.payload)}`);
}
await greeter.spinForever!().catch((err: { code?: string }) => console.log(`runaway plugin stopped: ${err.code}`));
await plugin.close();
