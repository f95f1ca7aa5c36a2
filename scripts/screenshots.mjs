// Pictures of the demo for the README, taken in real headless Chromium with its fake camera and
// microphone: the pre-join panel, a three-person call, the host's controls and the chat. Starts
// the demo server (page and broker) on a free port, drives three browser contexts (three
// devices) through the demo as a person would, and writes docs/*.png at 1280×800.
//
//   npm run screenshots        (builds first; or `node scripts/screenshots.mjs` after a build)
/* global document, window -- callbacks that run inside the page */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../demo/server.mjs';
import { chromiumLaunchOptions } from '../test/support/chromium.mjs';

const docs = fileURLToPath(new URL('../docs/', import.meta.url));
const viewport = { width: 1280, height: 800 };
const passphrase = 'a long passphrase for the pictures';

/** Wait until `check` (run in the page) is true. */
const until = (page, check, arg) => page.waitForFunction(check, arg, { timeout: 30_000 });
const callOf = (page) => until(page, () => document.querySelector('kibitz-room')?.state === 'joined');

/** Whether every camera video the element shows is playing a frame. */
const playing = () =>
  [...document.querySelector('kibitz-room').shadowRoot.querySelectorAll('video')]
    .filter((v) => !v.hidden && v.srcObject?.getVideoTracks().length)
    .every((v) => !v.paused && v.readyState >= 2);

/**
 * Screenshot the page once every video shows a frame. A media element that is given its stream
 * again starts over (blank until its next frame): if one did while the picture was taken, take
 * it again.
 */
async function shoot(page, name) {
  // Let the fake cameras draw a few frames and the layout settle.
  await page.waitForTimeout(1500);
  await page.evaluate(() => {
    window.restarts ??= 0;
    document.querySelector('kibitz-room').shadowRoot.addEventListener('emptied', () => window.restarts++, true);
  });
  for (let attempt = 0; ; attempt++) {
    await page.waitForFunction(playing, null, { timeout: 30_000, polling: 10 });
    const before = await page.evaluate(() => window.restarts);
    await page.screenshot({ path: `${docs}${name}.png`, animations: 'disabled', caret: 'hide' });
    if ((await page.evaluate(() => window.restarts)) === before && (await page.evaluate(playing))) break;
    if (attempt === 50) throw new Error(`${name}: the videos never held still for a picture`);
  }
  console.log(`docs/${name}.png`);
}

/** Open `link` in a new device and join the call through the element's pre-join panel as `name`. */
async function join(browser, link, name) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(link);
  await page.fill('kibitz-room [part~=name-input]', name);
  await page.click('kibitz-room [part~=join]');
  await callOf(page);
  return page;
}

const server = await startServer({ port: 0, quiet: true });
const browser = await chromium.launch(chromiumLaunchOptions());
try {
  await mkdir(docs, { recursive: true });

  // The host creates a room with a host passphrase on the demo's front page.
  const host = await (await browser.newContext({ viewport })).newPage();
  await host.goto(server.url);
  await host.fill('#create-form input[name=passphrase]', passphrase);
  await host.click('#create-form button[type=submit]');
  await host.waitForSelector('#links:not([hidden])');
  const hostLink = await host.textContent('#host-link');
  const guestLink = await host.textContent('#guest-link');

  // Pre-join: the host link, host claimed, name typed, the camera preview and device menus open.
  await host.goto(hostLink);
  await host.fill('#host-form input[name=passphrase]', passphrase);
  await host.click('#host-form button[type=submit]');
  await host.waitForSelector('#host-form', { state: 'hidden' });
  await host.fill('kibitz-room [part~=name-input]', 'Ada Lovelace');
  await host.click('kibitz-room [part~=preview-start]');
  await host.waitForSelector('kibitz-room [part~=preview]', { state: 'visible' });
  await host.waitForSelector('kibitz-room [part~=device-select]');
  await shoot(host, 'prejoin');

  // A three-person call, seen by the host.
  await host.click('kibitz-room [part~=join]');
  await callOf(host);
  const bob = await join(browser, guestLink, 'Bob Kahn');
  const cy = await join(browser, guestLink, 'Cy Twombly');
  await until(host, () => document.querySelector('kibitz-room').participants.length === 3);
  await until(
    host,
    () => [...document.querySelector('kibitz-room').shadowRoot.querySelectorAll('video')].filter((v) => v.videoWidth > 0).length >= 3,
  );
  await shoot(host, 'call');

  // The host's controls: the element's host panel and participant list, and the demo's grant form.
  await host.click('kibitz-room [part~=people-toggle]');
  await host.waitForSelector('kibitz-room [part~=kick]');
  await host.click('#people summary:text("Grant for Bob Kahn")');
  await shoot(host, 'host-controls');

  // The chat, seen by a guest: a few messages with names and times.
  for (const page of [host, bob, cy]) await page.click('kibitz-room [part~=chat-toggle]');
  const say = async (page, text) => {
    await page.fill('kibitz-room [part~=chat-input]', text);
    await page.press('kibitz-room [part~=chat-input]', 'Enter');
  };
  await say(host, 'Welcome both. Agenda: the release, then questions.');
  await say(cy, 'Can everyone see my screen share later?');
  await say(bob, 'Yes, and I will send the notes as a file afterwards.');
  await until(bob, () => document.querySelector('kibitz-room').shadowRoot.querySelectorAll('[part~=chat-message]').length === 3);
  await shoot(bob, 'chat');
} finally {
  await browser.close();
  await server.close();
}
// The broker keeps timers running after close().
process.exit(0);
