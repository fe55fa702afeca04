// Runs a WASI p1 command in-process through wasmlet's WasiP1, for tests.
import { readFileSync } from 'node:fs';
import { WasiP1, type WasiP1Options } from '../../src/host/wasi/p1/wasi-p1.ts';
import { collectOutput } from '../../src/sandbox/stdio.ts';

const modules = new Map<string, WebAssembly.Module>();

/** Compiles (once per path) and runs `wasmPath`; returns the exit code and captured output. */
export function runP1(wasmPath: string, options: WasiP1Options = {}): { code: number; stdout: string; stderr: string } {
  let mod = modules.get(wasmPath);
  if (mod === undefined) {
    mod = new WebAssembly.Module(readFileSync(wasmPath));
    modules.set(wasmPath, mod);
  }
  const stdout = collectOutput();
  const stderr = collectOutput();
  const wasi = new WasiP1({ stdout, stderr, ...options });
  const instance = new WebAssembly.Instance(mod, wasi.imports);
  const code = wasi.start(instance);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Instantiates WAT-built bytes with a WasiP1 and runs `_start`; returns the exit code and the WasiP1. */
export function runP1Bytes(bytes: Uint8Array, options: WasiP1Options = {}): { code: number; wasi: WasiP1; instance: WebAssembly.Instance } {
  const wasi = new WasiP1(options);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), wasi.imports);
  const code = wasi.start(instance);
  return { code, wasi, instance };
}
