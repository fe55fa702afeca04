// Runs the shared escape suite against both ABIs over the one context (ctx.ts), for every preopen
// kind: WASI p1 runs the core module; WASI 0.2 runs the same C program as a component, its libc
// calls going through jco's preview1 adapter into wasmlet's p2 filesystem. Every attempt must end
// as it does in Wasmtime, through either ABI.
import { after } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCComponent } from '../../../test/support/components.ts';
import { runP1 } from '../../../test/support/wasi-p1.ts';
import { runComponentCommand } from '../../engine/component/run-command.ts';
import { prepareComponent, type PreparedComponent } from '../../engine/component/transpile.ts';
import type { AnyPreopenSpec } from '../../sandbox/preopen.ts';
import { escapeCases, overlapEscapeCases, type EscapeRunnerSpec } from './escape.case.ts';
import { callbackSink } from './p2/cli.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'wasmlet-escape-test-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

const p1Runner: EscapeRunnerSpec = { label: 'p1', run: (wasm, preopens) => runP1(wasm, { preopens }) };

const components = new Map<string, Promise<PreparedComponent>>();
const p2Runner: EscapeRunnerSpec = {
  label: 'p2 via preview1 adapter',
  // jco's preview1 adapter answers fd_filestat_set_times on a directory fd with BADF itself.
  differs: { nest_set_times_via_fd: 8 },
  run: async (_wasm: string, preopens: AnyPreopenSpec[], source: string) => {
    let prepared = components.get(source);
    if (prepared === undefined) {
      prepared = buildCComponent(source).then((path) => prepareComponent(readFileSync(path), { cacheDir }));
      components.set(source, prepared);
    }
    let stdout = '';
    const code = await runComponentCommand(await prepared, {
      preopens, stdout: callbackSink((b) => { stdout += Buffer.from(b).toString(); }),
    });
    return { code, stdout };
  },
};

for (const runner of [p1Runner, p2Runner]) {
  escapeCases('host-rw', runner);
  escapeCases('host-ro', runner);
  escapeCases('memory-rw', runner);
  escapeCases('memory-ro', runner);
  overlapEscapeCases(false, runner);
  overlapEscapeCases(true, runner);
}
