import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
const wit = resolve('wit');
const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
_setPreopens({ [wit]: wit });
const { componentize } = await import('@bytecodealliance/componentize-js');
const { component } = await componentize({ sourcePath: 'index.js', witPath: wit, worldName: 'handler' });
await writeFile('app.wasm', component);
