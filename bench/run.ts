// `npm run bench [-- --quick]`: runs every benchmark in bench/ in turn, each in its own process, with
// the same flags. Add a benchmark: one file here, one entry in BENCHMARKS.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = ['wasi-p1.ts', 'instantiate.ts', 'serve.ts', 'component-instantiate.ts'];

const here = fileURLToPath(new URL('.', import.meta.url));
let failed = 0;
for (const name of BENCHMARKS) {
  console.log(`== bench/${name}`);
  const r = spawnSync(process.execPath, [join(here, name), ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
