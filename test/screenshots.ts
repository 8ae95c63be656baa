/// <reference lib="dom" />
// Screenshots of the live dashboard, light and dark, for the README: `npm run screenshots`
// (writes docs/dashboard-light.png and docs/dashboard-dark.png). The test suite runs the same
// helper, so it keeps working.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './browser.js';
import { startDashboardApp } from './dashboard-app.js';

/** Ten minutes of demo data ending now: a CPU wave with spikes, RAM drifting. */
function demoRows(end: number): [number, number, number][] {
  return Array.from({ length: 600 }, (_, i) => {
    const spike = i % 97 > 90 ? 40 : 0;
    const cpu = Math.min(99, 35 + 20 * Math.sin(i / 25) + spike + ((i * 7919) % 500) / 100);
    const ram = 55 + 8 * Math.sin(i / 90) + ((i * 104729) % 100) / 100;
    return [end - (599 - i) * 1000, Math.round(cpu * 100) / 100, Math.round(ram * 100) / 100];
  });
}

export async function takeScreenshots(browser: Browser, outDir: string): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const app = await startDashboardApp();
  try {
    app.append(demoRows(Date.now()));
    const files: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: { width: 1100, height: 1250 }, colorScheme });
      await page.goto(app.url);
      await page.waitForFunction(() => document.querySelector('[data-count="samples"]')?.textContent === '600');
      await page.click('button[data-range="600"]');
      await page.evaluate(() => new Promise(requestAnimationFrame));
      const file = join(outDir, `dashboard-${colorScheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      files.push(file);
      await page.close();
    }
    return files;
  } finally {
    await app.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const browser = await launchBrowser();
  try {
    for (const file of await takeScreenshots(browser, resolve(process.argv[2] ?? 'docs')))
      process.stdout.write(`wrote ${file}\n`);
  } finally {
    await browser.close();
  }
}
