// Spin's `[component.<id>.build]` table (spinframework/spin crates/manifest/src/schema/v2.rs
// `ComponentBuildConfig`): `command` (a string or an array of strings, run in order), `workdir`
// (relative to the manifest directory), `watch` (globs, relative to the workdir).
import { isAbsolute } from 'node:path';
import type { LockedBuild } from '../locked-app.ts';
import type { Diagnostics, Table } from './diagnostics.ts';
import type { TomlPath } from './locate-key.ts';

/** The keys of a build table: Spin's. */
export const BUILD_KEYS = ['command', 'workdir', 'watch'] as const;

/**
 * Checks the `build` table of component table `c` (at `path`) and returns it, or undefined when
 * the component has none. Problems go to `d`: an unknown key, a `command` that is not a string or
 * an array of strings, an absolute `workdir` (Spin's `construct_workdir` refuses one too),
 * `watch` not an array of strings.
 */
export function checkBuildSection(d: Diagnostics, c: Table, path: TomlPath): LockedBuild | undefined {
  const build = d.table(c, 'build', path);
  if (!build) return undefined;
  const bpath = [...path, 'build'];
  d.unknownKeys(build, bpath, BUILD_KEYS);
  const command = build.command;
  const commands = typeof command === 'string' ? [command]
    : Array.isArray(command) && command.every((x) => typeof x === 'string') ? command as string[] : undefined;
  if (!commands) d.add(command === undefined ? bpath : [...bpath, 'command'], '`build.command` must be a string or an array of strings — e.g. command = "make"');
  const out: LockedBuild = { command: commands ?? [], watch: d.stringArray(build, 'watch', bpath) };
  const workdir = d.string(build, 'workdir', bpath, false);
  if (workdir !== undefined) {
    if (isAbsolute(workdir)) d.add([...bpath, 'workdir'], `\`build.workdir\` must be relative to the manifest directory, not \`${workdir}\``);
    else out.workdir = workdir;
  }
  return out;
}
