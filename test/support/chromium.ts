// Debian's chromium (scripts/install-deps.sh), headless, driven by playwright-core. The flags keep
// it off the network it would otherwise reach for on start (component updates, sync, safe
// browsing): on a closed network those connection attempts are refused and slow it down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';

/** Where Debian installs the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** A launched browser with a fresh profile; `close` also removes the profile. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches headless chromium with a fresh profile directory (playwright passes it as
 * `--user-data-dir`; it refuses that flag in `args`).
 */
export async function launchChromium(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'wasmlet-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      timeout: 60_000,
      viewport: { width: 1200, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    return {
      context,
      close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
