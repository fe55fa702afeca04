// One guest run with a deadline on a pool of one worker (`runWasi`/`runComponent` with
// `timeoutMs`): the serve pool's machinery (pool.ts: terminate at the deadline, typed errors), not
// a second worker protocol. The pool lives for this one run.
import { WasmletError } from '../util/errors.ts';
import { workerEntry } from '../util/worker-entry.ts';
import { WorkerPool } from './pool.ts';
import type { RunEvent, RunInput, RunResult, RunUnitConfig } from './run-handler.ts';

/** Core modules have theirs; a component unit loads its own from `config` (the pool wants one). */
const PLACEHOLDER_MODULE = new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));

/**
 * Starts a one-worker pool, loads the unit, runs `input` with a deadline of `timeoutMs` ms counted
 * once the worker is up and the unit loaded (worker start-up and a component's load are not the
 * guest's time), passes events to `onEvent`, and closes the pool.
 * @returns the run's result (a failure of the guest is data in it).
 * @throws WasmletError `WASMLET_ERR_TIMEOUT` (blame guest) when the deadline passed (the worker was
 *   terminated: V8 interrupts running Wasm); `WASMLET_ERR_INTERNAL` (blame host) when the worker
 *   died under the run; `WASMLET_ERR_WORKER_START` when it could not start.
 */
export async function runOnPool(unit: { module?: WebAssembly.Module; config: RunUnitConfig }, input: RunInput, timeoutMs: number,
  onEvent: (event: RunEvent) => void): Promise<RunResult> {
  const pool = new WorkerPool({ handler: workerEntry(import.meta.url, './run-handler'), size: 1 });
  try {
    await pool.start();
    pool.register('run', unit.module ?? PLACEHOLDER_MODULE, unit.config);
    if (unit.config.kind === 'component') await pool.run({ unit: 'run', input: { kind: 'warm' } satisfies RunInput });
    return await pool.run({ unit: 'run', input, timeoutMs, onEvent: onEvent as (event: unknown) => void }) as RunResult;
  } catch (err) {
    if (err instanceof WasmletError && err.code === 'WASMLET_ERR_WORKER_LOST') {
      throw new WasmletError('WASMLET_ERR_INTERNAL', `the worker running the guest exited unexpectedly: ${err.message}`, { blame: 'host', cause: err });
    }
    throw err;
  } finally {
    await pool.close();
  }
}
