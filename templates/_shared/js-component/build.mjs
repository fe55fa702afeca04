// Builds the component: node build.mjs SOURCE.js OUT.wasm, against the world in wit/.
// componentize-js reads the WIT through @bytecodealliance/preview2-shim's filesystem, which grants
// no directory by default: grant it wit/ (and only that) first.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

const [source, out] = process.argv.slice(2);
const wit = resolve('wit');
const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
_setPreopens({ [wit]: wit });
const { componentize } = await import('@bytecodealliance/componentize-js');
const { component } = await componentize({ sourcePath: source, witPath: wit, worldName: 'handler' });
await writeFile(out, component);
console.log(`built ${out} (${component.length} bytes)`);
