// The admission gate across real pages: headless Chromium (one browser context per person, so
// each has its own DTLS certificate), the demo server with its PeerJS broker and email issuer,
// a real OpenID Connect provider on loopback, and an SMTP sink the issuer mails codes to.
// Personal invites, join codes, OpenID sign-in through the provider's own login form, email
// codes, and verified-only; every refusal asserts the reason the element reports.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSmtpSink } from '../support/smtp-sink.mjs';
import { CODE_ALPHABET } from '../../demo/issuer.mjs';
import { signInThroughPopup, startOidcProvider } from '../support/oidc-provider.mjs';
import { launch, until } from './harness.mjs';

const PASS = 'a long and careful host passphrase';
const CLIENT_ID = 'kibitz-gate-test';
const BASE = 'https://example.test/call';
const CODE_IN_MAIL = new RegExp(`\\b([${CODE_ALPHABET}]{5}-[${CODE_ALPHABET}]{5})\\b`);

let env;
let sink;
let provider;
/** A page of the demo's origin that makes rooms and invites with the public API (window.kibitz). */
let maker;
let makerContext;

before(async () => {
  sink = await startSmtpSink();
  // The harness forks the demo server with this process's environment: its issuer mails the sink.
  const saved = process.env.KIBITZ_SMTP_URL;
  process.env.KIBITZ_SMTP_URL = sink.url;
  try {
    env = await launch();
  } finally {
    if (saved === undefined) delete process.env.KIBITZ_SMTP_URL;
    else process.env.KIBITZ_SMTP_URL = saved;
  }
  provider = await startOidcProvider({
    // The test page is the popup's redirect page: it loads Kibitz, which hands the answer back.
    clients: [{ clientId: CLIENT_ID, redirectUris: [`${env.server.url}test-page.html`] }],
  });
  makerContext = await env.browser.newContext();
  maker = await makerContext.newPage();
  await maker.goto(`${env.server.url}test-page.html`);
  await maker.waitForFunction(() => window.kibitz !== undefined);
});

after(async () => {
  await makerContext?.close().catch(() => undefined);
  await env?.close();
  await provider?.close();
  await sink?.close();
});

// ---- helpers ------------------------------------------------------------------------------

/** A person: a fresh browser context (its own certificate) with the test page; closed after the test. */
async function person(t, attrs = {}, hash = '') {
  const context = await env.browser.newContext();
  t.after(() => context.close().catch(() => undefined));
  return env.open({ media: '', ...attrs }, { hash, context });
}

/** The fragment of a room link (what the test page reads with parseRoomLink). */
const fragment = (link) => link.slice(link.indexOf('#'));

/** The link fields, as parseRoomLink reads them. */
const fieldsOf = (link) => maker.evaluate((l) => window.kibitz.parseRoomLink(l), link);

const createRoom = (options) => maker.evaluate((o) => window.kibitz.createRoom(o), { base: BASE, ...options });

/** join(): 'joined', or the error code it rejected with; the peer's id is kept. */
async function tryJoin(peer) {
  const outcome = await peer.eval(() =>
    window.room.join().then(
      () => 'joined',
      (err) => err.code,
    ),
  );
  peer.id = await peer.eval(() => window.room.selfId);
  return outcome;
}

/** What `observer` shows as participant `id`'s identity (undefined while not in its roster). */
const identityOf = (observer, id) => observer.eval((pid) => window.room.participants.find((p) => p.id === pid)?.identity, id);

const gateEvents = (peer) => peer.events('kibitz-gate');

/** A join refused at the gate, with the same reason everywhere the element reports one. */
async function assertRefused(peer, method, reason) {
  assert.equal(await tryJoin(peer), 'ERR_REFUSED');
  assert.equal(await peer.state(), 'refused');
  assert.deepEqual(
    (await gateEvents(peer)).map((e) => [e.state, e.method, e.reason]),
    [
      ['checking', method, undefined],
      ['refused', method, reason],
    ],
  );
  assert.deepEqual(
    (await peer.events('kibitz-refused')).map((e) => e.reason),
    [reason],
  );
  assert.deepEqual(await peer.ids(), []);
}

/** A join admitted at the gate. */
async function assertAdmitted(peer, method) {
  assert.equal(await tryJoin(peer), 'joined');
  assert.equal(await peer.state(), 'joined');
  assert.deepEqual(
    (await gateEvents(peer)).filter((e) => !e.peer).map((e) => [e.state, e.method, e.reason]),
    [
      ['checking', method, undefined],
      ['admitted', method, undefined],
    ],
  );
}

const sortedIds = async (peer) => (await peer.ids()).sort();

/** The host of an invite (or other keyed) room: claims the host key, then joins first. */
async function hostJoins(t, hostLink, attrs = {}) {
  const host = await person(t, { name: 'Host', ...attrs }, fragment(hostLink));
  await host.eval((pass) => window.room.claimHost(pass), PASS);
  return host;
}

/** Sign in through the provider's own login and consent pages in the popup the element opens. */
async function signIn(peer, login) {
  const popup = signInThroughPopup(peer.page, { login, issuer: provider.issuer, timeout: 60_000 });
  const signedIn = peer.eval(() =>
    window.room.signIn().then(
      () => 'signed in',
      (err) => `${err.code} ${err.reason}: ${err.message}`,
    ),
  );
  const [outcome, back] = await Promise.all([signedIn, popup]);
  assert.equal(outcome, 'signed in');
  assert.equal(back.url.split('?')[0], `${env.server.url}test-page.html`, 'the popup came back to the redirect page');
  const token = await peer.eval(() => window.room.credential?.idToken);
  assert.equal(typeof token, 'string');
  return token;
}

const claimsOf = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

const oidcGate = (allow = ['@example.org']) => ({ method: 'oidc', issuer: provider.issuer, clientId: CLIENT_ID, allow });
const redirect = () => ({ 'redirect-uri': `${env.server.url}test-page.html` });

/** The code in the newest mail to `email`. */
async function mailedCode(email, before) {
  const mail = await until(() => sink.mails.slice(before).find((m) => m.to.includes(email)), `the mail to ${email}`);
  const code = mail.body.match(CODE_IN_MAIL)?.[1];
  assert.ok(code, `no code in the mail:\n${mail.body}`);
  return code;
}

/** The element's requestEmailCode and submitEmailCode, with the code read from the mail. */
async function emailSignIn(peer, email) {
  const count = sink.mails.length;
  await peer.eval((address) => window.room.requestEmailCode(address), email);
  const code = await mailedCode(email, count);
  await peer.eval((c) => window.room.submitEmailCode(c), code);
  return code;
}

/** submitEmailCode's outcome: 'ok', or the rejection's code and reason. */
const submit = (peer, code) =>
  peer.eval(
    (c) =>
      window.room.submitEmailCode(c).then(
        () => 'ok',
        (err) => ({ code: err.code, reason: err.reason }),
      ),
    code,
  );

const wrongEmailCode = (code) => CODE_ALPHABET[(CODE_ALPHABET.indexOf(code[0]) + 1) % CODE_ALPHABET.length] + code.slice(1);

/** Messages `peer` received, as their data. */
const received = async (peer) => (await peer.events('kibitz-message')).map((m) => m.data);

// ---- invite -------------------------------------------------------------------------------

describe('gate: personal invites', { timeout: 240_000 }, () => {
  it('a valid invite gets in: the host sees the invited name, verified by itself', async (t) => {
    const made = await createRoom({ hostPassphrase: PASS, gate: { method: 'invite' } });
    const invite = await maker.evaluate((o) => window.kibitz.createInvite(o), {
      link: made.link,
      passphrase: PASS,
      name: 'Ada',
      expiresIn: 3600_000,
    });
    assert.ok((await fieldsOf(invite)).invite, 'the invite link carries invite=');
    assert.equal((await fieldsOf(invite))['host-seal'], undefined, 'the invite link does not carry the sealed host key');

    const host = await hostJoins(t, made.link);
    await assertAdmitted(host, 'invite');
    assert.equal(await host.eval(() => window.room.isHost), true);

    const ada = await person(t, { name: 'Ada' }, fragment(invite));
    await assertAdmitted(ada, 'invite');
    await until(async () => (await identityOf(host, ada.id))?.verified === true, 'the host verified the invite');
    assert.deepEqual(await identityOf(host, ada.id), { method: 'invite', name: 'Ada', kind: 'person', verified: true });
    // Ada checks the host's claim on her own link to it, apart from the host's check of her.
    await until(async () => (await identityOf(ada, host.id))?.verified === true, 'ada verified the host');
    assert.deepEqual(await identityOf(ada, host.id), { method: 'host', verified: true });
    assert.deepEqual(await identityOf(ada, ada.id), { method: 'invite', name: 'Ada', kind: 'person', verified: true });
    assert.deepEqual(await sortedIds(host), [ada.id, host.id].sort());
  });

  it('refused: expired, for another room (same host key or another), altered name, altered expiry', async (t) => {
    const made = await createRoom({ hostPassphrase: PASS, gate: { method: 'invite' } });
    const host = await hostJoins(t, made.link);
    await assertAdmitted(host, 'invite');

    // Expired: made two minutes in the past (the `now` option of createInvite), so past the
    // 60 s leeway the verifier allows on expiry without waiting for it.
    const expired = await maker.evaluate((o) => window.kibitz.createInvite(o), {
      link: made.link,
      passphrase: PASS,
      name: 'Old',
      expiresIn: 1000,
      now: Date.now() - 2 * 60_000,
    });
    await assertRefused(await person(t, { name: 'Old' }, fragment(expired)), 'invite', 'expired');

    // Another room with the very same host key: the signature holds, the room does not.
    const { 'host-key': hostKey, 'host-seal': hostSeal, gate } = await fieldsOf(made.link);
    const otherHostLink = await maker.evaluate((a) => window.kibitz.formatRoomLink('https://example.test/', a), {
      room: `${made.room}-other`,
      'host-key': hostKey,
      'host-seal': hostSeal,
      gate,
    });
    const sameKeyOtherRoom = await maker.evaluate((o) => window.kibitz.createInvite(o), {
      link: otherHostLink,
      passphrase: PASS,
      name: 'Mallory',
    });
    const pasted = (inviteLink) => `${fragment(made.guestLink)}&invite=${encodeURIComponent(inviteLink.match(/[#&]invite=([^&]*)/)[1])}`;
    assert.equal((await fieldsOf(pasted(sameKeyOtherRoom))).room, made.room);
    await assertRefused(await person(t, { name: 'Mallory' }, pasted(sameKeyOtherRoom)), 'invite', 'bad-credential');

    // Another room with its own host key.
    const other = await createRoom({ hostPassphrase: PASS, gate: { method: 'invite' } });
    const otherKey = await maker.evaluate((o) => window.kibitz.createInvite(o), { link: other.link, passphrase: PASS, name: 'Mallory' });
    await assertRefused(await person(t, { name: 'Mallory' }, pasted(otherKey)), 'invite', 'bad-credential');

    // A genuine invite with one character of the signed token changed: the name, or the expiry
    // of the expired one pushed forward (refused as forged, not as expired).
    const alter = (inviteLink, change) => {
      const value = decodeURIComponent(inviteLink.match(/[#&]invite=([^&]*)/)[1]);
      const secret = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      change(secret.t);
      const altered = Buffer.from(JSON.stringify(secret), 'utf8').toString('base64url');
      return `${fragment(made.guestLink)}&invite=${encodeURIComponent(altered)}`;
    };
    const genuine = await maker.evaluate((o) => window.kibitz.createInvite(o), { link: made.link, passphrase: PASS, name: 'Ada' });
    const renamed = alter(genuine, (token) => (token.name = 'Adb'));
    assert.equal(JSON.parse(Buffer.from(decodeURIComponent(renamed.split('invite=')[1]), 'base64url')).t.name, 'Adb');
    await assertRefused(await person(t, { name: 'Adb' }, renamed), 'invite', 'bad-credential');
    const prolonged = alter(expired, (token) => (token.exp += 10 * 3600_000));
    await assertRefused(await person(t, { name: 'Old' }, prolonged), 'invite', 'bad-credential');

    // None of them reached the roster.
    assert.deepEqual(await host.ids(), [host.id]);
  });

  it('the same invite from a second browser while the first is in: already-in-use', async (t) => {
    const made = await createRoom({ hostPassphrase: PASS, gate: { method: 'invite' } });
    const host = await hostJoins(t, made.link);
    await assertAdmitted(host, 'invite');
    // The joined host's own element makes this one.
    const invite = await host.eval(() => window.room.createInvite('Bea', { expiresIn: 3600_000 }));
    assert.equal((await fieldsOf(invite)).room, made.room);

    const first = await person(t, { name: 'Bea' }, fragment(invite));
    await assertAdmitted(first, 'invite');
    await until(async () => (await identityOf(host, first.id))?.verified === true, 'the host verified the first use');
    assert.deepEqual(await identityOf(host, first.id), { method: 'invite', name: 'Bea', kind: 'person', verified: true });

    const second = await person(t, { name: 'Bea' }, fragment(invite));
    await assertRefused(second, 'invite', 'already-in-use');
    assert.equal(await first.state(), 'joined', 'the first holder stays in');
    assert.deepEqual(await sortedIds(host), [first.id, host.id].sort());
  });
});

// ---- join code ----------------------------------------------------------------------------

describe('gate: join code', { timeout: 240_000 }, () => {
  it('the right code gets in, a wrong one is refused, and a link stripped of its gate leads to another, empty room', async (t) => {
    const weak = await maker.evaluate(() =>
      window.kibitz.createRoom({ base: 'https://example.test/', gate: { method: 'code', code: '1234' } }).then(
        () => 'made',
        (err) => err.code,
      ),
    );
    assert.equal(weak, 'ERR_WEAK_CODE');

    const code = await maker.evaluate(() => window.kibitz.createJoinCode());
    const made = await createRoom({ gate: { method: 'code', code } });
    const fields = await fieldsOf(made.link);
    assert.ok(!made.link.includes(code.replace('-', '')) && !made.link.includes(code), 'the link never carries the code');
    assert.equal(JSON.parse(fields.gate).method, 'code');

    const ann = await person(t, { name: 'Ann' }, fragment(made.link));
    // No code yet: the element asks for it and does not join.
    assert.equal(await tryJoin(ann), 'ERR_GATE');
    assert.deepEqual(await gateEvents(ann), [{ state: 'needed', method: 'code' }]);
    assert.equal(await ann.state(), 'idle');
    await ann.eval(() => window.events.splice(0));

    await ann.eval((c) => (window.room.credential = { code: c }), code);
    await assertAdmitted(ann, 'code');
    const bob = await person(t, { name: 'Bob' }, fragment(made.link));
    // Typed the way people type it: lower case, spaces instead of the dash.
    await bob.eval((c) => (window.room.credential = { code: c.toLowerCase().replace('-', ' ') }), code);
    await assertAdmitted(bob, 'code');
    await until(async () => (await identityOf(ann, bob.id))?.verified === true, 'ann verified bob');
    await until(async () => (await identityOf(bob, ann.id))?.verified === true, 'bob verified ann');
    assert.deepEqual(await identityOf(ann, bob.id), { method: 'code', verified: true });
    assert.deepEqual(await identityOf(bob, ann.id), { method: 'code', verified: true });

    const eve = await person(t, { name: 'Eve' }, fragment(made.link));
    const wrong = await maker.evaluate(() => window.kibitz.createJoinCode());
    await eve.eval((c) => (window.room.credential = { code: c }), wrong);
    await assertRefused(eve, 'code', 'bad-credential');

    // The same room name without the gate: another room, empty, with nothing from this one.
    const stripped = await person(t, { name: 'Stripped', room: made.room });
    assert.equal(await tryJoin(stripped), 'joined');
    assert.deepEqual(await gateEvents(stripped), []);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual(await stripped.ids(), [stripped.id]);
    assert.equal(await stripped.coordinator(), stripped.id);
    assert.deepEqual(await sortedIds(ann), [ann.id, bob.id].sort());
    assert.deepEqual(await sortedIds(bob), [ann.id, bob.id].sort());
  });
});

// ---- OpenID Connect -----------------------------------------------------------------------

describe('gate: OpenID Connect against a real provider', { timeout: 300_000 }, () => {
  it('signed in through the login form, admitted and verified; the same token from another browser is refused', async (t) => {
    const made = await createRoom({ gate: oidcGate() });
    const mia = await person(t, { name: 'Mia', ...redirect() }, fragment(made.link));
    // Without a sign-in the element asks for one.
    assert.equal(await tryJoin(mia), 'ERR_GATE');
    assert.deepEqual(await gateEvents(mia), [{ state: 'needed', method: 'oidc' }]);
    await mia.eval(() => window.events.splice(0));
    await signIn(mia, 'mia');
    await assertAdmitted(mia, 'oidc');

    const ada = await person(t, { name: 'Ada', ...redirect() }, fragment(made.link));
    const token = await signIn(ada, 'ada');
    const claims = claimsOf(token);
    assert.equal(claims.iss, provider.issuer);
    assert.equal(claims.aud, CLIENT_ID);
    assert.equal(claims.email, 'ada@example.org');
    await assertAdmitted(ada, 'oidc');
    await until(async () => (await identityOf(mia, ada.id))?.verified === true, 'mia verified ada');
    assert.deepEqual(await identityOf(mia, ada.id), { method: 'oidc', email: 'ada@example.org', verified: true });
    await until(async () => (await identityOf(ada, mia.id))?.verified === true, 'ada verified mia');
    assert.deepEqual(await identityOf(ada, mia.id), { method: 'oidc', email: 'mia@example.org', verified: true });

    // Ada's token in another browser: its nonce is bound to Ada's certificate, not this one's.
    const thief = await person(t, { name: 'Ada' }, fragment(made.link));
    await thief.eval((idToken) => (window.room.credential = { idToken }), token);
    await assertRefused(thief, 'oidc', 'bad-credential');
    assert.deepEqual(await sortedIds(mia), [ada.id, mia.id].sort());
  });

  it('an address off the allow-list is refused: not-allowed', async (t) => {
    const made = await createRoom({ gate: oidcGate() });
    const mia = await person(t, { name: 'Mia', ...redirect() }, fragment(made.link));
    await signIn(mia, 'mia');
    await assertAdmitted(mia, 'oidc');
    const mallory = await person(t, { name: 'Mallory', ...redirect() }, fragment(made.link));
    const token = await signIn(mallory, 'mallory@elsewhere.example');
    assert.equal(claimsOf(token).email, 'mallory@elsewhere.example');
    await assertRefused(mallory, 'oidc', 'not-allowed');
    assert.deepEqual(await mia.ids(), [mia.id]);
  });

  it('an expired token: still good for a member admitted with it (bound to its certificate), refused at the door', async (t) => {
    const made = await createRoom({ gate: oidcGate() });
    const now = Math.floor(Date.now() / 1000);
    // Mia founds the room with a token that expired a minute ago (the first one in is checked
    // by nobody); Ada's own token is current, and Ada checks Mia's as a member's.
    const mia = await person(t, { name: 'Mia', ...redirect() }, fragment(made.link));
    const stale = await provider.mint({
      nonce: await mia.eval(() => window.room.tokenNonce()),
      email: 'mia@example.org',
      email_verified: true,
      iat: now - 600,
      exp: now - 60,
    });
    await mia.eval((idToken) => (window.room.credential = { idToken }), stale);
    await assertAdmitted(mia, 'oidc');
    const ada = await person(t, { name: 'Ada', ...redirect() }, fragment(made.link));
    const fresh = await provider.mint({
      nonce: await ada.eval(() => window.room.tokenNonce()),
      email: 'ada@example.org',
      email_verified: true,
    });
    await ada.eval((idToken) => (window.room.credential = { idToken }), fresh);
    await assertAdmitted(ada, 'oidc');
    await until(async () => (await identityOf(ada, mia.id))?.verified === true, 'ada verified mia');
    assert.deepEqual(await identityOf(ada, mia.id), { method: 'oidc', email: 'mia@example.org', verified: true });
    // At the door a token must be current.
    const cy = await person(t, { name: 'Cy', ...redirect() }, fragment(made.link));
    const expired = await provider.mint({
      nonce: await cy.eval(() => window.room.tokenNonce()),
      email: 'cy@example.org',
      email_verified: true,
      iat: now - 600,
      exp: now - 60,
    });
    await cy.eval((idToken) => (window.room.credential = { idToken }), expired);
    await assertRefused(cy, 'oidc', 'expired');
  });

  it('a JWKS the coordinator cannot reach: issuer-unreachable (fail closed)', async (t) => {
    t.after(() => provider.startJwks());
    const made = await createRoom({ gate: oidcGate() });
    // A fresh coordinator page: its own sign-in uses discovery and the token endpoint only, so
    // it has never fetched the keys.
    const kim = await person(t, { name: 'Kim', ...redirect() }, fragment(made.link));
    await signIn(kim, 'kim');
    await assertAdmitted(kim, 'oidc');
    await provider.stopJwks();
    const ada = await person(t, { name: 'Ada', ...redirect() }, fragment(made.link));
    await signIn(ada, 'ada');
    await assertRefused(ada, 'oidc', 'issuer-unreachable');
    assert.deepEqual(await kim.ids(), [kim.id]);
  });

  it('verified-only: a member whose credential this browser cannot verify gets no data, the verified host does', async (t) => {
    t.after(() => provider.startJwks());
    const made = await createRoom({ hostPassphrase: PASS, gate: oidcGate() });
    const host = await hostJoins(t, made.link, redirect());
    await signIn(host, 'hal');
    await assertAdmitted(host, 'oidc');
    assert.equal(await host.eval(() => window.room.isHost), true);
    const ada = await person(t, { name: 'Ada', ...redirect() }, fragment(made.guestLink));
    await signIn(ada, 'ada');
    await assertAdmitted(ada, 'oidc');
    // Both have checked each other's token, so both pages hold the issuer's keys now.
    await until(async () => (await identityOf(host, ada.id))?.verified === true, 'the host verified ada');
    await until(async () => (await identityOf(ada, host.id))?.verified === true, 'ada verified the host');
    assert.deepEqual(await identityOf(host, ada.id), { method: 'oidc', email: 'ada@example.org', verified: true });

    // The keys go away. The coordinator (the host) still admits Cy on the keys it holds, but
    // Cy's page never had them: it cannot verify anyone's token itself.
    await provider.stopJwks();
    const cy = await person(t, { name: 'Cy', 'verified-only': '', ...redirect() }, fragment(made.guestLink));
    assert.equal(await cy.eval(() => window.room.verifiedOnly), true);
    await signIn(cy, 'cy');
    await assertAdmitted(cy, 'oidc');
    const alarms = await until(async () => {
      const found = (await gateEvents(cy)).filter((e) => e.peer);
      return found.length >= 2 && found;
    }, 'cy raised an alarm for each member');
    assert.deepEqual(
      alarms.map((e) => [e.peer.id, e.state, e.method, e.reason]).sort(),
      [
        [ada.id, 'refused', 'oidc', 'issuer-unreachable'],
        [host.id, 'refused', 'oidc', 'issuer-unreachable'],
      ].sort(),
    );
    assert.deepEqual(await identityOf(cy, ada.id), { method: 'oidc', verified: false });
    // The host is verified by its key, not by its token.
    await until(async () => (await identityOf(cy, host.id))?.verified === true, 'cy verified the host by its key');
    assert.deepEqual(await identityOf(cy, host.id), { method: 'host', verified: true });
    await until(async () => (await identityOf(host, cy.id))?.verified === true, 'the host verified cy');

    // Everyone sends to everyone; Cy hears only the host, and only the host hears Cy.
    await until(async () => (await ada.ids()).length === 3 && (await host.ids()).length === 3, 'all three rostered');
    await host.eval(() => window.room.send('from host'));
    await ada.eval(() => window.room.send('from ada'));
    await ada.eval((id) => window.room.send('from ada to cy', id), cy.id);
    await cy.eval(() => window.room.send('from cy'));
    await until(async () => (await received(cy)).includes('from host'), 'cy got the host message');
    await until(async () => (await received(host)).includes('from cy'), 'the host got cy message');
    await until(async () => (await received(host)).includes('from ada'), 'the host got ada message');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.deepEqual(await received(cy), ['from host']);
    assert.ok(!(await received(ada)).includes('from cy'), 'nothing went from cy to ada');
    assert.equal(
      await cy.eval((id) => {
        try {
          window.room.send('direct', id);
          return 'sent';
        } catch (err) {
          return err.code;
        }
      }, ada.id),
      'ERR_SEND',
    );
  });
});

// ---- email --------------------------------------------------------------------------------

describe('gate: email codes from the demo issuer', { timeout: 240_000 }, () => {
  const emailGate = () => ({ method: 'email', issuer: env.server.url.slice(0, -1), allow: ['@example.org'] });

  it('a code read from the mail gets in; the member who verified it sees the address', async (t) => {
    const made = await createRoom({ gate: emailGate() });
    const mia = await person(t, { name: 'Mia' }, fragment(made.link));
    await emailSignIn(mia, 'mia@example.org');
    assert.equal(typeof (await mia.eval(() => window.room.credential?.idToken)), 'string');
    await assertAdmitted(mia, 'email');

    const ada = await person(t, { name: 'Ada' }, fragment(made.link));
    await emailSignIn(ada, 'ada@example.org');
    await assertAdmitted(ada, 'email');
    await until(async () => (await identityOf(mia, ada.id))?.verified === true, 'mia verified ada');
    assert.deepEqual(await identityOf(mia, ada.id), { method: 'email', email: 'ada@example.org', verified: true });
    await until(async () => (await identityOf(ada, mia.id))?.verified === true, 'ada verified mia');
    assert.deepEqual(await identityOf(ada, mia.id), { method: 'email', email: 'mia@example.org', verified: true });
  });

  it('five wrong codes, then the sixth try is locked: too-many-tries, even with the right code', async (t) => {
    const made = await createRoom({ gate: emailGate() });
    const lou = await person(t, { name: 'Lou' }, fragment(made.link));
    const count = sink.mails.length;
    await lou.eval(() => window.room.requestEmailCode('lou@example.org'));
    const code = await mailedCode('lou@example.org', count);
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await submit(lou, wrongEmailCode(code)), { code: 'ERR_GATE', reason: 'bad-credential' }, `wrong try ${i + 1}`);
    }
    assert.deepEqual(await submit(lou, wrongEmailCode(code)), { code: 'ERR_GATE', reason: 'too-many-tries' });
    assert.deepEqual(await submit(lou, code), { code: 'ERR_GATE', reason: 'too-many-tries' });
    const gates = await gateEvents(lou);
    assert.deepEqual(
      gates.map((e) => [e.state, e.method, e.reason]),
      [
        ...Array(5).fill(['needed', 'email', 'bad-credential']),
        ['needed', 'email', 'too-many-tries'],
        ['needed', 'email', 'too-many-tries'],
      ],
    );
    assert.equal(await lou.eval(() => window.room.credential), null);
    assert.equal(await tryJoin(lou), 'ERR_GATE');
  });
});
