// The pool handler (engine/pool.ts) of one-shot runs with a deadline: `runWasi({ timeoutMs })` and
// `runComponent({ timeoutMs })` run their guest on a one-worker pool, the same worker mechanism
// as `wasmlet serve` (one protocol, one deadline/terminate/replace path). A unit is one module
// (the pool's `module`) or one component (`config.component`, loaded from the disk cache). Each
// run reports its stdout/stderr as `out` events and its failure as data in the result, so the
// caller can name the trapping function from the module's names (run-module.ts).
import type { Transferable } from 'node:worker_threads';
import type { PoolHandler } from './pool.ts';
import type { ComponentWire } from './component-wire.ts';
import type { PreparedComponent } from './component/transpile.ts';
import { runInstance, toFailure } from './instance.ts';
import type { Failure, InstanceRequest, Outcome } from './instance.ts';
import type { PreopenSpec } from '../sandbox/preopen.ts';
import { openWireInput, openWireOutput } from './stdio-options.ts';
import type { WireInput, WireOutput } from './stdio-options.ts';

/** A one-shot unit: a core module (the pool's module) or a component (its wire form). */
export type RunUnitConfig = { kind: 'module' } | { kind: 'component'; component: ComponentWire };

/** Stdio of one run, as wired for a worker (stdio-options.ts). */
export interface RunStdio { stdin: WireInput; stdout: WireOutput; stderr: WireOutput }

/**
 * One run. `warm` only waits until the unit is loaded (a component's jco module imported), so
 * that the real run's deadline does not count the load.
 */
export type RunInput =
  | { kind: 'warm' }
  | ({ kind: 'module'; request: Omit<InstanceRequest, 'wasi'> & { wasi: { args?: string[]; env?: Record<string, string>; preopens?: PreopenSpec[] } }; trace: boolean } & RunStdio)
  | ({ kind: 'component'; request: { args: string[]; env: Record<string, string>; preopens: PreopenSpec[] } } & RunStdio);

/** Events of a run: guest output relayed to the caller, WASI trace lines. */
export type RunEvent = { type: 'out'; fd: 1 | 2; bytes: Uint8Array } | { type: 'trace'; line: string };

/** What a run produced, or why it failed (as data: see the header). */
export type RunResult = { outcome: Outcome } | { failure: Failure } | null;

type Emit = (event: RunEvent, transfer?: Transferable[]) => void;

function stdio(input: RunStdio, emit: Emit) {
  return {
    stdin: openWireInput(input.stdin),
    stdout: openWireOutput(input.stdout, (bytes) => emit({ type: 'out', fd: 1, bytes }, [bytes.buffer as ArrayBuffer])),
    stderr: openWireOutput(input.stderr, (bytes) => emit({ type: 'out', fd: 2, bytes }, [bytes.buffer as ArrayBuffer])),
  };
}

async function run(unit: { module: WebAssembly.Module; component: Promise<PreparedComponent> | undefined },
  input: RunInput, emit: Emit): Promise<RunResult> {
  try {
    if (input.kind === 'warm') { await unit.component; return null; }
    if (input.kind === 'component') {
      const { executeComponent } = await import('./run-component.ts');
      const exitCode = await executeComponent(await unit.component!, input.request, stdio(input, emit));
      return { outcome: { exitCode } };
    }
    const outcome = runInstance(unit.module, {
      ...input.request,
      wasi: { ...input.request.wasi, ...stdio(input, emit), ...(input.trace ? { trace: (line: string) => emit({ type: 'trace', line }) } : {}) },
    });
    return { outcome };
  } catch (err) {
    return { failure: toFailure(err) };
  }
}

/** The pool handler for one-shot runs (see the header). */
export const poolHandler: PoolHandler = {
  needsEventLoop: true, // a component run uses jco's glue: see PoolHandler.needsEventLoop
  load(module, config) {
    const cfg = config as RunUnitConfig;
    // Component code is imported only by component units: a module run's worker starts lighter.
    const component = cfg.kind === 'component'
      ? import('./component-wire.ts').then(({ componentFromWire }) => componentFromWire(cfg.component))
      : undefined;
    component?.catch(() => {}); // reported by the run
    return { module, component };
  },
  run(prepared, input, emit) {
    return run(prepared as Parameters<typeof run>[0], input as RunInput, emit as Emit);
  },
};
