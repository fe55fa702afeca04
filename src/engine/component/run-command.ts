// Runs a `wasi:cli/command` component once: fresh host, fresh instance, `wasi:cli/run.run`.
import { WasmletError } from '../../util/errors.ts';
import { isExitSignal } from '../../host/wasi/p2/exit-signal.ts';
import { createComponentHost, type ComponentHostOptions } from './component-host.ts';
import { createComponentInstance, findExport } from './instantiate.ts';
import type { PreparedComponent } from './transpile.ts';

/**
 * Runs the command and returns its exit code: 0 when `run` returns `ok`, 1 when it returns `err`,
 * n when the guest calls `exit`/`exit-with-code` (which ends this instance only).
 * @throws WasmletError `WASMLET_ERR_COMPONENT_NOT_COMMAND` (blame `guest`) when the component does
 *   not export `wasi:cli/run@0.2.x`; a trap propagates as the `WebAssembly.RuntimeError`.
 */
export async function runComponentCommand(prepared: PreparedComponent, options: ComponentHostOptions = {}): Promise<number> {
  const host = createComponentHost(options);
  const instance = await createComponentInstance(prepared, host.imports);
  const run = findExport(instance.exports, 'wasi:cli/run')?.run as (() => Promise<unknown>) | undefined;
  if (typeof run !== 'function') {
    instance.retire();
    throw new WasmletError('WASMLET_ERR_COMPONENT_NOT_COMMAND',
      'the component does not export wasi:cli/run@0.2.x; `run` needs a command component (serve an http component instead)',
      { blame: 'guest' });
  }
  try {
    await run();
    return 0;
  } catch (err) {
    if (isExitSignal(err)) return err.code;
    // jco's ComponentError wraps `result::err` from run (payload undefined): exit code 1.
    if (err instanceof Error && err.constructor.name === 'ComponentError') return 1;
    throw err;
  } finally {
    instance.retire(); // `run` settled: the instance never runs again
    host.close(); // ...so the host files it left open are closed
  }
}
