import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { ensureBinary, ensurePackage, hasFontFor } from './system-package.js';

/** As this machine's closed network needs: no calls home, no first-run, no sandbox as root. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * How a page fits a phone's screen: how far the page scrolls sideways, the elements inside
 * it that scroll sideways, and the table cells that do not name their column (stacked rows
 * need the name).
 */
export async function phoneFit(page: {
  evaluate(script: string): Promise<unknown>;
}): Promise<{ overflow: number; sideways: string[]; unlabelled: number }> {
  return (await page.evaluate(`({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    sideways: [...document.querySelectorAll('main *')]
      .filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
      .map((el) => el.tagName + '.' + el.className),
    unlabelled: [...document.querySelectorAll('tbody td')].filter((td) => td.dataset.label === undefined).length,
  })`)) as { overflow: number; sideways: string[]; unlabelled: number };
}

/** Where browser tests leave their screenshots, for a person to look at. */
export const SCREENSHOTS = fileURLToPath(new URL('../.artifacts/screenshots/', import.meta.url));

/**
 * Debian's Chromium, installed when missing, with a Japanese font (without one the
 * screenshots show boxes where Japanese pages have text), and the screenshot folder ready.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = ensureBinary('chromium', 'chromium');
  ensurePackage('fonts-ipafont-gothic', () => hasFontFor('ja'), 'no Japanese font is installed');
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}
