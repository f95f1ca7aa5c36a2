// Room state comes only from what the host signed: every peer verifies the host's record and
// keeps the highest sequence; a coordinator can replicate it or withhold news, never invent a
// ban, a lock or a lobby. Host frames are checked before anything waits, and a command seen
// before a reload is still refused after it. In memory, on a manual clock, with real WebCrypto.
import { expect } from '@open-wc/testing';
import { createHostCommand, signHostCommand } from '../../src/crypto/command.js';
import { generateHostKey } from '../../src/crypto/host-key.js';
import { createRoomState, signRoomState } from '../../src/crypto/room-state.js';
import type { LinkFactory } from '../../src/engine/link.js';
import type { ReplayStore } from '../../src/engine/moderation.js';
import type { Room } from '../../src/engine/room.js';
import { harness, ids, joinAll, record, rosterFrom, settle, type Harness } from '../support/memory-room.js';
import { codeOf } from '../support/error-code.js';

const ROOM = 'board meeting';

async function hostedRoom(names: string[]) {
  const key = await generateHostKey();
  const h = harness(ROOM);
  const hostFp = 'cd:'.repeat(31) + 'cd';
  const host = h.makeWith('host', { host: { hostKey: key.publicKey }, hostSecret: key.secretKey, localFingerprint: hostFp });
  const others = names.map((name) => h.makeWith(name, { host: { hostKey: key.publicKey } }));
  await joinAll(h, host, ...others);
  await settle(h);
  return { h, key, host, hostFp, others };
}

const makeGuest = (h: Harness, name: string, hostKey: string) => h.makeWith(name, { host: { hostKey } });

describe('room state from the host’s signed record', () => {
  it('a lock the host signs reaches every peer, refuses a newcomer, and outlives the host and a coordinator change', async () => {
    const { h, key, host, others } = await hostedRoom(['ann', 'bob']);
    const [ann, bob] = others;
    expect(host.isHost).to.equal(true);
    expect(ann.hostId).to.equal(host.selfId);
    await host.moderate('lock');
    await settle(h);
    for (const room of [host, ann, bob]) expect(room.control.locked, room.name).to.equal(true);
    const late = makeGuest(h, 'late', key.publicKey);
    expect(await codeOf(Promise.all([late.join(), settle(h)]))).to.equal('ERR_REFUSED');
    // The host leaves; then the coordinator (the host, first in) is gone and ann takes over.
    host.leave();
    await settle(h);
    expect(ann.isCoordinator).to.equal(true);
    expect(ann.control.locked).to.equal(true);
    expect(bob.control.locked).to.equal(true);
    const later = makeGuest(h, 'later', key.publicKey);
    expect(await codeOf(Promise.all([later.join(), settle(h)]))).to.equal('ERR_REFUSED');
  });

  it('the verified host leaving ends its verification everywhere: hostId is null and `host` reports null', async () => {
    const { h, host, others } = await hostedRoom(['ann', 'bob']);
    const [ann, bob] = others;
    const told = others.map((room) => record(room, 'host'));
    for (const room of others) expect(room.hostId, room.name).to.equal(host.selfId);
    host.leave();
    await settle(h);
    for (const [i, room] of [ann, bob].entries()) {
      expect(room.hostId, room.name).to.equal(null);
      expect(told[i]!.at(-1), room.name).to.deep.equal({ peerId: null });
      expect(
        room.participants.some((p) => p.host),
        room.name,
      ).to.equal(false);
    }
  });

  it('a kick bans the certificate in the signed record: the kicked page is refused when it comes back, under a new coordinator too', async () => {
    const { h, key, host, others } = await hostedRoom(['ann', 'bob']);
    const [ann, bob] = others;
    const bobFp = await ann.fingerprintOf(bob.selfId);
    await host.moderate('kick', bob.selfId);
    await h.clock.advance(5000);
    expect(bob.state).to.equal('kicked');
    expect(ids(ann)).to.deep.equal([host.selfId, ann.selfId]);
    expect(ann.control.bans).to.include(bobFp);
    // The same certificate under a new peer id, after the host left and ann coordinates.
    host.leave();
    await settle(h);
    const back = h.makeWith('bob again', { host: { hostKey: key.publicKey }, localFingerprint: bobFp! });
    expect(await codeOf(Promise.all([back.join(), settle(h)]))).to.equal('ERR_REFUSED');
  });

  it('commands that outrun the link to their signer share one wait: the claim and the kick after it both count once the link is up', async () => {
    const { h, key, host } = await hostedRoom(['ann']);
    // Bob's links report no certificate until released, as a link still in its handshake does.
    const bobFp = 'ab:'.repeat(31) + 'ab';
    let held = true;
    const base = h.net.factory(bobFp);
    const links: LinkFactory = (options) => {
      const link = base(options);
      const live = link.fingerprint.bind(link);
      link.fingerprint = () => (held ? Promise.resolve(null) : live());
      return link;
    };
    const bob = h.makeWith('bob', { host: { hostKey: key.publicKey }, links, localFingerprint: bobFp });
    const rejected = record(bob, 'rejected');
    await Promise.all([bob.join(), settle(h)]);
    // The host's claim (sent as bob joined) waits at bob; the kick arrives while it does.
    await host.moderate('kick', bob.selfId);
    await settle(h);
    expect(bob.state).to.equal('joined');
    held = false;
    await settle(h, 20);
    expect(bob.state).to.equal('kicked');
    expect(bob.hostId).to.equal(host.selfId);
    expect(rejected).to.deep.equal([]);
  });

  it('a coordinator cannot invent a ban, a lock or a lobby: records signed by another key, out of shape or older change nothing', async () => {
    const { h, key, host, others } = await hostedRoom(['ann', 'bob']);
    const [ann, bob] = others;
    await host.moderate('lobby-on');
    await settle(h);
    expect(bob.control.lobby).to.equal(true);
    const before = bob.control;
    // The coordinator is the host here; the forger sends rosters on its own link as a coordinator would.
    const forger = await generateHostKey();
    const forged = await signRoomState(
      createRoomState({ room: ROOM, seq: Date.now() * 2, locked: true, lobby: false, bans: [ann.selfId] }),
      forger.secretKey,
      forger.publicKey,
    );
    const older = await signRoomState(
      createRoomState({ room: ROOM, seq: 1, locked: true, lobby: false, bans: [ann.selfId] }),
      key.secretKey,
      key.publicKey,
    );
    const unsigned = { p: 'kibitz-state', v: 1, room: ROOM, seq: 2 ** 40, locked: true, lobby: false, bans: [ann.selfId] };
    const rejected = record(bob, 'rejected');
    for (const cmd of [forged, older, unsigned]) host.link(bob.selfId)!.sendControl(JSON.stringify({ t: 'host', cmd }));
    await settle(h);
    expect(bob.control).to.deep.equal(before);
    expect(rejected.map((r) => r.reason)).to.deep.equal(['signature', 'malformed']);
    // A roster carrying the forged record is just as powerless.
    const roster = rosterFrom(host, { nextOrder: 3, knocks: [{ id: 'pfake', name: 'nobody' }], record: forged }, 999);
    host.link(bob.selfId)!.sendControl(roster);
    await settle(h);
    expect({ ...bob.control, knocks: [] }).to.deep.equal({ ...before, knocks: [] });
  });

  it('junk host frames are refused before anything waits: no pending timers, and the coordinator relays none', async () => {
    const { h, host, others } = await hostedRoom(['ann', 'bob']);
    const [ann, bob] = others;
    const relayed = record(bob, 'rejected');
    const refused = record(host, 'rejected');
    const pending = h.clock.pending();
    const junk = [
      {},
      { p: 'kibitz-host' },
      { p: 'kibitz-host', v: 1, room: ROOM, op: 'kick', target: bob.selfId, fp: 'x', iat: 1, id: 'a'.repeat(22), sig: 'A'.repeat(86) },
    ];
    for (let i = 0; i < 300; i++) ann.link(host.selfId)!.sendControl(JSON.stringify({ t: 'host', cmd: junk[i % junk.length] }));
    await settle(h, 20);
    expect(h.clock.pending()).to.be.at.most(pending + 12);
    expect(refused).to.have.length(300);
    expect(new Set(refused.map((r) => r.reason))).to.deep.equal(new Set(['malformed', 'signature']));
    expect(relayed).to.deep.equal([]);
    expect(ids(bob)).to.have.length(3);
  });

  it('a command verified before a reload is refused as a replay after it (the guard is kept per room)', async () => {
    const { h, key, host, hostFp, others } = await hostedRoom(['ann']);
    const [ann] = others;
    const kept = new Map<string, string>();
    const store: ReplayStore = {
      load: () => JSON.parse(kept.get('ids') ?? '[]'),
      save: (entries) => void kept.set('ids', JSON.stringify(entries)),
    };
    const bobFp = 'ef:'.repeat(31) + 'ef';
    const bob = h.makeWith('bob', { host: { hostKey: key.publicKey }, replayStore: store, localFingerprint: bobFp });
    await joinAll(h, bob);
    await settle(h);
    const cmd = await signHostCommand(
      createHostCommand({ room: ROOM, op: 'claim', target: host.selfId, fp: hostFp, now: h.clock.now() }),
      key.secretKey,
      key.publicKey,
    );
    const verdicts = record(bob, 'rejected');
    host.link(bob.selfId)!.sendControl(JSON.stringify({ t: 'host', cmd }));
    await settle(h);
    expect(verdicts).to.deep.equal([]);
    // Reload: the page comes back with the same certificate and storage, under a new id.
    bob.leave();
    const reloaded: Room = h.makeWith('bob', { host: { hostKey: key.publicKey }, replayStore: store, localFingerprint: bobFp });
    await joinAll(h, reloaded);
    await settle(h);
    const after = record(reloaded, 'rejected');
    host.link(reloaded.selfId)!.sendControl(JSON.stringify({ t: 'host', cmd }));
    await settle(h);
    expect(after).to.deep.equal([{ reason: 'replay', from: host.selfId }]);
    expect(ids(ann)).to.have.length(3);
  });

  it('a guest’s name is the one it knocked with: a second hello while waiting changes nothing the host sees or admits', async () => {
    const { h, key, host, others } = await hostedRoom(['ann']);
    const [ann] = others;
    await host.moderate('lobby-on');
    await settle(h);
    const guest = makeGuest(h, 'Alice', key.publicKey);
    const waiting = guest.join();
    await settle(h);
    expect(guest.state).to.equal('waiting');
    expect(host.knocks.map((k) => k.name)).to.deep.equal(['Alice']);
    // The guest's own end of its link to the coordinator, found from the coordinator's side.
    const guestEnd = h.net.links.find((l) => !l.closed && l.remoteId === guest.selfId)!.peer!;
    guestEnd.sendControl(
      JSON.stringify({
        t: 'hello',
        v: 1,
        id: guest.selfId,
        name: 'Mallory',
        kind: 'person',
        media: { audio: false, video: false, screen: false },
      }),
    );
    await settle(h);
    expect(host.knocks.map((k) => k.name)).to.deep.equal(['Alice']);
    await host.moderate('admit', guest.selfId);
    await settle(h);
    await waiting;
    expect(ann.participants.find((p) => p.id === guest.selfId)!.name).to.equal('Alice');
  });
});
