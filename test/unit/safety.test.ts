// Safety codes: the crypto against frozen vectors (cross-checked with @noble/hashes), the
// commit-then-reveal exchange on its own, and whole rooms in memory: every pair derives one
// code both ends share, trust is pinned on confirm and survives a reload, a known name on a new
// device is `changed`, and a coordinator that sits in the middle of two members is exposed.
import { expect } from '@open-wc/testing';
import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { concatBytes, fromHex, randomBytes, toHex, utf8 } from '../../src/crypto/bytes.js';
import { deriveSafetyCode, formatSafetyCode, opensCommitment, safetyCommitment } from '../../src/crypto/safety-code.js';
import { MemoryPinStore, SafetyExchange, type SafetyFrame } from '../../src/engine/safety.js';
import { formatFingerprint } from '../../src/engine/rtc-link.js';
import type { Room } from '../../src/engine/room.js';
import { harness, joinAll, record, type Harness } from '../support/memory-room.js';
import { manInTheMiddle, type MitmMode } from '../support/mitm.js';
import { codeOf } from '../support/error-code.js';

interface Vector {
  room: string;
  committerNonce: string;
  responderNonce: string;
  committerFingerprint: string;
  responderFingerprint: string;
  commitment: string;
  code: string;
}

const bytes = (hex: string) => fromHex(hex)!;
const newFingerprint = () => formatFingerprint(randomBytes(32));
const CODE = /^\d{3} \d{3} \d{3} \d{3} \d{3}$/;

async function vectors(): Promise<Vector[]> {
  const response = await fetch(new URL('../vectors/safety-codes.json', import.meta.url));
  return ((await response.json()) as { vectors: Vector[] }).vectors;
}

describe('safety code crypto', () => {
  it('matches the frozen vectors, and @noble/hashes computes the same bytes from the documented encoding', async () => {
    const field = (b: Uint8Array) => concatBytes(new Uint8Array([b.length >> 8, b.length & 0xff]), b);
    for (const v of await vectors()) {
      const commitment = await safetyCommitment(bytes(v.committerNonce), v.committerFingerprint, v.responderFingerprint);
      expect(toHex(commitment)).to.equal(v.commitment);
      const code = await deriveSafetyCode({
        committerNonce: bytes(v.committerNonce),
        responderNonce: bytes(v.responderNonce),
        room: v.room,
        committerFingerprint: v.committerFingerprint,
        responderFingerprint: v.responderFingerprint,
      });
      expect(code).to.equal(v.code);
      const noble = hkdf(
        sha256,
        concatBytes(field(bytes(v.committerNonce)), field(bytes(v.responderNonce))),
        utf8('kibitz/safety-code/v1'),
        concatBytes(field(utf8(v.room)), field(utf8(v.committerFingerprint)), field(utf8(v.responderFingerprint))),
        20,
      );
      expect(formatSafetyCode(noble)).to.equal(v.code);
      const nobleCommitment = sha256(
        concatBytes(
          field(utf8('kibitz/safety-commit/v1')),
          field(bytes(v.committerNonce)),
          field(utf8(v.committerFingerprint)),
          field(utf8(v.responderFingerprint)),
        ),
      );
      expect(toHex(nobleCommitment)).to.equal(v.commitment);
    }
  });

  it('a code is five groups of three digits (about 49.8 bits, above the 40 required)', async () => {
    expect(5 * Math.log2(1000)).to.be.greaterThan(40);
    for (let i = 0; i < 20; i++) {
      const code = await deriveSafetyCode({
        committerNonce: randomBytes(32),
        responderNonce: randomBytes(32),
        room: 'r',
        committerFingerprint: newFingerprint(),
        responderFingerprint: newFingerprint(),
      });
      expect(code).to.match(CODE);
    }
  });

  it('a reveal opens its commitment only with the same nonce and the same two fingerprints in the same roles', async () => {
    const [v] = await vectors();
    const commitment = bytes(v.commitment);
    const nonce = bytes(v.committerNonce);
    expect(await opensCommitment(commitment, nonce, v.committerFingerprint, v.responderFingerprint)).to.equal(true);
    expect(await opensCommitment(commitment, nonce, v.responderFingerprint, v.committerFingerprint)).to.equal(false);
    expect(await opensCommitment(commitment, nonce, newFingerprint(), v.responderFingerprint)).to.equal(false);
    expect(await opensCommitment(commitment, nonce, v.committerFingerprint, newFingerprint())).to.equal(false);
    // Flip any bit of the nonce or of the commitment: it no longer opens.
    for (let i = 0; i < 32; i++) {
      const badNonce = nonce.slice();
      badNonce[i] ^= 1 << (i % 8);
      expect(await opensCommitment(commitment, badNonce, v.committerFingerprint, v.responderFingerprint)).to.equal(false);
      const badCommitment = commitment.slice();
      badCommitment[i] ^= 0x80;
      expect(await opensCommitment(badCommitment, nonce, v.committerFingerprint, v.responderFingerprint)).to.equal(false);
    }
    expect(await opensCommitment(commitment.subarray(1), nonce, v.committerFingerprint, v.responderFingerprint)).to.equal(false);
    expect(await opensCommitment(commitment, nonce.subarray(1), v.committerFingerprint, v.responderFingerprint)).to.equal(false);
  });

  it('every input changes the code: each nonce, the room, and each fingerprint', async () => {
    const [v] = await vectors();
    const base = {
      committerNonce: bytes(v.committerNonce),
      responderNonce: bytes(v.responderNonce),
      room: v.room,
      committerFingerprint: v.committerFingerprint,
      responderFingerprint: v.responderFingerprint,
    };
    const variants = [
      { committerNonce: randomBytes(32) },
      { responderNonce: randomBytes(32) },
      { room: 'team standup 2' },
      { committerFingerprint: newFingerprint() },
      { responderFingerprint: newFingerprint() },
      { committerFingerprint: v.responderFingerprint, responderFingerprint: v.committerFingerprint },
    ];
    for (const variant of variants) expect(await deriveSafetyCode({ ...base, ...variant })).to.not.equal(v.code);
  });

  it('refuses inputs that are not 32-byte nonces and SHA-256 fingerprints', async () => {
    const fp = newFingerprint();
    for (const [nonce, own, seen] of [
      [randomBytes(31), fp, fp],
      [randomBytes(32), 'not a fingerprint', fp],
      [randomBytes(32), fp, ''],
    ] as const) {
      let threw = false;
      await safetyCommitment(nonce, own, seen).catch(() => (threw = true));
      expect(threw).to.equal(true);
    }
  });
});

/** Two ends of one exchange wired to each other, with a hook on the wire. */
function pair(room = 'r', tamper: (frame: SafetyFrame, to: 'committer' | 'responder') => SafetyFrame | null = (f) => f) {
  const fpC = newFingerprint();
  const fpR = newFingerprint();
  const wire: Promise<unknown>[] = [];
  const committer: SafetyExchange = new SafetyExchange({
    committer: true,
    own: fpC,
    seen: fpR,
    room,
    random: randomBytes,
    send: (frame) => {
      const f = tamper(frame, 'responder');
      if (f) wire.push(responder.receive(f));
    },
  });
  const responder: SafetyExchange = new SafetyExchange({
    committer: false,
    own: fpR,
    seen: fpC,
    room,
    random: randomBytes,
    send: (frame) => {
      const f = tamper(frame, 'committer');
      if (f) wire.push(committer.receive(f));
    },
  });
  const settle = async () => {
    while (wire.length) await wire.shift();
  };
  return { committer, responder, settle };
}

describe('the commit-then-reveal exchange', () => {
  it('two honest ends derive the same code', async () => {
    const { committer, responder, settle } = pair();
    await committer.start();
    await settle();
    expect(committer.code).to.match(CODE);
    expect(responder.code).to.equal(committer.code);
  });

  it('a reveal other than the committed nonce fails the exchange for good, with no code and no retry', async () => {
    const { committer, responder, settle } = pair('r', (frame) => (frame.step === 'reveal' ? { ...frame, v: 'A'.repeat(43) } : frame));
    await committer.start();
    await settle();
    expect(responder.failed).to.equal(true);
    expect(responder.code).to.equal(null);
    // The honest reveal arriving afterwards changes nothing: one try per pair.
    expect(await responder.receive({ t: 'safety', step: 'reveal', v: 'B'.repeat(43) })).to.equal(false);
    expect(responder.code).to.equal(null);
  });

  it('frames out of turn fail it: a second commitment, a reveal before the nonce, a nonce to the responder', async () => {
    const v = 'C'.repeat(43);
    const a = pair();
    await a.responder.receive({ t: 'safety', step: 'commit', v });
    expect(await a.responder.receive({ t: 'safety', step: 'commit', v })).to.equal(false);

    const b = pair();
    expect(await b.responder.receive({ t: 'safety', step: 'reveal', v })).to.equal(false);

    const c = pair();
    expect(await c.responder.receive({ t: 'safety', step: 'nonce', v })).to.equal(false);

    const d = pair();
    expect(await d.committer.receive({ t: 'safety', step: 'nonce', v })).to.equal(false); // before it committed

    const e = pair();
    await e.committer.start();
    await e.settle();
    expect(e.committer.code).to.match(CODE);
    expect(await e.committer.receive({ t: 'safety', step: 'nonce', v })).to.equal(false);
    expect(e.committer.code).to.equal(null);
  });
});

// ---- whole rooms in memory --------------------------------------------------------------

const codeWith = (room: Room, peer: Room) => room.participants.find((p) => p.id === peer.selfId)?.safetyCode ?? null;
const trustOf = (room: Room, peer: Room) => room.participants.find((p) => p.id === peer.selfId)?.trust;

async function settle(h: Harness): Promise<void> {
  await h.clock.advance(200);
}

describe('safety codes in a room', () => {
  it('both ends of a pair show the same code, bound to the fingerprints each end sees live', async () => {
    const h = harness('standup');
    const [a, b] = ['ann', 'bob'].map(h.make);
    const seenA = record(a, 'safety');
    await joinAll(h, a, b);
    await settle(h);
    expect(codeWith(a, b)).to.match(CODE);
    expect(codeWith(b, a)).to.equal(codeWith(a, b));
    expect(trustOf(a, b)).to.equal('unverified');
    expect(a.participants.find((p) => p.self)).to.deep.include({ safetyCode: null, trust: 'verified' });
    expect(a.selfFingerprint).to.equal(await b.fingerprintOf(a.selfId));
    expect(seenA.filter((s) => s.code)).to.have.length(1);
    expect(seenA[seenA.length - 1]).to.deep.include({ code: codeWith(a, b), trust: 'unverified' });
    expect(seenA[seenA.length - 1].peer.id).to.equal(b.selfId);
    expect(seenA.some((s) => s.alarm)).to.equal(false);
  });

  it('every pair in a room of three has its own code', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    await settle(h);
    const ab = codeWith(a, b);
    const ac = codeWith(a, c);
    const bc = codeWith(b, c);
    expect([ab, ac, bc].every((code) => code && CODE.test(code))).to.equal(true);
    expect(codeWith(b, a)).to.equal(ab);
    expect(codeWith(c, a)).to.equal(ac);
    expect(codeWith(c, b)).to.equal(bc);
    expect(new Set([ab, ac, bc]).size).to.equal(3);
  });

  it('no code without this peer knowing its own certificate', async () => {
    const h = harness('standup');
    const a = h.makeWith('ann', { localFingerprint: null });
    const b = h.make('bob');
    await joinAll(h, a, b);
    await settle(h);
    expect(codeWith(a, b)).to.equal(null);
    expect(a.selfFingerprint).to.equal(null);
    expect(await codeOf(a.confirmSafetyCode(b.selfId, true))).to.equal('ERR_NO_SAFETY_CODE');
  });

  it('a confirmed peer is verified, and stays verified after a reload (same certificate, same pin store)', async () => {
    const h = harness('standup');
    const pins = new MemoryPinStore();
    const fpA = newFingerprint();
    const fpB = newFingerprint();
    const a = h.makeWith('ann', { pins, localFingerprint: fpA });
    const b = h.makeWith('bob', { localFingerprint: fpB });
    await joinAll(h, a, b);
    await settle(h);
    const seen = record(a, 'safety');
    await a.confirmSafetyCode(b.selfId, true);
    expect(trustOf(a, b)).to.equal('verified');
    expect(seen).to.have.length(1);
    expect(seen[0]).to.deep.include({ code: codeWith(a, b), trust: 'verified' });
    expect(await pins.load()).to.deep.equal([{ fingerprint: fpB, name: 'bob', pinnedAt: h.clock.now() }]);
    // Bob confirmed nothing: Ann is unverified to him.
    expect(trustOf(b, a)).to.equal('unverified');

    // Ann reloads: a new Room with her certificate and her browser's pins.
    a.leave();
    await settle(h);
    const a2 = h.makeWith('ann', { pins, localFingerprint: fpA });
    const seen2 = record(a2, 'safety');
    await joinAll(h, a2);
    await settle(h);
    expect(trustOf(a2, b)).to.equal('verified');
    expect(codeWith(a2, b)).to.equal(codeWith(b, a2));
    expect(seen2.some((s) => s.peer.id === b.selfId && s.trust === 'verified')).to.equal(true);
    expect(seen2.some((s) => s.alarm)).to.equal(false);
  });

  it('the same name on another certificate later is changed, with the alarm', async () => {
    const h = harness('standup');
    const pins = new MemoryPinStore();
    const a = h.makeWith('ann', { pins });
    const b = h.make('bob');
    await joinAll(h, a, b);
    await settle(h);
    await a.confirmSafetyCode(b.selfId, true);
    b.leave();
    await settle(h);
    const alarms = record(a, 'safety');
    const impostor = h.make('Bob ');
    await joinAll(h, impostor);
    await settle(h);
    expect(trustOf(a, impostor)).to.equal('changed');
    const alarm = alarms.find((s) => s.alarm === 'changed');
    expect(alarm?.peer.id).to.equal(impostor.selfId);
    expect(alarm?.trust).to.equal('changed');
    // A nameless guest never collides with a pin, and a stranger's name does not either.
    const guest = h.make('');
    const cat = h.make('cat');
    await joinAll(h, guest, cat);
    await settle(h);
    expect(trustOf(a, guest)).to.equal('unverified');
    expect(trustOf(a, cat)).to.equal('unverified');
    // Confirming the new device (a new laptop, say) makes it verified.
    await a.confirmSafetyCode(impostor.selfId, true);
    expect(trustOf(a, impostor)).to.equal('verified');
  });

  it('a rename onto a confirmed name raises the changed alarm', async () => {
    const h = harness('standup');
    const pins = new MemoryPinStore();
    await pins.save({ fingerprint: newFingerprint(), name: 'dana', pinnedAt: 0 });
    const a = h.makeWith('ann', { pins });
    const b = h.make('eve');
    await joinAll(h, a, b);
    await settle(h);
    expect(trustOf(a, b)).to.equal('unverified');
    const alarms = record(a, 'safety');
    b.setName('Dana');
    await settle(h);
    expect(trustOf(a, b)).to.equal('changed');
    expect(alarms.map((s) => s.alarm)).to.deep.equal(['changed']);
  });

  it('"no match" raises the mismatch alarm and unpins the device', async () => {
    const h = harness('standup');
    const pins = new MemoryPinStore();
    const a = h.makeWith('ann', { pins });
    const b = h.make('bob');
    await joinAll(h, a, b);
    await settle(h);
    await a.confirmSafetyCode(b.selfId, true);
    const seen = record(a, 'safety');
    await a.confirmSafetyCode(b.selfId, false);
    expect(seen).to.have.length(1);
    expect(seen[0]).to.deep.include({ alarm: 'mismatch', trust: 'unverified', code: codeWith(a, b) });
    expect(await pins.load()).to.deep.equal([]);
    expect(await codeOf(a.confirmSafetyCode('pnobody', true))).to.equal('ERR_UNKNOWN_PEER');
  });

  it('a safety frame from anyone but the pair itself is dropped', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    await settle(h);
    const before = c.dropped.malformed;
    h.endOf(c, b).receiveControl(JSON.stringify({ t: 'safety', step: 'commit', v: 'A'.repeat(43), from: a.selfId }));
    expect(c.dropped.malformed).to.equal(before + 1);
    expect(codeWith(c, b)).to.equal(codeWith(b, c));
  });
});

describe('a coordinator in the middle of two members (in memory)', () => {
  /** Ann coordinates and swaps in her own handshakes between Bob and Cat. */
  async function attacked(mode: MitmMode) {
    const h = harness('standup');
    const fpA = newFingerprint();
    const fpM = newFingerprint();
    const mitm = manInTheMiddle({
      inner: h.net.factory(fpA),
      own: h.net.factory(fpM),
      ownFingerprint: fpM,
      room: 'standup',
      mode,
    });
    const a = h.makeWith('ann', { links: mitm.links, localFingerprint: fpA });
    mitm.bind(a);
    const [b, c] = ['bob', 'cat'].map(h.make);
    const alarms = { b: record(b, 'safety'), c: record(c, 'safety') };
    await joinAll(h, a, b, c);
    await settle(h);
    return { h, a, b, c, mitm, alarms };
  }

  it('the attack works on the wire: Bob and Cat talk through Ann and see her certificate, not each other', async () => {
    const { h, b, c, mitm } = await attacked('forward');
    expect(mitm.pairs).to.deep.equal([`${c.selfId}>${b.selfId}`]);
    const got = record(b, 'message');
    c.send('hi bob');
    await h.clock.advance(10);
    expect(got).to.deep.equal([{ peerId: c.selfId, data: 'hi bob', to: null }]);
    expect(await b.fingerprintOf(c.selfId)).to.not.equal(c.selfFingerprint);
    expect(await c.fingerprintOf(b.selfId)).to.not.equal(b.selfFingerprint);
  });

  it('passing the pair exchange through: the reveal does not open the commitment, the responder raises commitment and has no code', async () => {
    const { b, c, alarms } = await attacked('forward');
    const [committer, responder, responderAlarms] = b.selfId < c.selfId ? [b, c, alarms.c] : [c, b, alarms.b];
    const aboutCommitter = responderAlarms.filter((s) => s.peer.id === committer.selfId);
    expect(aboutCommitter.map((s) => s.alarm)).to.deep.equal(['commitment']);
    expect(aboutCommitter[0].code).to.equal(null);
    expect(codeWith(responder, committer)).to.equal(null);
    // The committer got a code, computed over the attacker's certificate: nothing to match it with.
    expect(codeWith(committer, responder)).to.not.equal(codeWith(responder, committer));
  });

  it('running an honest exchange with each side: both get codes, and they differ', async () => {
    const { h, b, c, alarms, mitm } = await attacked('terminate');
    const bc = codeWith(b, c);
    const cb = codeWith(c, b);
    expect(bc).to.match(CODE);
    expect(cb).to.match(CODE);
    expect(bc).to.not.equal(cb);
    // The attacker knows both codes, but cannot make them one: it had to commit (or answer) before seeing the other nonce.
    expect([...mitm.codes.values()].sort()).to.deep.equal([bc, cb].sort());
    expect([...alarms.b, ...alarms.c].some((s) => s.alarm)).to.equal(false);
    // The people compare, find different codes, and say so.
    const seen = record(b, 'safety');
    await b.confirmSafetyCode(c.selfId, false);
    expect(seen[0]).to.deep.include({ alarm: 'mismatch' });
    await h.clock.advance(10);
  });
});
