// Worker-thread entry for a guest with a deadline: the parent sends the compiled module and the
// options as plain data, this thread runs the guest and reports back. The parent stops a guest
// that overruns with `worker.terminate()`, which interrupts running Wasm.
import { parentPort, workerData } from 'node:worker_threads';
import { runInstance, toFailure } from './instance.ts';
import { openWireInput, openWireOutput } from './stdio-options.ts';
import type { WorkerData, WorkerMessage } from './run-module.ts';

const data = workerData as WorkerData;
const port = parentPort!;
const post = (m: WorkerMessage, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

let message: WorkerMessage;
post({ type: 'started' }); // the deadline counts from here, not from thread start-up
try {
  const outcome = runInstance(data.module, {
    ...data.request,
    wasi: {
      ...data.request.wasi,
      stdin: openWireInput(data.stdin),
      stdout: openWireOutput(data.stdout, (bytes) => post({ type: 'out', fd: 1, bytes }, [bytes.buffer as ArrayBuffer])),
      stderr: openWireOutput(data.stderr, (bytes) => post({ type: 'out', fd: 2, bytes }, [bytes.buffer as ArrayBuffer])),
      ...(data.trace ? { trace: (line: string) => post({ type: 'trace', line }) } : {}),
    },
  });
  message = { type: 'done', outcome };
} catch (err) {
  message = { type: 'failed', failure: toFailure(err) };
}
post(message);
