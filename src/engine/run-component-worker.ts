// Worker-thread entry for a component with a deadline: the parent sends the compiled core modules
// and the options as plain data; this thread imports jco's cached ES module, runs the command and
// reports back. The parent stops a guest that overruns with `worker.terminate()`.
import { parentPort, workerData } from 'node:worker_threads';
import { componentFromWire } from './component-wire.ts';
import { toFailure } from './instance.ts';
import { executeComponent, type ComponentWorkerData, type ComponentWorkerMessage } from './run-component.ts';
import { openWireInput, openWireOutput } from './stdio-options.ts';

const data = workerData as ComponentWorkerData;
const port = parentPort!;
const post = (m: ComponentWorkerMessage, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

let message: ComponentWorkerMessage;
try {
  const prepared = await componentFromWire(data.component);
  post({ type: 'started' }); // the deadline counts from here, not from thread start-up
  const exitCode = await executeComponent(prepared, data.request, {
    stdin: openWireInput(data.stdin),
    stdout: openWireOutput(data.stdout, (bytes) => post({ type: 'out', fd: 1, bytes }, [bytes.buffer as ArrayBuffer])),
    stderr: openWireOutput(data.stderr, (bytes) => post({ type: 'out', fd: 2, bytes }, [bytes.buffer as ArrayBuffer])),
  });
  message = { type: 'done', exitCode };
} catch (err) {
  message = { type: 'failed', failure: toFailure(err) };
}
post(message);
