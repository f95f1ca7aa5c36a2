// Safety codes in real Chromium through the real broker: one code per pair that both pages
// show, the built-in Verify panel (keyboard included), trust pinned in this profile's
// IndexedDB surviving a reload, a known name on a new certificate raising `changed`, and a
// coordinator that sits in the middle of two members through a test-only link factory (not in
// the shipped bundle): their codes differ, and passing their exchange through raises
// `commitment`.
import { expect } from '@open-wc/testing';
import { randomRoomName } from '../../src/crypto/room-keys.js';
import { normalizeFingerprint } from '../../src/crypto/command.js';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { makeTransport } from '../../src/element/transport.js';
import { Room } from '../../src/engine/room.js';
import { rtcLinkFactory } from '../../src/engine/rtc-link.js';
import { manInTheMiddle, type MitmMode } from '../support/mitm.js';
import { brokerUrl, cleanup, collect, makeRoom, until } from './helpers.js';

const CODE = /^\d{3} \d{3} \d{3} \d{3} \d{3}$/;
const newCert = () => RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams);
const fingerprintOf = (cert: RTCCertificate) => normalizeFingerprint(cert.getFingerprints()[0].value!);
/** Names unique to one test: pins live in this browser profile for every test that runs in it. */
const unique = (name: string) => `${name} ${Math.random().toString(36).slice(2, 8)}`;

const peerIn = (el: KibitzRoomElement, other: KibitzRoomElement | string) => {
  const id = typeof other === 'string' ? other : other.selfId;
  return el.participants.find((p) => p.id === id);
};
const codeIn = (el: KibitzRoomElement, other: KibitzRoomElement) => peerIn(el, other)?.safetyCode ?? null;
const tile = (el: KibitzRoomElement, id: string) => el.shadowRoot!.querySelector<HTMLElement>(`[data-peer="${id}"]`);
const part = (el: KibitzRoomElement, id: string, name: string) => tile(el, id)?.querySelector<HTMLElement>(`[part~="${name}"]`) ?? null;

async function joined(count: number, ...els: KibitzRoomElement[]): Promise<void> {
  for (const el of els) await el.join();
  await until(() => els.every((el) => el.participants.length === count), `${count} in the room`);
}

/** An element with a certificate of its own. */
async function member(room: string, signaling: string, name: string, certificate?: RTCCertificate): Promise<KibitzRoomElement> {
  const el = makeRoom({ room, name, signaling });
  el.certificate = certificate ?? (await newCert());
  return el;
}

describe('safety codes between real pages', () => {
  afterEach(cleanup);

  it('two pages show the same code for their pair, bound to the fingerprints on the live links', async () => {
    const signaling = await brokerUrl();
    const room = randomRoomName();
    const a = await member(room, signaling, unique('Ann'));
    const b = await member(room, signaling, unique('Bob'));
    const events = collect(a, 'kibitz-safety');
    await joined(2, a, b);
    await until(() => Boolean(codeIn(a, b) && codeIn(b, a)), 'both codes');
    expect(codeIn(a, b)).to.match(CODE);
    expect(codeIn(b, a)).to.equal(codeIn(a, b));
    expect(peerIn(a, b)!.trust).to.equal('unverified');
    // What each page calls its own fingerprint is what the other reads off its live link.
    await until(() => Boolean(peerIn(b, a)?.fingerprint && peerIn(a, b)?.fingerprint), 'live fingerprints');
    expect(a.selfFingerprint).to.equal(fingerprintOf(a.certificate!));
    expect(peerIn(b, a)!.fingerprint).to.equal(a.selfFingerprint);
    expect(peerIn(a, b)!.fingerprint).to.equal(b.selfFingerprint);
    const ready = events.find((e) => e.code);
    expect(ready).to.deep.include({ code: codeIn(a, b), trust: 'unverified' });
    expect(ready!.peer.id).to.equal(b.selfId);
    expect(events.some((e) => e.alarm)).to.equal(false);
  });

  it('the Verify panel shows the code, works from the keyboard, and Match marks the tile verified', async () => {
    const signaling = await brokerUrl();
    const room = randomRoomName();
    const a = await member(room, signaling, unique('Ann'));
    const b = await member(room, signaling, unique('Bob'));
    await joined(2, a, b);
    await until(() => Boolean(codeIn(a, b)), 'the code');
    await a.updateComplete;
    const verify = part(a, b.selfId!, 'verify') as HTMLButtonElement;
    expect(verify.disabled).to.equal(false);
    expect(verify.getAttribute('aria-expanded')).to.equal('false');
    expect(part(a, a.selfId!, 'verify')).to.equal(null);
    verify.click();
    await until(() => part(a, b.selfId!, 'safety') !== null, 'the panel opens');
    expect(verify.getAttribute('aria-expanded')).to.equal('true');
    expect(part(a, b.selfId!, 'safety-code')!.textContent).to.equal(codeIn(b, a));
    // Focus lands on the choice; Escape closes the panel and gives focus back to the button.
    await until(
      () => part(a, b.selfId!, 'match') !== null && a.shadowRoot!.activeElement === part(a, b.selfId!, 'match'),
      'focus on Match',
    );
    part(a, b.selfId!, 'match')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    await until(() => part(a, b.selfId!, 'safety') === null, 'the panel closes');
    await until(
      () => part(a, b.selfId!, 'verify') !== null && a.shadowRoot!.activeElement === part(a, b.selfId!, 'verify'),
      'focus back on Verify',
    );
    expect(peerIn(a, b)!.trust).to.equal('unverified');

    const events = collect(a, 'kibitz-safety');
    part(a, b.selfId!, 'verify')!.click();
    await until(() => part(a, b.selfId!, 'match') !== null, 'the panel again');
    part(a, b.selfId!, 'match')!.click();
    await until(() => peerIn(a, b)?.trust === 'verified', 'verified');
    await until(() => part(a, b.selfId!, 'verified') !== null, 'the verified badge');
    expect(part(a, b.selfId!, 'badge')!.textContent).to.contain('verified');
    expect(events.at(-1)).to.deep.include({ trust: 'verified', code: codeIn(a, b) });
    // Only Ann confirmed: Bob still sees Ann unverified.
    expect(peerIn(b, a)!.trust).to.equal('unverified');
  });

  it('every pair in a room of three pages has its own code', async () => {
    const signaling = await brokerUrl();
    const room = randomRoomName();
    const [a, b, c] = await Promise.all(['Ann', 'Bob', 'Cat'].map((n) => member(room, signaling, unique(n))));
    await joined(3, a, b, c);
    const pairs: [KibitzRoomElement, KibitzRoomElement][] = [
      [a, b],
      [a, c],
      [b, c],
    ];
    await until(() => pairs.every(([x, y]) => codeIn(x, y) && codeIn(y, x)), 'six codes');
    for (const [x, y] of pairs) {
      expect(codeIn(x, y)).to.match(CODE);
      expect(codeIn(y, x), `${x.name} and ${y.name}`).to.equal(codeIn(x, y));
    }
    expect(new Set(pairs.map(([x, y]) => codeIn(x, y))).size).to.equal(3);
  });

  it("a reload keeps a confirmed peer verified: the pin is in this profile's IndexedDB", async () => {
    const signaling = await brokerUrl();
    const room = randomRoomName();
    const annCert = await newCert();
    const bobName = unique('Bob');
    const a = await member(room, signaling, unique('Ann'), annCert);
    const b = await member(room, signaling, bobName);
    await joined(2, a, b);
    await until(() => Boolean(codeIn(a, b)), 'the code');
    await a.confirmSafetyCode(b.selfId!, true);
    expect(peerIn(a, b)!.trust).to.equal('verified');
    expect(await storedPin(b.selfFingerprint!)).to.deep.include({ name: bobName });

    // The reload: Ann's element goes, a new one with her certificate (her profile's) comes back.
    const annName = a.name;
    a.leave();
    a.remove();
    const a2 = await member(room, signaling, annName, annCert);
    const events = collect(a2, 'kibitz-safety');
    await joined(2, a2);
    await until(() => peerIn(a2, b)?.trust === 'verified', 'still verified');
    await until(() => Boolean(codeIn(a2, b) && codeIn(b, a2)), 'a new code for the new link');
    expect(codeIn(a2, b)).to.equal(codeIn(b, a2));
    expect(events.some((e) => e.alarm)).to.equal(false);
    await a2.updateComplete;
    expect(part(a2, b.selfId!, 'verified')).to.not.equal(null);
  });

  it('the same name with a new certificate shows changed, with the alarm', async () => {
    const signaling = await brokerUrl();
    const room = randomRoomName();
    const bobName = unique('Bob');
    const a = await member(room, signaling, unique('Ann'));
    const b = await member(room, signaling, bobName);
    await joined(2, a, b);
    await until(() => Boolean(codeIn(a, b)), 'the code');
    await a.confirmSafetyCode(b.selfId!, true);
    b.leave();
    await until(() => a.participants.length === 1, 'bob left');

    const events = collect(a, 'kibitz-safety');
    const impostor = await member(room, signaling, bobName);
    await joined(2, impostor);
    await until(() => peerIn(a, impostor)?.trust === 'changed', 'changed');
    const alarm = events.find((e) => e.alarm === 'changed');
    expect(alarm?.peer.id).to.equal(impostor.selfId);
    expect(alarm?.trust).to.equal('changed');
    await a.updateComplete;
    const badge = part(a, impostor.selfId!, 'changed');
    expect(badge).to.not.equal(null);
    expect(badge!.getAttribute('role')).to.equal('alert');
  });
});

/** The pin of one fingerprint as this profile's IndexedDB holds it. */
function storedPin(fingerprint: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('kibitz-pins');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const get = db.transaction('pins').objectStore('pins').get(fingerprint);
      get.onsuccess = () => {
        db.close();
        resolve(get.result);
      };
      get.onerror = () => reject(get.error);
    };
  });
}

describe('a coordinator in the middle of two real pages', () => {
  let mallory: Room | null = null;
  afterEach(() => {
    mallory?.leave();
    mallory = null;
    cleanup();
  });

  /** Mallory's engine coordinates with a test-only link factory; Bob and Cat are ordinary elements. */
  async function attacked(mode: MitmMode) {
    const signaling = await brokerUrl();
    const room = randomRoomName();
    const [malloryCert, faceCert] = await Promise.all([newCert(), newCert()]);
    const mitm = manInTheMiddle({
      inner: rtcLinkFactory({ certificates: [malloryCert] }),
      own: rtcLinkFactory({ certificates: [faceCert] }),
      ownFingerprint: fingerprintOf(faceCert),
      room,
      mode,
    });
    mallory = new Room({
      room,
      name: 'Mallory',
      transport: makeTransport(signaling),
      links: mitm.links,
      localFingerprint: fingerprintOf(malloryCert),
      media: false,
    });
    mitm.bind(mallory);
    await mallory.join();
    const b = await member(room, signaling, unique('Bob'));
    const c = await member(room, signaling, unique('Cat'));
    const events = { b: collect(b, 'kibitz-safety'), c: collect(c, 'kibitz-safety') };
    await joined(3, b, c);
    await until(
      () => mitm.pairs.length === 1 && Boolean(b.engine?.link(c.selfId!)?.isOpen && c.engine?.link(b.selfId!)?.isOpen),
      'bob and cat linked through mallory',
    );
    return { b, c, mitm, events };
  }

  it("the attack is real: messages flow, and each side reads the attacker's certificate where the other's should be", async () => {
    const { b, c, mitm } = await attacked('forward');
    expect(mitm.pairs).to.deep.equal([`${c.selfId}>${b.selfId}`]);
    const got = collect(b, 'kibitz-message');
    c.send('hi bob');
    await until(() => got.length === 1, 'bob hears cat');
    expect(got[0]).to.deep.include({ peerId: c.selfId, data: 'hi bob' });
    await until(() => Boolean(peerIn(b, c)?.fingerprint && peerIn(c, b)?.fingerprint), 'live fingerprints');
    expect(peerIn(b, c)!.fingerprint).to.not.equal(c.selfFingerprint);
    expect(peerIn(c, b)!.fingerprint).to.not.equal(b.selfFingerprint);
  });

  it('running its own exchange with each side: both get codes, and they differ', async () => {
    const { b, c, mitm, events } = await attacked('terminate');
    await until(() => Boolean(codeIn(b, c) && codeIn(c, b)), 'both codes');
    expect(codeIn(b, c)).to.match(CODE);
    expect(codeIn(c, b)).to.match(CODE);
    expect(codeIn(b, c)).to.not.equal(codeIn(c, b));
    await until(() => mitm.codes.size === 2, 'the attacker has both');
    expect([...mitm.codes.values()].sort()).to.deep.equal([codeIn(b, c), codeIn(c, b)].sort());
    expect([...events.b, ...events.c].some((e) => e.alarm)).to.equal(false);
    // Bob and Cat read their codes aloud, hear different digits, and say so.
    await b.confirmSafetyCode(c.selfId!, false);
    expect(events.b.at(-1)).to.deep.include({ alarm: 'mismatch', trust: 'unverified' });
    await b.updateComplete;
    expect(part(b, c.selfId!, 'alarm')).to.not.equal(null);
  });

  it("passing the pair's own exchange through: the reveal does not open the commitment, and the alarm is commitment", async () => {
    const { b, c, events } = await attacked('forward');
    const [committer, responder, seen] = b.selfId! < c.selfId! ? [b, c, events.c] : [c, b, events.b];
    await until(() => seen.some((e) => e.peer.id === committer.selfId && e.alarm === 'commitment'), 'the commitment alarm');
    expect(codeIn(responder, committer)).to.equal(null);
    await until(() => Boolean(codeIn(committer, responder)), "the committer's code");
    await responder.updateComplete;
    const badge = part(responder, committer.selfId!, 'alarm');
    expect(badge?.textContent).to.contain('tampered');
    // No code, so nothing to confirm: the Verify control stays disabled.
    expect((part(responder, committer.selfId!, 'verify') as HTMLButtonElement).disabled).to.equal(true);
  });
});
