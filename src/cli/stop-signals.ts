// When a long-running command (`serve`, `watch`) should stop: SIGINT, SIGTERM, or, when npm
// started it (`npx wasmlet serve`, `npm start`), its npm parent going away.
//
// Why the last one: `npx wasmlet serve` is npm (libnpmexec -> @npmcli/run-script) running
// `sh -c 'wasmlet' serve ...`, and that shell runs wasmlet as its child instead of exec'ing it.
// run-script forwards SIGINT/SIGTERM to the shell it spawned (run-script lib/signal-manager.js),
// the shell dies of it without passing it on, npm exits, and wasmlet, now a child of init, kept
// serving and holding its port. A terminal's Ctrl-C reaches every process of the foreground group
// (wasmlet included); `kill <npx pid>` from a supervisor reaches only npm. Node has no
// PR_SET_PDEATHSIG, so wasmlet notices the shell is gone by its parent pid changing, and stops
// as it does on SIGTERM. Outside npm, a re-parented wasmlet (`nohup ... &`) keeps running.
// SIGINT sent to the npx pid alone is a case this cannot see: dash holds a SIGINT until its child
// exits, so the shell stays. Running the bin directly (`node_modules/.bin/wasmlet serve`, or npm
// with `script-shell=bash`, which execs the command) leaves no shell in between.

/** How often the parent pid is compared, in ms (only when npm started the process). */
export const PARENT_POLL_MS = 250;

/** Why a command is stopping. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'parent exited';

/** True when npm (`npm exec`/`npx`, `npm run`/`npm start`) started this process: it sets `npm_command`. */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_command !== undefined && env.npm_command !== '';
}

/**
 * Calls `onStop` once, on the first of SIGINT, SIGTERM, or (when {@link startedByNpm}) the
 * parent process exiting; then stops listening. Returns a function that stops listening without
 * calling it. While listening, SIGINT and SIGTERM no longer end the process by themselves.
 */
export function onStopRequest(onStop: (reason: StopReason) => void): () => void {
  const ppid = process.ppid;
  let timer: ReturnType<typeof setInterval> | undefined;
  const dispose = () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    if (timer !== undefined) clearInterval(timer);
  };
  const stop = (reason: StopReason) => { dispose(); onStop(reason); };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  if (startedByNpm()) {
    timer = setInterval(() => { if (process.ppid !== ppid) stop('parent exited'); }, PARENT_POLL_MS);
    timer.unref();
  }
  return dispose;
}
