// Builds the module: node build.mjs SOURCE.ts OUT.wasm, with @assemblyscript/wasi-shim so that
// `process`, `console` and `Date` use WASI preview1. The shim's config is passed by a relative
// path: asc resolves its `lib` folder against the config's directory.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const [source, out] = process.argv.slice(2);
const shimConfig = relative('.', fileURLToPath(import.meta.resolve('@assemblyscript/wasi-shim/asconfig.json')));
const { error } = await asc.main([source, '--config', shimConfig, '--optimizeLevel', '2', '--outFile', out]);
if (error) {
  console.error(error.message);
  process.exit(1);
}
console.log(`built ${out}`);
