// Faults and hostility against real <kibitz-room> elements over real RTCPeerConnections and
// the real PeerJS broker: a rogue participant speaking garbage and forgeries on its own data
// channels, and the broker going away mid-call and coming back.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { FLOOD_BUDGET } from '../../src/engine/room.js';
import { brokerUrl, cleanup, collect, engineOf as engine, framesDecoded, ids, makeRoom, uniqueRoom, until, wireOf } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function threeInCall(label: string, media = ''): Promise<KibitzRoomElement[]> {
  const signaling = await brokerUrl();
  const room = uniqueRoom(label);
  const els = ['Ann', 'Bob', 'Cat'].map((name) => makeRoom({ room, name, signaling, media }));
  for (const el of els) await el.join();
  for (const el of els)
    await until(
      () => el.participants.length === 3 && el.participants.every((p) => p.self || engine(el).link(p.id)?.isOpen),
      `${el.name} linked to all`,
    );
  return els;
}

/** Messages from `from` arrive at `to` (over the content channel, end to end). */
async function flows(from: KibitzRoomElement, to: KibitzRoomElement, tag: string): Promise<void> {
  const got = collect(to, 'kibitz-message');
  from.send({ tag }, to.selfId!);
  await until(
    () => got.some((m) => m.peerId === from.selfId && (m.data as { tag: string }).tag === tag),
    `${tag}: ${from.name} -> ${to.name}`,
  );
}

describe('a rogue participant through the real broker', () => {
  afterEach(cleanup);

  it('garbage, oversized, unknown, spoofed and forged frames leave the others in an intact call, and a sustained flood gets the rogue expelled', async () => {
    // Bob is the rogue, and next in line after the coordinator: the strongest position to forge from.
    const [a, bob, c] = await threeInCall('rogue');
    const roster = ids(a);
    expect(a.coordinatorId).to.equal(a.selfId);
    const leaves = { a: collect(a, 'kibitz-leave'), c: collect(c, 'kibitz-leave') };
    const coordinators = collect(c, 'kibitz-coordinator');
    const toA = wireOf(bob, a.selfId!);
    const toC = wireOf(bob, c.selfId!);
    const roomControl = engine(c).control;
    const forgedRoster = (coordinator: string, peers: string[]) =>
      JSON.stringify({
        t: 'roster',
        epoch: 1e9,
        seq: 1,
        coordinator,
        gone: [],
        peers: peers.map((id, order) => ({ id, name: 'x', kind: 'person', order, audio: false, video: false, screen: false })),
        state: { ...roomControl, locked: true },
      });
    const hostile = [
      '{',
      'null',
      '[]',
      '"roster"',
      '{"t":"nope"}',
      '{"t":"roster"}',
      '{"t":"hello","v":1}',
      '\u0000\uffff',
      '{"t":"ping","n":-1}',
      `{"t":"host","cmd":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      JSON.stringify({ t: 'bye', pad: 'x'.repeat(200_000) }),
      forgedRoster(bob.selfId!, [bob.selfId!, c.selfId!]),
      forgedRoster(a.selfId!, [a.selfId!, bob.selfId!]),
      JSON.stringify({ t: 'signal', to: c.selfId, from: a.selfId, data: { candidate: null } }),
      JSON.stringify({ t: 'signal', to: bob.selfId, from: c.selfId, data: { description: { type: 'offer', sdp: 'v=0 forged' } } }),
      JSON.stringify({
        t: 'hello',
        v: 1,
        id: c.selfId,
        name: 'Cat 2',
        kind: 'person',
        media: { audio: false, video: false, screen: false },
      }),
      JSON.stringify({ t: 'refused', reason: 'go away' }),
      JSON.stringify({ t: 'wait' }),
      JSON.stringify({ t: 'host', from: a.selfId, cmd: { op: 'kick', target: c.selfId } }),
    ];
    for (const frame of hostile) {
      toA.link.sendControl(frame);
      toC.link.sendControl(frame);
    }
    // Binary on the control channel, garbage on the content channel.
    toA.control.send(new Uint8Array([1, 2, 3]));
    toC.content.send('{"d":');
    toC.content.send(new Uint8Array([9, 9, 9]));
    toC.content.send(`{"d":${'['.repeat(100)}${']'.repeat(100)}}`);
    await until(() => engine(a).dropped.malformed >= 9 && engine(c).dropped.malformed >= 9, 'hostile frames counted');
    await sleep(1500);
    for (const el of [a, c]) {
      expect(el.state, `${el.name} state`).to.equal('joined');
      expect(ids(el), `${el.name} roster`).to.deep.equal(roster);
      expect(el.coordinatorId, `${el.name} coordinator`).to.equal(a.selfId);
      expect(el.locked).to.equal(false);
      expect(el.hostId ?? null).to.equal(null);
      expect(engine(el).dropped.unauthorised, `${el.name} unauthorised`).to.be.greaterThan(0);
    }
    expect(leaves.a).to.deep.equal([]);
    expect(leaves.c).to.deep.equal([]);
    expect(coordinators).to.deep.equal([]);
    await flows(a, c, 'after garbage');
    await flows(c, a, 'after garbage back');

    // A flood: far past the budget, as fast as the channel takes it.
    for (let i = 0; i < FLOOD_BUDGET.burst + FLOOD_BUDGET.cutAfter * 3; i++) toA.link.sendControl(`{"t":"pong","n":${i}}`);
    await until(() => ids(a).length === 2 && ids(c).length === 2, 'the flooder is expelled', 30_000);
    expect(engine(a).dropped.flooded).to.be.greaterThan(0);
    expect(ids(a)).to.deep.equal([a.selfId, c.selfId]);
    expect(ids(c)).to.deep.equal([a.selfId, c.selfId]);
    expect(leaves.a.map((l) => [l.peer.id, l.reason])).to.deep.equal([[bob.selfId, 'kicked']]);
    expect(leaves.c.map((l) => [l.peer.id, l.reason])).to.deep.equal([[bob.selfId, 'kicked']]);
    expect(a.coordinatorId).to.equal(a.selfId);
    expect(c.coordinatorId).to.equal(a.selfId);
    await flows(a, c, 'after flood');
    await flows(c, a, 'after flood back');
  });
});

describe('broker loss', () => {
  afterEach(cleanup);
  afterEach(async () => {
    await executeServerCommand('broker-start');
  });

  it('with the broker stopped mid-call media and messages keep flowing; once it is back a newcomer joins a room with exactly one coordinator', async () => {
    const [a, b, c] = await threeInCall('broker-loss', 'video');
    const room = a.room;
    const leaves = collect(b, 'kibitz-leave');
    for (const [x, y] of [
      [a, b],
      [b, c],
      [c, a],
    ])
      await until(async () => (await framesDecoded(y, x.selfId!)) > 3, `video ${x.name} -> ${y.name}`, 30_000);
    expect(engine(a).slotIndex).to.equal(0);

    await executeServerCommand('broker-stop');
    await until(() => engine(a).slotIndex === null, 'the coordinator notices its broker slot is gone');
    // Longer than the reap interval: presence runs peer to peer, nobody is dropped.
    await sleep(4000);
    for (const el of [a, b, c]) {
      expect(el.state).to.equal('joined');
      expect(ids(el)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
      expect(el.coordinatorId).to.equal(a.selfId);
    }
    await flows(b, c, 'no broker b->c');
    await flows(c, a, 'no broker c->a');
    await flows(a, b, 'no broker a->b');
    for (const [x, y] of [
      [a, b],
      [b, c],
      [c, a],
    ]) {
      const before = await framesDecoded(y, x.selfId!);
      await until(async () => (await framesDecoded(y, x.selfId!)) > before + 10, `video ${x.name} -> ${y.name} without broker`);
    }
    expect(leaves).to.deep.equal([]);

    // The broker comes back; a newcomer arrives at once, racing the coordinator for slot 0.
    const signaling = await executeServerCommand<string, undefined>('broker-start');
    const d = makeRoom({ room, name: 'Dan', signaling: signaling!, media: '' });
    await d.join();
    const all = [a, b, c, d];
    for (const el of all) await until(() => ids(el).length === 4, `${el.name} sees four`, 30_000);
    await until(() => engine(a).slotIndex === 0, 'the coordinator holds slot 0 again', 20_000);
    for (const el of all) {
      expect(ids(el)).to.deep.equal([a.selfId, b.selfId, c.selfId, d.selfId]);
      expect(el.coordinatorId).to.equal(a.selfId);
    }
    expect(all.filter((el) => engine(el).isCoordinator)).to.deep.equal([a]);
    expect(leaves).to.deep.equal([]);
    await flows(d, b, 'newcomer d->b');
  });
});
