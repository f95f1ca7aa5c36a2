// The demo's promise: two tabs of one browser opening the same room link are in one call.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, until } from './harness.mjs';

let env;
before(async () => {
  env = await launch();
});
after(async () => {
  await env?.close();
});

describe('the demo page', { timeout: 120_000 }, () => {
  it('creates a room link, and two tabs of one browser that open it share a call', async () => {
    const context = await env.browser.newContext();
    const first = await context.newPage();
    await first.goto(env.server.url);
    await first.click('#create-form button[type=submit]');
    await first.waitForSelector('#guest-link:not(:empty)');
    const link = await first.textContent('#guest-link');
    assert.match(link, /#room=[0-9a-f]{32}/);
    assert.equal(new URL(link).search, '');

    const tabs = [first, await context.newPage()];
    await tabs[0].goto(link);
    await tabs[1].goto(link);
    for (const [i, tab] of tabs.entries()) {
      await tab.fill('#join-form input[name=name]', `Tab ${i + 1}`);
      await tab.click('#join-form button[type=submit]');
    }
    for (const tab of tabs) {
      await until(() => tab.evaluate(() => document.querySelector('kibitz-room').participants.length === 2), 'both tabs in one call');
    }
    const names = await tabs[1].evaluate(() => document.querySelector('kibitz-room').participants.map((p) => p.name));
    assert.deepEqual(names.sort(), ['Tab 1', 'Tab 2']);
    await context.close();
  });
});
