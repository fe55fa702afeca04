// What `wasmlet build` and `wasmlet watch` read from a manifest: each component's Spin build
// section, and what a running app depends on. Like Spin's `spin build` (spinframework/spin
// crates/build/src/manifest.rs `component_build_configs`), only the build sections are checked
// here: an app whose sources do not exist yet (the build makes them) or whose triggers are wrong
// can still be built; the full manifest is checked when the app is loaded.
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { WasmletError } from '../util/errors.ts';
import type { LockedBuild } from './locked-app.ts';
import { checkBuildSection } from './manifest/build-section.ts';
import { Diagnostics, isTable, parseTomlFile, throwIfAny } from './manifest/diagnostics.ts';

/** Manifest file names looked for in a directory, in order. */
export const MANIFEST_NAMES = ['wasmlet.toml', 'spin.toml'] as const;

/** One component's build, resolved against the manifest directory. */
export interface ComponentBuild {
  /** The component id (`[component.<id>]`). */
  id: string;
  /** The build section as written (commands, workdir relative to the manifest dir, watch globs). */
  build: LockedBuild;
  /** Absolute directory the commands run in: the manifest dir joined with `build.workdir`. */
  workdir: string;
}

/** The build sections of an app's manifest. */
export interface BuildPlan {
  /** Absolute path of the manifest. */
  manifestPath: string;
  /** Its directory: relative paths in the manifest resolve against it. */
  dir: string;
  /** Components with a `build` table, in manifest order (components without one are left out). */
  components: ComponentBuild[];
  /** Ids of every component in the manifest, with or without a build table. */
  componentIds: string[];
}

/**
 * The manifest path for `pathOrDir`: the path itself when it is a file, else the first of
 * {@link MANIFEST_NAMES} in that directory.
 * @throws WasmletError `WASMLET_ERR_MANIFEST` (blame user) when the path does not exist or the
 *   directory holds no manifest.
 */
export async function locateManifest(pathOrDir: string): Promise<string> {
  const target = resolve(pathOrDir);
  let isDir: boolean;
  try {
    isDir = (await stat(target)).isDirectory();
  } catch (err) {
    throw new WasmletError('WASMLET_ERR_MANIFEST', `${target} does not exist — pass an app directory or a wasmlet.toml/spin.toml`,
      { blame: 'user', cause: err });
  }
  if (!isDir) return target;
  for (const name of MANIFEST_NAMES) {
    try {
      if ((await stat(join(target, name))).isFile()) return join(target, name);
    } catch { /* try the next name */ }
  }
  throw new WasmletError('WASMLET_ERR_MANIFEST', `no wasmlet.toml or spin.toml in ${target} — create one (wasmlet new), or pass a manifest path`,
    { blame: 'user' });
}

/**
 * Reads the build sections of the manifest at (or in) `pathOrDir`.
 * @throws WasmletError `WASMLET_ERR_MANIFEST` as {@link locateManifest}; ManifestError
 *   (`WASMLET_ERR_MANIFEST`) for invalid TOML or an invalid build table, with its line.
 */
export async function readBuildPlan(pathOrDir: string): Promise<BuildPlan> {
  const manifestPath = await locateManifest(pathOrDir);
  const dir = dirname(manifestPath);
  const text = await readFile(manifestPath, 'utf8');
  const root = parseTomlFile(text, manifestPath);
  const d = new Diagnostics(text);
  const components: ComponentBuild[] = [];
  const componentIds: string[] = [];
  const table = isTable(root.component) ? root.component : {};
  for (const [id, c] of Object.entries(table)) {
    componentIds.push(id);
    if (!isTable(c)) continue;
    const build = checkBuildSection(d, c, ['component', id]);
    if (build) components.push({ id, build, workdir: resolve(dir, build.workdir ?? '.') });
  }
  throwIfAny(d, manifestPath);
  return { manifestPath, dir, components, componentIds };
}
