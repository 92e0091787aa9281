/** Debian's Chromium for the browser tests (driven by playwright-core; never downloaded). */
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Skips the suite or test, saying why, when Chromium is not installed. */
export function skipWithoutChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM_PATH)) return;
  console.log(`      (skipped: no Chromium at ${CHROMIUM_PATH}; install it with apt-get install -y chromium or set CHROMIUM_PATH)`);
  ctx.skip();
}
