// Whole rooms in memory: the engine's roster, election, reaping and signaling relay run
// deterministically on a manual clock, with no WebRTC and no network.
import { expect } from '@open-wc/testing';
import type { MemoryLink } from '../../src/engine/memory-link.js';
import type { Room } from '../../src/engine/room.js';
import { harness, ids, joinAll, record } from '../support/memory-room.js';

/** A frozen page runs no JavaScript: no timers, no frame handling; its sockets stay open. */
function freeze(room: Room): void {
  const inner = room as unknown as Record<string, unknown>;
  for (const method of ['presence', 'onControl', 'onContent', 'onCoordinatorSignal', 'onJoinerSignal']) inner[method] = () => undefined;
}


describe('engine over the in-memory bus', () => {
  it('the first peer claims the room and later peers join its roster in order', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    expect(a.isCoordinator).to.equal(true);
    expect(b.coordinatorId).to.equal(a.selfId);
    for (const room of [a, b, c]) expect(ids(room)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
    expect(c.participants.map((p) => p.name)).to.deep.equal(['ann', 'bob', 'cat']);
    expect(c.participants.find((p) => p.self)!.id).to.equal(c.selfId);
  });

  it('the broker carries one sealed handshake per joiner and never the room or a name', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const pairs = new Set(h.bus.log.map((m) => `${m.src}>${m.dst}`));
    // b and c each talk to the coordinator's slot; b<->c was relayed inside the mesh.
    expect([...pairs].some((p) => p.includes(b.selfId) && p.includes(c.selfId))).to.equal(false);
    const text = JSON.stringify(h.bus.log);
    for (const secret of ['standup', 'ann', 'bob', 'cat']) expect(text).to.not.contain(secret);
    expect(h.net.openLinks().length).to.equal(6);
  });

  it('delivers broadcast and directed messages exactly once and never echoes', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const got = { a: record(a, 'message'), b: record(b, 'message'), c: record(c, 'message') };
    b.send({ hi: 1 });
    c.send('just for ann', a.selfId);
    await h.clock.advance(10);
    expect(got.b).to.deep.equal([]);
    expect(got.a).to.deep.equal([
      { from: b.selfId, data: { hi: 1 }, to: null },
      { from: c.selfId, data: 'just for ann', to: a.selfId },
    ]);
    expect(got.c).to.deep.equal([{ from: b.selfId, data: { hi: 1 }, to: null }]);
  });

  it('a graceful coordinator leave elects the earliest joiner everywhere and a newcomer joins it', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const leaves = record(c, 'leave');
    a.leave();
    await h.clock.advance(100);
    expect(b.isCoordinator).to.equal(true);
    expect(c.coordinatorId).to.equal(b.selfId);
    expect(leaves).to.have.length(1);
    expect(leaves[0]).to.deep.include({ reason: 'left' });
    expect(h.bus.holds(`${b.signalingId}s0`)).to.equal(true);
    const d = h.make('dan');
    await joinAll(h, d);
    for (const room of [b, c, d]) expect(ids(room)).to.deep.equal([b.selfId, c.selfId, d.selfId]);
  });

  it('reaps a silent participant with reason timeout and replicates the roster', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const leaves = record(b, 'leave');
    // c's page freezes: it stops sending and handling frames, but nothing closes.
    for (const l of h.net.links) if (!l.closed && l.peer && l.remoteId === c.selfId) l.peer.freeze();
    freeze(c);
    await h.clock.advance(3600);
    expect(ids(a)).to.deep.equal([a.selfId, b.selfId]);
    expect(ids(b)).to.deep.equal([a.selfId, b.selfId]);
    expect(leaves.map((l) => [l.peer.id, l.reason])).to.deep.equal([[c.selfId, 'timeout']]);
  });

  it('a silent coordinator is replaced after the reap interval and the successor takes a free slot', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    // a freezes: it runs nothing, but its broker slot stays held.
    freeze(a);
    for (const l of h.net.links) if (!l.closed && l.peer && l.remoteId === a.selfId) l.peer.freeze();
    await h.clock.advance(3700);
    expect(b.isCoordinator).to.equal(true);
    expect(c.coordinatorId).to.equal(b.selfId);
    expect(h.bus.holds(`${b.signalingId}s0`)).to.equal(true);
    expect(b.slotIndex).to.equal(1);
    const d = h.make('dan');
    const joined = d.join();
    await h.clock.advance(2000);
    await joined;
    await h.clock.advance(100);
    expect(ids(d)).to.deep.equal([b.selfId, c.selfId, d.selfId]);
  });

  it('drops malformed and unauthorised control frames and counts them', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const cToA = h.net.links.find((l) => !l.closed && l.remoteId === a.selfId && l.peer?.remoteId === c.selfId) as MemoryLink;
    const evil = [
      '{', 'null', '"x"', JSON.stringify({ t: 'nope' }), 'x'.repeat(70_000),
      JSON.stringify({ t: 'roster', epoch: 99, seq: 1, coordinator: c.selfId, peers: [], gone: [], state: a.state }),
      JSON.stringify({ t: 'signal', to: b.selfId, from: b.selfId, data: { candidate: null } }),
    ];
    for (const frame of evil) cToA.sendControl(frame);
    await h.clock.advance(10);
    expect(a.dropped.malformed).to.equal(5);
    expect(ids(a)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
    expect(a.isCoordinator).to.equal(true);
  });
});
