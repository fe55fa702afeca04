// `npx wasmlet serve`, stopped by signalling the npx process (as a supervisor or a script does):
// npm forwards the signal only to the `sh -c` it runs wasmlet in, which dies without passing it
// on; wasmlet must still stop and free its port (src/cli/stop-signals.ts). Runs the published
// entry (bin/wasmlet.js -> dist/), which `npm test` builds first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/fixtures.ts';
import { until } from '../support/cli.ts';

if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) {
  execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: repoRoot });
}

// npm's default script shell (sh -c, which does not pass the signal on) with SIGTERM; npm's
// `script-shell=bash` (bash execs the command: no shell in between) with SIGINT, which dash
// would hold until its child exits (README: Stopping the server).
const cases = [
  { signal: 'SIGTERM', shell: undefined, stopLine: 'parent exited: shutting down' },
  { signal: 'SIGINT', shell: '/bin/bash', stopLine: 'SIGINT: shutting down' },
] as const;

for (const { signal, shell, stopLine } of cases) {
  test(`${signal} to the npx process (script shell ${shell ?? 'sh'}) stops the server it started and frees the port`, async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false' };
    delete env.npm_config_script_shell;
    if (shell) env.npm_config_script_shell = shell;
    const npx = spawn('npx', ['wasmlet', 'serve', 'examples/hello', '--listen', '127.0.0.1:0'], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env,
    });
    let out = '';
    npx.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    npx.stderr.on('data', () => {}); // npm's warnings
    const npxExit = new Promise<void>((resolve) => npx.on('exit', () => resolve()));
    try {
      await until(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(out), 'the listening line');
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      assert.equal((await fetch(`${url}/hello`)).status, 200);

      npx.kill(signal);
      await npxExit;
      // The server (a child of npm's shell, or of npm) stops on its own: the port refuses connections.
      await until(async () => { try { await fetch(`${url}/hello`); return false; } catch { return true; } }, 'the port to be freed', 15_000);
      await until(() => out.includes(stopLine), stopLine, 15_000);
    } finally {
      if (npx.exitCode === null && npx.signalCode === null) npx.kill('SIGKILL');
    }
  });
}
