// The admin dashboard in a real browser: `wasmlet serve --admin-listen` as a child process, Debian's
// chromium (headless, playwright-core) on its `/`; traffic to the app makes the page's numbers
// move (request counts, requests per second, percentiles, an error with its request id, the log
// tail). Saves a screenshot to test-output/dashboard.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/fixtures.ts';
import { launchChromium } from '../support/chromium.ts';
import type { TestBrowser } from '../support/chromium.ts';
import { buildServeApp } from '../fixtures/serve/serve-app.ts';

const ENTRY = 'test/fixtures/serve/wasmlet-cli.ts';
/** Where the screenshot goes (git-ignored). */
export const SCREENSHOT = join(repoRoot, 'test-output', 'dashboard.png');

test('the dashboard shows routes, live request rates, percentiles, errors and the log tail', async () => {
  const dir = await buildServeApp();
  const proc = spawn(process.execPath, [ENTRY, 'serve', dir, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--workers', '2'], {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const [appUrl, adminUrl] = await new Promise<[string, string]>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const app = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      const admin = /admin listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (app && admin) resolve([app[1]!, admin[1]!]);
    });
    void exit.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
  let browser: TestBrowser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.goto(`${adminUrl}/`);
    await page.waitForFunction(() => document.getElementById('app-name')?.textContent === 'serve-test');
    const cellOf = (route: string, field: string) => page.locator(`#routes tr[data-route="${route}"] td[data-field="${field}"]`);
    assert.equal(await cellOf('/hello/...', 'total').textContent(), '0');
    assert.equal(await cellOf('/hello/...', 'component').textContent(), 'hello');
    assert.equal(await cellOf('/trap', 'total').textContent(), '0');

    // Traffic for a few seconds, so requests per second has complete seconds to average.
    const until = Date.now() + 2500;
    let sent = 0;
    while (Date.now() < until) {
      const res = await fetch(`${appUrl}/hello/dash${sent}`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      sent++;
      await new Promise((r) => setTimeout(r, 10));
    }
    const trap = await fetch(`${appUrl}/trap`);
    assert.equal(trap.status, 500);
    const trapId = trap.headers.get('x-request-id')!;

    await page.waitForFunction((n) => document.querySelector('#routes tr[data-route="/hello/..."] td[data-field="total"]')?.textContent === String(n), sent);
    await page.waitForFunction(() => Number(document.querySelector('#routes tr[data-route="/hello/..."] td[data-field="rps"]')?.textContent) > 0);
    assert.ok(Number(await cellOf('/hello/...', 'p50').textContent()) > 0, 'p50 shows a latency');
    assert.ok(Number(await cellOf('/hello/...', 'p99').textContent()) >= Number(await cellOf('/hello/...', 'p50').textContent()));
    assert.ok(Number(await page.locator('#total-rps').textContent()) > 0);
    assert.ok(await page.locator('#series rect').count() > 0);
    await page.waitForSelector(`#errors tr[data-request-id="${trapId}"]`);
    assert.match(await page.locator(`#errors tr[data-request-id="${trapId}"]`).textContent() ?? '', /GET \/trap.*500.*WASMLET_ERR_TRAP/);
    assert.equal(await cellOf('/trap', 'errors').textContent(), '1');
    await page.waitForFunction((id) => document.getElementById('logs')?.textContent?.includes(`req=${id}`), trapId);

    mkdirSync(join(repoRoot, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  } finally {
    await browser?.close();
    proc.kill('SIGTERM');
  }
  assert.equal(await exit, 0);
});
