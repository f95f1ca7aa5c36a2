// The host layer against the real broker: a verified host moderates; forged, replayed,
// cross-room, stale, future-dated and wrongly bound commands are rejected by the
// coordinator and by every other peer; a coordinator that is not host cannot moderate.
// Attacks are forged frames put on the wire from the attacking peer's own links; verdicts
// are read from the engine's public `rejected` event and from the element's state.
import { expect } from '@open-wc/testing';
import { createHostCommand, signHostCommand } from '../../src/crypto/command.js';
import { generateHostKey, unsealHostKey } from '../../src/crypto/host-key.js';
import { createRoom } from '../../src/crypto/room-link.js';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { brokerUrl, cleanup, collect, engineOf, makeRoom, until } from './helpers.js';

const PASS = 'correct horse battery staple';

/** Host commands each element's engine refused, by reason, counted from its `rejected` events. */
const refusals = new WeakMap<KibitzRoomElement, Record<string, number>>();
function countRefusals(el: KibitzRoomElement): void {
  const counts: Record<string, number> = {};
  refusals.set(el, counts);
  engineOf(el).on('rejected', ({ reason }) => {
    counts[reason] = (counts[reason] ?? 0) + 1;
  });
}
const rejected = (el: KibitzRoomElement, reason: string) => refusals.get(el)![reason] ?? 0;
const totalRejected = (el: KibitzRoomElement) => Object.values(refusals.get(el)!).reduce((a, b) => a + b, 0);

/** Put a host frame on the wire from `from` to `to`, as `from`'s engine would, whatever it says. */
function sendHostFrame(from: KibitzRoomElement, to: KibitzRoomElement, frame: { cmd: unknown; from?: string }): void {
  const link = engineOf(from).link(to.selfId!);
  if (!link) throw new Error(`${from.name} has no link to ${to.name}`);
  link.sendControl(JSON.stringify({ t: 'host', ...frame }));
}

const newCert = () => RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams);

async function fingerprintOf(cert: RTCCertificate): Promise<string> {
  return cert.getFingerprints()[0].value!.toLowerCase();
}

interface Fixture {
  room: string;
  hostKey: string;
  secretKey: Uint8Array;
  coord: KibitzRoomElement;
  host: KibitzRoomElement;
  peer: KibitzRoomElement;
  hostFp: string;
  coordFp: string;
}

async function threeWithHost(): Promise<Fixture> {
  const signaling = await brokerUrl();
  const made = await createRoom({ hostPassphrase: PASS, base: 'https://example.test/' });
  const attrs = { room: made.room, signaling, 'host-key': made.hostKey!, 'host-seal': made.hostSeal! };
  const certs = await Promise.all([newCert(), newCert(), newCert()]);
  const [coord, host, peer] = ['Coordinator', 'Host', 'Peer'].map((name, i) => {
    const el = makeRoom({ ...attrs, name });
    el.certificate = certs[i];
    return el;
  });
  await coord.join();
  await host.join();
  await peer.join();
  for (const el of [coord, host, peer]) await until(() => el.participants.length === 3, 'three joined');
  await until(() => [coord, host, peer].every((el) => el.participants.every((p) => p.self || p.fingerprint)), 'live fingerprints');
  for (const el of [coord, host, peer]) countRefusals(el);
  await host.claimHost(PASS);
  for (const el of [coord, host, peer]) {
    await until(() => el.hostId === host.selfId, `${el.name} verifies the host`, 40_000).catch((err: Error) => {
      throw new Error(`${err.message} (its refusals: ${JSON.stringify(refusals.get(el))})`);
    });
  }
  const secretKey = await unsealHostKey(made.hostSeal!, PASS, made.hostKey);
  return {
    room: made.room,
    hostKey: made.hostKey!,
    secretKey,
    coord,
    host,
    peer,
    hostFp: await fingerprintOf(certs[1]),
    coordFp: await fingerprintOf(certs[0]),
  };
}

/** A tampered coordinator relays a frame to everyone, claiming it comes from `from`. */
function relayAsCoordinator(f: Fixture, from: string, cmd: unknown): void {
  for (const to of [f.host, f.peer]) sendHostFrame(f.coord, to, { from, cmd });
}

const settle = () => new Promise((r) => setTimeout(r, 400));

describe('host moderation through the real broker', () => {
  afterEach(cleanup);

  it('only the verified host moderates: the coordinator and other peers get ERR_NOT_HOST and nothing changes', async () => {
    const f = await threeWithHost();
    for (const el of [f.coord, f.peer]) {
      let code = '';
      await el.lock().catch((e) => (code = e.code));
      expect(code).to.equal('ERR_NOT_HOST');
      await el.kick(f.host.selfId!).catch((e) => (code = e.code));
      expect(code).to.equal('ERR_NOT_HOST');
    }
    await settle();
    for (const el of [f.coord, f.host, f.peer]) expect(el.locked).to.equal(false);
    expect(f.peer.participants.length).to.equal(3);

    await f.host.lock();
    for (const el of [f.coord, f.host, f.peer]) await until(() => el.locked, `${el.name} sees the lock`);
    await f.host.unlock();
    for (const el of [f.coord, f.host, f.peer]) await until(() => !el.locked, `${el.name} sees the unlock`);
  });

  it('a wrong passphrase is refused with ERR_BAD_PASSPHRASE and grants nothing', async () => {
    const f = await threeWithHost();
    let code = '';
    await f.peer.claimHost('not the passphrase').catch((e) => (code = e.code));
    expect(code).to.equal('ERR_BAD_PASSPHRASE');
    expect(f.peer.isHost).to.equal(false);
    await settle();
    expect(f.coord.hostId).to.equal(f.host.selfId);
  });

  it('rejects forged, replayed, cross-room, stale, future-dated and wrongly bound commands at every peer', async () => {
    const f = await threeWithHost();
    await f.host.lock();
    await until(() => f.peer.locked, 'a genuine lock (a signed room-state record)');
    // A genuine signed command, bound to the host's certificate, sent as the host sends: to the
    // coordinator, which relays it. Both accept it once, which makes a second delivery a replay.
    const genuine = await signHostCommand(
      createHostCommand({ room: f.room, op: 'claim', target: f.host.selfId!, fp: f.hostFp, now: Date.now() }),
      f.secretKey,
      f.hostKey,
    );
    const refusedBefore = [totalRejected(f.coord), totalRejected(f.peer)];
    sendHostFrame(f.host, f.coord, { cmd: genuine });
    await settle();
    expect([totalRejected(f.coord), totalRejected(f.peer)], 'the genuine command is accepted').to.deep.equal(refusedBefore);
    await f.host.unlock();
    await until(() => !f.peer.locked && !f.coord.locked, 'unlocked');

    const now = Date.now();
    const sign = (fields: Partial<Parameters<typeof createHostCommand>[0]>, key = { secretKey: f.secretKey, publicKey: f.hostKey }) =>
      signHostCommand(
        createHostCommand({ room: f.room, op: 'lock', target: '', fp: f.hostFp, now, ...fields }),
        key.secretKey,
        key.publicKey,
      );
    const attacks: [string, unknown][] = [
      ['signature', await sign({}, await generateHostKey())],
      ['replay', genuine],
      ['room', await sign({ room: `${f.room} elsewhere` })],
      ['stale', await sign({ now: now - 121_000 })],
      ['future', await sign({ now: now + 180_000 })],
      ['binding', await sign({ fp: f.coordFp })],
    ];

    // 1. A tampered coordinator relays each attack as if the host had sent it.
    for (const [reason, cmd] of attacks) {
      const before = { host: rejected(f.host, reason), peer: rejected(f.peer, reason) };
      relayAsCoordinator(f, f.host.selfId!, cmd);
      await until(() => rejected(f.peer, reason) > before.peer, `peer rejects ${reason}`);
      expect(f.peer.locked, `peer after ${reason}`).to.equal(false);
    }

    // 2. Each attack arrives over the host's own link, so the coordinator rejects it for exactly
    // the flawed property. It relays only what is well formed, signed, for this room and fresh:
    // the other peer sees none of the rest, and rejects the wrongly bound one itself.
    for (const [reason, cmd] of attacks) {
      const before = { coord: rejected(f.coord, reason), peer: rejected(f.peer, reason), peerAll: totalRejected(f.peer) };
      sendHostFrame(f.host, f.coord, { cmd });
      await until(() => rejected(f.coord, reason) > before.coord, `coordinator rejects ${reason}`);
      if (reason === 'binding') await until(() => rejected(f.peer, reason) > before.peer, `peer rejects relayed ${reason}`);
      else {
        await settle();
        expect(totalRejected(f.peer), `nothing relayed after ${reason}`).to.equal(before.peerAll);
      }
      expect(f.coord.locked, `coordinator after ${reason}`).to.equal(false);
    }

    // 3. A participant that captured a genuine command replays it to the coordinator.
    const coordBefore = totalRejected(f.coord);
    sendHostFrame(f.peer, f.coord, { cmd: genuine });
    await until(() => totalRejected(f.coord) > coordBefore, 'coordinator rejects a replay from a participant');

    // 4. A genuine signature bound to the host's certificate, but relayed as coming from the
    // coordinator: the binding is checked against the link to the claimed signer.
    const redirected = await sign({});
    const before = rejected(f.peer, 'binding');
    relayAsCoordinator(f, f.coord.selfId!, redirected);
    await until(() => rejected(f.peer, 'binding') > before, 'redirected command rejected');
    await settle();
    for (const el of [f.coord, f.host, f.peer]) expect(el.locked).to.equal(false);
    expect(f.peer.participants.length).to.equal(3);
  });

  it('an open room has no host: moderation rejects with ERR_NO_HOST and injected commands are dropped', async () => {
    const signaling = await brokerUrl();
    const room = `open ${Math.random()}`;
    const a = makeRoom({ room, name: 'A', signaling });
    const b = makeRoom({ room, name: 'B', signaling });
    a.certificate = await newCert();
    b.certificate = await newCert();
    await a.join();
    await b.join();
    await until(() => b.participants.length === 2, 'two joined');
    countRefusals(a);
    let code = '';
    await a.lock().catch((e) => (code = e.code));
    expect(code).to.equal('ERR_NO_HOST');
    await a.claimHost('anything').catch((e) => (code = e.code));
    expect(code).to.equal('ERR_NO_HOST');
    const key = await generateHostKey();
    const cmd = await signHostCommand(
      createHostCommand({ room, op: 'lock', fp: 'aa'.repeat(32), now: Date.now() }),
      key.secretKey,
      key.publicKey,
    );
    sendHostFrame(b, a, { cmd });
    await until(() => rejected(a, 'no-host') > 0, 'the coordinator drops it');
    expect(a.locked).to.equal(false);
  });

  it('the soft host-name tier makes whoever joins under that name host', async () => {
    const signaling = await brokerUrl();
    const room = `named ${Math.random()}`;
    const a = makeRoom({ room, name: 'Guest', signaling, 'host-name': 'Alice' });
    const b = makeRoom({ room, name: 'alice', signaling, 'host-name': 'Alice' });
    await a.join();
    await b.join();
    await until(() => a.hostId === b.selfId && b.isHost, 'alice is host');
    const locks = collect(a, 'kibitz-lock');
    await b.lock();
    await until(() => a.locked, 'the named host locks');
    expect(locks).to.deep.equal([{ locked: true }]);
    let code = '';
    await a.unlock().catch((e) => (code = e.code));
    expect(code).to.equal('ERR_NOT_HOST');
  });
});
