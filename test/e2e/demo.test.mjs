// The demo's promise: two tabs of one browser opening the same room link are in one call; the
// "Create a room" form offers every admission gate, a code-gated link carries the code's
// commitment and never the code, and joining through the element's own gate form, with a
// personal invite or with an address the demo server's email issuer verified works with the
// name typed in the element's pre-join panel. The demo server mails its codes to an SMTP sink
// here (KIBITZ_SMTP_URL).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { startSmtpSink } from '../support/smtp-sink.mjs';
import { startTurn } from '../../scripts/turn.mjs';
import { launch, uniqueRoom, until } from './harness.mjs';

let env;
let sink;
// A real coturn in REST secret mode, whose secret the demo server mints credentials from.
let turn;
const turnSecret = 'demo-e2e-turn-secret';
before(async () => {
  sink = await startSmtpSink();
  process.env.KIBITZ_SMTP_URL = sink.url;
  turn = await startTurn({ secret: turnSecret });
  process.env.KIBITZ_TURN_SECRET = turnSecret;
  process.env.KIBITZ_TURN_URL = turn.info.urls.join(',');
  process.env.KIBITZ_TURN_TTL = '600';
  env = await launch();
});
after(async () => {
  await env?.close();
  await sink?.close();
  await turn?.stop();
});

/** The sign-in code of the latest mail to `address`, once it arrived. */
const mailedCode = (address) =>
  until(
    () =>
      sink.mails
        .filter((m) => m.to.includes(address))
        .at(-1)
        ?.raw.match(/\b([2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5})\b/)?.[1],
    `a code mailed to ${address}`,
  );

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * What axe-core finds on the demo's own page (the element's inside is the browser tests'
 * business), as readable lines: rule, element, how to fix.
 */
async function demoViolations(page) {
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const { violations } = await window.axe.run({ exclude: [['kibitz-room']] }, { resultTypes: ['violations'] });
    return violations.map((v) => `${v.id}: ${v.help}\n${v.nodes.map((n) => `  ${n.target.join(' ')}: ${n.failureSummary}`).join('\n')}`);
  });
  return violations.join('\n');
}

/** The participants a tab's element sees: name and identity, sorted by name. */
const seen = (page) =>
  page.evaluate(() =>
    document
      .querySelector('kibitz-room')
      .participants.map((p) => ({ name: p.name, identity: p.identity }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  );

describe('the demo page', { timeout: 180_000 }, () => {
  it('creates a room link that one click copies, and two tabs of one browser that open it share a call; a guest never sees host forms', async () => {
    const context = await env.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const first = await context.newPage();
    await first.goto(env.server.url);
    await first.click('#create-form button[type=submit]');
    await first.waitForSelector('#guest-link:not(:empty)');
    const link = await first.textContent('#guest-link');
    assert.match(link, /#room=[0-9a-f]{32}/);
    assert.equal(new URL(link).search, '');
    // Without a host passphrase there is one link, and no host link to show.
    assert.equal(await first.isVisible('#host-link-box'), false);

    // One click puts the link on the clipboard, and the page says so beside the button.
    await first.click('button[aria-label="Copy room link"]');
    await first.waitForSelector('#guest-link-box [role=status]:text("Copied")');
    assert.equal(await first.evaluate(() => navigator.clipboard.readText()), link);
    assert.equal(await demoViolations(first), '', 'axe on the create page with its links');

    const tabs = [first, await context.newPage()];
    await tabs[0].goto(link);
    await tabs[1].goto(link);
    for (const [i, tab] of tabs.entries()) {
      // The element's own pre-join panel asks for the name (and offers the devices).
      await tab.waitForSelector('kibitz-room [part~=prejoin]', { state: 'visible' });
      assert.equal(await tab.isVisible('#host-form'), false, 'no claim-host form in a room without a host seal');
      await tab.fill('kibitz-room [part~=name-input]', `Tab ${i + 1}`);
      await tab.click('kibitz-room [part~=join]');
    }
    for (const tab of tabs) {
      await until(() => tab.evaluate(() => document.querySelector('kibitz-room').participants.length === 2), 'both tabs in one call');
      // In the call the join form is gone, and the claim-host form never showed.
      assert.equal(await tab.isVisible('#join-form'), false);
      assert.equal(await tab.isVisible('kibitz-room [part~=prejoin]'), false);
      assert.equal(await tab.isVisible('#host-form'), false);
      assert.equal(await tab.isVisible('#call-invites'), false);
      // No gate and no host key: the element's own participant list says it all.
      assert.equal(await tab.isVisible('#people-box'), false);
    }
    const names = await tabs[1].evaluate(() => document.querySelector('kibitz-room').participants.map((p) => p.name));
    assert.deepEqual(names.sort(), ['Tab 1', 'Tab 2']);
    await context.close();
  });

  it('makes a room with a soft host name: one link, the name on the page, and whoever joins under it hosts without host forms', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(env.server.url);
    await page.fill('#create-form input[name=hostName]', 'Ada');
    await page.click('#create-form button[type=submit]');
    await page.waitForSelector('#links:not([hidden])');
    assert.equal(await page.isVisible('#host-link-box'), false, 'no host key: one link for everyone');
    assert.match(await page.textContent('#soft-host-box'), /Whoever joins this room as “Ada” is its host/);
    const link = await page.textContent('#guest-link');
    assert.equal(new URLSearchParams(new URL(link).hash.slice(1)).get('host-name'), 'Ada');

    await page.goto(link);
    await page.waitForSelector('#host-note', { state: 'visible' });
    assert.match(await page.textContent('#host-note'), /Whoever joins as “Ada” is this room’s host \(anyone can type that name\)/);
    assert.equal(await page.isVisible('#host-form'), false, 'a soft host has no passphrase to claim with');
    await page.uncheck('#join-form input[name=media]');
    await page.fill('kibitz-room [part~=name-input]', 'Ada');
    await page.click('kibitz-room [part~=join]');
    await until(() => page.evaluate(() => document.querySelector('kibitz-room').isHost), 'Ada hosts under her name');
    // The element's host panel shows (its code loads once the call starts); grants need a host
    // key, so the demo offers none.
    await page.waitForSelector('kibitz-room [part~=host-menu]', { state: 'visible' });
    assert.equal(await page.isVisible('#people-box'), false);
    assert.equal(await page.isVisible('#host-form'), false);
    await context.close();
  });

  it('offers the gate methods; a code-gated link carries a commitment, never the code, and the element asks for the code', async () => {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(env.server.url);
    const methods = await page.$$eval('#create-form select[name=gate] option', (options) => options.map((o) => o.value));
    assert.deepEqual(methods, ['none', 'invite', 'names', 'code', 'oidc', 'email']);
    const visible = (selector) => page.isVisible(selector);

    // Each method shows its own fields; the email issuer defaults to this server, which is one.
    await page.selectOption('#create-form select[name=gate]', 'email');
    assert.equal(await visible('#create-form input[name=emailIssuer]'), true);
    assert.equal(await visible('#create-form input[name=code]'), false);
    await until(
      async () => (await page.inputValue('#create-form input[name=emailIssuer]')) === env.server.url.slice(0, -1),
      'the email issuer defaults to the demo server',
    );
    await page.selectOption('#create-form select[name=gate]', 'oidc');
    assert.equal(await visible('#create-form input[name=clientId]'), true);
    assert.equal(await visible('#create-form input[name=emailIssuer]'), false);

    // Errors show beside the form.
    await page.selectOption('#create-form select[name=gate]', 'invite');
    await page.click('#create-form button[type=submit]');
    await page.waitForSelector('#create-error:not([hidden])');
    assert.match(await page.textContent('#create-error'), /^ERR_BAD_GATE: /);
    await page.selectOption('#create-form select[name=gate]', 'code');
    await page.fill('#create-form input[name=code]', 'abc12');
    await page.click('#create-form button[type=submit]');
    await until(async () => /^ERR_WEAK_CODE: /.test(await page.textContent('#create-error')), 'ERR_WEAK_CODE beside the form');
    assert.equal(await visible('#links'), false);

    await page.click('#generate-code');
    const code = await page.inputValue('#create-form input[name=code]');
    assert.match(code, /^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$/);
    await page.click('#create-form button[type=submit]');
    await page.waitForSelector('#links:not([hidden])');
    assert.equal(await visible('#create-error'), false);
    const link = await page.textContent('#guest-link');
    const fields = new URLSearchParams(new URL(link).hash.slice(1));
    const gate = JSON.parse(fields.get('gate'));
    assert.deepEqual(Object.keys(gate).sort(), ['commit', 'method']);
    assert.equal(gate.method, 'code');
    assert.match(gate.commit, /^[A-Za-z0-9_-]{64}$/);
    for (const spelling of [code, code.replace('-', '')]) assert.equal(decodeURIComponent(link).includes(spelling), false);
    // Shown once to the creator, and gone from the form.
    assert.equal(await page.textContent('#join-code'), code);
    assert.equal(await page.inputValue('#create-form input[name=code]'), '');

    // The demo's Join without the code: the gate says what it needs; the element's own form stays visible.
    await page.goto(link);
    await page.uncheck('#join-form input[name=media]');
    await page.fill('kibitz-room [part~=name-input]', 'Ada');
    await page.click('kibitz-room [part~=join]');
    await until(async () => /join code/.test(await page.textContent('#log')), 'the log says the room asks for its join code');
    assert.equal(await visible('kibitz-room [part~=gate-input]'), true);
    assert.equal(await visible('#gate-note'), true);

    // Two browsers (two certificates) join through the element's gate form under the demo's names.
    const other = await env.browser.newContext();
    const tabs = [page, await other.newPage()];
    await tabs[1].goto(link);
    await tabs[1].uncheck('#join-form input[name=media]');
    await tabs[1].fill('kibitz-room [part~=name-input]', 'Bob');
    for (const tab of tabs) {
      await tab.fill('kibitz-room [part~=gate-input]', code.toLowerCase());
      await tab.click('kibitz-room [part~=gate-submit]');
      await until(() => tab.evaluate(() => document.querySelector('kibitz-room').state === 'joined'), 'joined with the code');
    }
    const expected = [
      { name: 'Ada', identity: { method: 'code', verified: true } },
      { name: 'Bob', identity: { method: 'code', verified: true } },
    ];
    for (const tab of tabs) {
      await until(async () => JSON.stringify(await seen(tab)) === JSON.stringify(expected), 'each verified the other itself');
    }
    assert.match(await tabs[1].textContent('#people'), /Ada — knows the join code, verified by this browser/);
    await other.close();
    await context.close();
  });

  it('makes personal invites in an invite room, before joining and as the joined host; an invitee gets in by its invite', async () => {
    const hostContext = await env.browser.newContext();
    const page = await hostContext.newPage();
    await page.goto(env.server.url);
    const passphrase = 'a long host passphrase';
    await page.fill('#create-form input[name=passphrase]', passphrase);
    await page.selectOption('#create-form select[name=gate]', 'invite');
    await page.click('#create-form button[type=submit]');
    await page.waitForSelector('#links:not([hidden])');
    assert.equal(await page.isVisible('#guest-link-box'), false);
    const hostLink = await page.textContent('#host-link');
    await page.fill('#create-invites input[name=name]', 'Bob');
    await page.selectOption('#create-invites select[name=expiresIn]', '86400000');
    await page.click('#create-invites button[type=submit]');
    await page.waitForSelector('#create-invites .invites a');
    const invite = await page.textContent('#create-invites .invites a');
    assert.match(invite, /&invite=/);
    assert.equal(new URLSearchParams(new URL(invite).hash.slice(1)).has('host-seal'), false);

    await page.goto(hostLink);
    // The host link offers to claim host (the page reloads on the new fragment first).
    await page.waitForSelector('#host-form', { state: 'visible' });
    await page.fill('#host-form input[name=passphrase]', passphrase);
    await page.click('#host-form button[type=submit]');
    await until(async () => /You are the host/.test(await page.textContent('#log')), 'host claimed');
    await page.uncheck('#join-form input[name=media]');
    await page.fill('kibitz-room [part~=name-input]', 'Host');
    await page.click('kibitz-room [part~=join]');
    await until(() => page.evaluate(() => document.querySelector('kibitz-room').isHost), 'joined as host');
    assert.equal(await page.isVisible('#join-form'), false);
    assert.equal(await page.isVisible('kibitz-room [part~=prejoin]'), false);
    assert.equal(await page.isVisible('#host-form'), false);

    const guestContext = await env.browser.newContext();
    const guest = await guestContext.newPage();
    await guest.goto(invite);
    assert.equal(await guest.isVisible('#call-invites'), false);
    assert.equal(await guest.isVisible('#host-form'), false);
    await guest.uncheck('#join-form input[name=media]');
    await guest.fill('kibitz-room [part~=name-input]', 'Bobby');
    await guest.click('kibitz-room [part~=join]');
    await until(() => guest.evaluate(() => document.querySelector('kibitz-room').state === 'joined'), 'the invitee joined');
    await until(
      async () => (await seen(page)).find((p) => p.name === 'Bobby')?.identity?.verified === true,
      'the host verified the invite itself',
    );
    assert.deepEqual((await seen(page)).find((p) => p.name === 'Bobby').identity, {
      method: 'invite',
      name: 'Bob',
      kind: 'person',
      verified: true,
    });

    // Joined as host, the element signs invites: no passphrase asked.
    assert.equal(await page.isVisible('#call-invites input[name=passphrase]'), false);
    await page.fill('#call-invites input[name=name]', 'Cy');
    await page.click('#call-invites button[type=submit]');
    await page.waitForSelector('#call-invites .invites a');
    assert.match(await page.textContent('#call-invites .invites a'), /&invite=/);
    await guestContext.close();
    await hostContext.close();
  });

  it('lets the joined host invite an agent and widen its grant from the demo', async () => {
    const hostContext = await env.browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await hostContext.newPage();
    await page.goto(env.server.url);
    const passphrase = 'another long host passphrase';
    await page.fill('#create-form input[name=passphrase]', passphrase);
    await page.selectOption('#create-form select[name=gate]', 'invite');
    await page.click('#create-form button[type=submit]');
    await page.waitForSelector('#links:not([hidden])');
    await page.goto(await page.textContent('#host-link'));
    await page.fill('#host-form input[name=passphrase]', passphrase);
    await page.click('#host-form button[type=submit]');
    await until(async () => /You are the host/.test(await page.textContent('#log')), 'host claimed');
    await page.uncheck('#join-form input[name=media]');
    await page.fill('kibitz-room [part~=name-input]', 'Host');
    await page.click('kibitz-room [part~=join]');
    await until(() => page.evaluate(() => document.querySelector('kibitz-room').isHost), 'joined as host');

    // An agent invite, made by the joined host's element, with the command that runs the example agent.
    await page.fill('#call-invites input[name=name]', 'Scribe');
    await page.selectOption('#call-invites select[name=kind]', 'agent');
    await page.click('#call-invites button[type=submit]');
    await page.waitForSelector('#call-invites .invites a');
    assert.match(await page.textContent('#call-invites .invites li'), /^Agent invite for Scribe/);
    const invite = await page.textContent('#call-invites .invites a');
    assert.match(invite, /&invite=/);
    assert.match(await page.textContent('#call-invites .invites code'), /^npx kibitz-agent '.+' --name 'Scribe'$/);
    await page.click('#call-invites button[aria-label="Copy agent invite for Scribe (1 week)"]');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), invite);

    // The invite makes its holder an agent, on the narrow default grant.
    const agentContext = await env.browser.newContext();
    const agent = await agentContext.newPage();
    await agent.goto(invite);
    await agent.uncheck('#join-form input[name=media]');
    await agent.fill('kibitz-room [part~=name-input]', 'Scribe');
    await agent.click('kibitz-room [part~=join]');
    await until(() => agent.evaluate(() => document.querySelector('kibitz-room').state === 'joined'), 'the agent joined');
    const grantOf = (tab, name) =>
      tab.evaluate((n) => document.querySelector('kibitz-room').participants.find((p) => p.name === n)?.grant, name);
    await until(async () => /Scribe · agent/.test(await page.textContent('#people')), 'the host lists Scribe as an agent');
    assert.deepEqual(await grantOf(page, 'Scribe'), { perceive: ['chat', 'direct', 'roster'], act: [] });
    assert.equal(await agent.isVisible('#people .grant'), false, 'the agent gets no grant controls');

    // The host widens it from the People panel: the agent may now chat, as every peer enforces.
    await page.click('#people summary:text("Grant for Scribe")');
    const form = '#people .grant form';
    assert.equal(await page.isChecked(`${form} input[name=perceive][value=chat]`), true);
    assert.equal(await page.isChecked(`${form} input[name=act][value=chat]`), false);
    await page.check(`${form} input[name=act][value=chat]`);
    await page.click(`${form} button[type=submit]`);
    for (const tab of [page, agent]) {
      await until(async () => (await grantOf(tab, 'Scribe'))?.act.includes('chat'), 'the widened grant reached this page');
    }
    assert.deepEqual((await grantOf(agent, 'Scribe')).act, ['chat']);
    assert.equal(await demoViolations(page), '', "axe on the host's call page with an invite and a grant form open");
    // Reset puts it back on an agent's default.
    await page.click(`${form} button.reset-grant`);
    await until(async () => (await grantOf(agent, 'Scribe'))?.act.length === 0, 'the reset grant reached the agent');
    assert.equal(await page.isChecked(`${form} input[name=act][value=chat]`), false);
    await agentContext.close();
    await hostContext.close();
  });

  it('gates a room on verified email with the demo server as issuer; an address off the allow list is turned away', async () => {
    const creator = await env.browser.newContext();
    const page = await creator.newPage();
    await page.goto(env.server.url);
    await page.selectOption('#create-form select[name=gate]', 'email');
    await page.fill('#create-form input[name=emailAllow]', '@example.com');
    await until(
      async () => (await page.inputValue('#create-form input[name=emailIssuer]')) === env.server.url.slice(0, -1),
      'the issuer field filled from discovery',
    );
    await page.click('#create-form button[type=submit]');
    await page.waitForSelector('#links:not([hidden])');
    const link = await page.textContent('#guest-link');
    assert.deepEqual(JSON.parse(new URLSearchParams(new URL(link).hash.slice(1)).get('gate')), {
      method: 'email',
      issuer: env.server.url.slice(0, -1),
      allow: ['@example.com'],
    });
    await creator.close();

    /** A browser of its own that verifies `address` through the element's form, then presses the demo's Join. */
    const person = async (name, address) => {
      const context = await env.browser.newContext();
      const tab = await context.newPage();
      await tab.goto(link);
      await tab.uncheck('#join-form input[name=media]');
      await tab.fill('kibitz-room [part~=name-input]', name);
      await tab.fill('kibitz-room [part~=gate-input][name=email]', address);
      await tab.click('kibitz-room [part~=gate-submit]');
      await tab.fill('kibitz-room [part~=gate-input][name=code]', await mailedCode(address));
      await tab.click('kibitz-room [part~=gate-submit]');
      await tab.waitForSelector('kibitz-room [part=gate] >> text=Email verified.');
      await tab.click('kibitz-room [part~=join]');
      return { context, tab, state: () => tab.evaluate(() => document.querySelector('kibitz-room').state) };
    };
    const ada = await person('Ada', 'ada@example.com');
    await until(async () => (await ada.state()) === 'joined', 'Ada joined');
    const bob = await person('Bob', 'bob@example.com');
    await until(async () => (await bob.state()) === 'joined', 'Bob joined');
    await until(
      async () => (await seen(ada.tab)).find((p) => p.name === 'Bob')?.identity?.verified === true,
      "Ada verified Bob's token herself",
    );
    assert.deepEqual((await seen(ada.tab)).find((p) => p.name === 'Bob').identity, {
      method: 'email',
      email: 'bob@example.com',
      verified: true,
    });
    // Bob checks Ada's token on his own link to her, as she checked his: wait for that too.
    await until(async () => /verified by this browser/.test(await bob.tab.textContent('#people')), "Bob verified Ada's token himself");
    assert.match(await bob.tab.textContent('#people'), /Ada — ada@example\.com, verified by this browser/);

    const eve = await person('Eve', 'eve@elsewhere.org');
    await until(async () => (await eve.state()) === 'refused', 'Eve refused');
    assert.match(await eve.tab.textContent('#log'), /turned you away: that name or address is not on the list/);
    for (const p of [ada, bob, eve]) await p.context.close();
  });

  it('GET /ice-servers mints coturn REST credentials from KIBITZ_TURN_*, never cached; two relay-only pages meet through them', async () => {
    const res = await fetch(`${env.server.url}ice-servers`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = await res.json();
    assert.deepEqual(Object.keys(body), ['iceServers']);
    assert.equal(body.iceServers.length, 1);
    const [server] = body.iceServers;
    assert.deepEqual(Object.keys(server).sort(), ['credential', 'urls', 'username']);
    assert.deepEqual(server.urls, turn.info.urls);
    const [expiry, label] = server.username.split(':');
    assert.equal(label, 'kibitz');
    assert.ok(Math.abs(Number(expiry) - (Date.now() / 1000 + 600)) < 10, `expiry ${expiry} is about ten minutes away`);
    const utf8 = (text) => new TextEncoder().encode(text);
    assert.equal(server.credential, Buffer.from(hmac(sha1, utf8(turnSecret), utf8(server.username))).toString('base64'));

    // The element takes them from the page's origin; relay-only peers meet over coturn.
    const room = uniqueRoom('turn');
    const attrs = { room, media: '', 'ice-servers-url': '/ice-servers', 'relay-only': '' };
    const peers = [await env.open({ ...attrs, name: 'A' }), await env.open({ ...attrs, name: 'B' })];
    for (const peer of peers) await peer.join();
    for (const peer of peers) await until(async () => (await peer.ids()).length === 2, 'both in the call');
    assert.equal(await until(() => peers[0].selectedLocalType(peers[1].id), 'a selected pair'), 'relay');
    assert.equal(await until(() => peers[1].selectedLocalType(peers[0].id), 'a selected pair'), 'relay');
  });
});
