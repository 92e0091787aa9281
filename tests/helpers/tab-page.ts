/** What the tab's browser tests check on any page: nothing an administrator should not have to read, messages in view. */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

const RAW_CODE = /\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/;
const GUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i;
const PLACEHOLDER = /undefined|\bnull\b|\bNaN\b|\(\s*\)|（\s*）|\{\w*\}/;

/** Nothing on screen (dialogs included) that an administrator should not have to read. */
export async function assertCleanText(page: Page, where: string): Promise<void> {
  const text = await page.evaluate(() => document.body.innerText);
  for (const [name, re] of [['a raw code', RAW_CODE], ['a GUID', GUID], ['an empty placeholder', PLACEHOLDER]] as const) {
    const m = re.exec(text);
    assert.equal(m, null, `${where}: the page shows ${name}: ${JSON.stringify(m?.[0])} in …${text.slice(Math.max(0, (m?.index ?? 0) - 80), (m?.index ?? 0) + 80)}…`);
  }
}

/** The newest message is visible without scrolling, and says what it should. */
export async function assertMessageInView(page: Page, intent: 'success' | 'error' | 'info', expected: RegExp, where: string): Promise<void> {
  const msg = page.locator(`[data-testid="message"][data-intent="${intent}"]`).filter({ hasText: expected }).last();
  try {
    await msg.waitFor({ state: 'visible', timeout: 30_000 });
  } catch {
    const all = await page.locator('[data-testid="message"]').allInnerTexts();
    assert.fail(`${where}: no ${intent} message matching ${expected}; messages: ${JSON.stringify(all)}`);
  }
  const box = await msg.boundingBox();
  const vp = page.viewportSize()!;
  assert.ok(box, `${where}: the message has a box`);
  // Sub-pixel layout may put an edge a fraction of a pixel out.
  assert.ok(box.y >= -1 && box.y + box.height <= vp.height + 1 && box.x >= -1 && box.x + box.width <= vp.width + 1, `${where}: the message is inside the viewport (${JSON.stringify(box)} in ${vp.width}x${vp.height})`);
}
