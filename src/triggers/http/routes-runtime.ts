// Turns a LockedApp's HTTP routes into ready executors before the first request: each component is
// read, inspected, memory-capped and compiled once (per content hash), registered with the worker
// pool with its pre-built per-component data (env, preopens), and wrapped in its route's executor.
// Nothing here runs per request.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LockedApp, LockedComponent, LockedHttpRoute } from '../../app/locked-app.ts';
import { detectWasmKind, inspectModule } from '../../engine/binary.ts';
import { CompileCache } from '../../engine/compile-cache.ts';
import { applyMemoryCap } from '../../engine/limits.ts';
import type { WorkerPool } from '../../engine/pool.ts';
import type { PreopenSpec } from '../../sandbox/preopen.ts';
import { WasmletError } from '../../util/errors.ts';
import type { HttpExecutor } from './executor.ts';
import { WagiExecutor } from './wagi.ts';
import type { WagiUnitConfig } from './wagi-worker.ts';

/** A route with everything a request needs. */
export interface PreparedRoute {
  route: LockedHttpRoute;
  component: LockedComponent;
  executor: HttpExecutor;
}

/**
 * Preopens for a component's `files`: directories are preopened in place (read-only); single files
 * are copied into one staging directory mirroring their guest paths, preopened at `/` (a preopen
 * is a directory, and preopening the file's real parent would expose its siblings).
 */
export function filePreopens(component: LockedComponent): { preopens: PreopenSpec[]; cleanup: () => void } {
  const preopens: PreopenSpec[] = [];
  let staging: string | undefined;
  for (const mount of component.files) {
    if (statSync(mount.hostPath).isDirectory()) {
      preopens.push({ guestPath: mount.guestPath, hostPath: mount.hostPath, readOnly: true });
      continue;
    }
    staging ??= mkdtempSync(join(tmpdir(), 'wasmlet-files-'));
    const target = join(staging, mount.guestPath);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(mount.hostPath, target);
  }
  if (staging) preopens.push({ guestPath: '/', hostPath: staging, readOnly: true });
  const dir = staging;
  return { preopens, cleanup: () => { if (dir) rmSync(dir, { recursive: true, force: true }); } };
}

/**
 * Prepares every HTTP route of `app` and registers its component with `pool`.
 * @returns routes keyed by route text (as the router reports it) and a cleanup for staged files.
 * @throws WasmletError `WASMLET_ERR_EXECUTOR_UNSUPPORTED` (blame user) for a `wasi-http` route
 *   (components are not served yet) or a WAGI route whose source is a component;
 *   `WASMLET_ERR_READ_SOURCE` when a source cannot be read; engine errors from inspection,
 *   the memory cap and compilation.
 */
export async function prepareRoutes(app: LockedApp, pool: WorkerPool, defaultTimeoutMs: number):
  Promise<{ routes: Map<string, PreparedRoute>; cleanup: () => void }> {
  const cache = new CompileCache();
  const routes = new Map<string, PreparedRoute>();
  const units = new Set<string>();
  const cleanups: (() => void)[] = [];
  const cleanup = () => { for (const c of cleanups.splice(0)) c(); };
  try {
    for (const route of app.triggers.http) {
      const component = app.components[route.component];
      if (!component) {
        throw new WasmletError('WASMLET_ERR_UNKNOWN_COMPONENT',
          `route '${route.route}' names component '${route.component}', which the app does not define`, { blame: 'user' });
      }
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(component.source);
      } catch (err) {
        throw new WasmletError('WASMLET_ERR_READ_SOURCE',
          `cannot read component '${component.id}' source ${component.source}: ${(err as Error).message}`, { blame: 'user', cause: err });
      }
      const kind = detectWasmKind(bytes);
      const type = route.executor.type === 'auto' ? (kind === 'module' ? 'wagi' : 'wasi-http') : route.executor.type;
      if (type !== 'wagi') {
        throw new WasmletError('WASMLET_ERR_EXECUTOR_UNSUPPORTED',
          `route '${route.route}': component '${component.id}' is a WebAssembly component (wasi:http), which wasmlet serve does not run yet; serve a WASI preview1 module with executor = { type = "wagi" }`,
          { blame: 'user' });
      }
      if (kind !== 'module') {
        throw new WasmletError('WASMLET_ERR_EXECUTOR_UNSUPPORTED',
          `route '${route.route}': the WAGI executor runs WASI preview1 core modules, but component '${component.id}' is a WebAssembly component`,
          { blame: 'user' });
      }
      const entrypoint = route.executor.entrypoint ?? '_start';
      const unit = `${component.id}#${entrypoint}`;
      if (!units.has(unit)) {
        units.add(unit);
        let code = bytes;
        if (component.limits.memoryBytes !== undefined) {
          code = applyMemoryCap(bytes, inspectModule(bytes), component.limits.memoryBytes).bytes;
        }
        const { module } = await cache.compile(code);
        const files = filePreopens(component);
        cleanups.push(files.cleanup);
        const config: WagiUnitConfig = { env: { ...component.environment }, preopens: files.preopens, entrypoint };
        pool.register(unit, module, config);
      }
      const executor = new WagiExecutor({
        pool, unit, argv: route.executor.argv, timeoutMs: component.limits.timeoutMs ?? defaultTimeoutMs,
      });
      routes.set(route.route, { route, component, executor });
    }
  } catch (err) {
    cleanup();
    throw err;
  }
  return { routes, cleanup };
}
