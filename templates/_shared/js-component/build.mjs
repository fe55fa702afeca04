// Builds the component: node build.mjs SOURCE.js OUT.wasm, against the world in wit/. Skipped
// when OUT.wasm is newer than the source, wit/ and this script (componentize-js takes ~15-30 s).
// componentize-js reads the WIT through @bytecodealliance/preview2-shim's filesystem, which grants
// no directory by default: grant it wit/ (and only that) first.
import { readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

const [source, out] = process.argv.slice(2);
const wit = resolve('wit');

const mtime = (path) => { try { return statSync(path).mtimeMs; } catch { return -1; } };
const inputs = [resolve(source), import.meta.filename, ...readdirSync(wit, { recursive: true }).map((f) => join(wit, f))];
// Every file under the source's folder counts too (modules it imports).
inputs.push(...readdirSync(dirname(resolve(source)), { recursive: true }).map((f) => join(dirname(resolve(source)), f)));
if (mtime(out) >= Math.max(...inputs.map(mtime))) {
  console.log(`${out} is up to date`);
  process.exit(0);
}

const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
_setPreopens({ [wit]: wit });
const { componentize } = await import('@bytecodealliance/componentize-js');
const { component } = await componentize({ sourcePath: source, witPath: wit, worldName: 'handler' });
await writeFile(out, component);
console.log(`built ${out} (${component.length} bytes)`);
