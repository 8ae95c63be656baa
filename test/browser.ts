// Debian's Chromium driven by playwright-core (which never downloads a browser): one per test
// file. CHROMIUM_PATH overrides /usr/bin/chromium.
import { chromium, type Browser } from 'playwright-core';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // this machine has no network but loopback: keep Chromium from trying its own services
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
