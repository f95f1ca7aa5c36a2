// Attacks on the room engine by a rogue participant, and broker loss, run deterministically
// on the in-memory bus and links with a manual clock. Each test is an attack that must fail.
import { expect } from '@open-wc/testing';
import { encodeControl } from '../../src/engine/protocol.js';
import { FLOOD_BUDGET, type Room } from '../../src/engine/room.js';
import { harness, ids, joinAll, record, type Harness } from '../support/memory-room.js';

/** What `rogue` says on its own link to `victim`, exactly as the wire would carry it. */
function say(rogue: Room, victim: Room, raw: string): void {
  const link = rogue.link(victim.selfId);
  if (!link) throw new Error('no link');
  link.sendControl(raw);
}

/** Deliver to `victim` synchronously, as its data channel handler would: a throw reaches the test. */
function receive(h: Harness, victim: Room, from: Room, raw: unknown): void {
  h.endOf(victim, from).receiveControl(raw);
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('a rogue participant against the engine', () => {
  it('a host frame nested 20,000 deep is dropped as malformed at the coordinator instead of throwing while relaying', async () => {
    const h = harness('hostile');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    // In a room without a host the coordinator relays no host frame at all; it refuses them itself.
    const relayed = record(b, 'rejected');
    const refused = record(a, 'rejected');
    const before = a.dropped.malformed;
    expect(() => receive(h, a, c, `{"t":"host","cmd":${nested(20_000)}}`)).to.not.throw();
    await h.clock.advance(10);
    expect(a.dropped.malformed).to.equal(before + 1);
    expect(relayed).to.deep.equal([]);
    // The same frame nested within the limit is well formed: the coordinator refuses it (no host) and relays nothing.
    receive(h, a, c, `{"t":"host","cmd":${nested(8)}}`);
    await h.clock.advance(10);
    expect(refused).to.deep.equal([{ reason: 'no-host', from: c.selfId }]);
    expect(relayed).to.deep.equal([]);
    // A message nested as deep never reaches a page either.
    const got = record(a, 'message');
    expect(() => h.endOf(a, c).receiveContent(`{"d":${nested(20_000)}}`)).to.not.throw();
    expect(got).to.deep.equal([]);
  });

  it('the next-in-line participant cannot take the room by forging a successor roster while the coordinator is alive', async () => {
    const h = harness('hostile');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const leaves = record(c, 'leave');
    const coordinators = record(c, 'coordinator');
    // b claims the room and drops ann from it, with a higher epoch than anyone has seen.
    const forged = {
      t: 'roster' as const,
      epoch: 99,
      seq: 1,
      coordinator: b.selfId,
      peers: c.participants
        .filter((p) => p.id !== a.selfId)
        .map((p, i) => ({ id: p.id, name: p.name, kind: p.kind, order: i, audio: false, video: false, screen: false })),
      gone: [{ id: a.selfId, reason: 'kicked' as const }],
      state: { nextOrder: 9, knocks: [{ id: a.selfId, name: 'ann' }], record: null },
    };
    say(b, c, encodeControl(forged));
    say(
      b,
      a,
      encodeControl({
        ...forged,
        peers: [...forged.peers, { id: a.selfId, name: 'ann', kind: 'person', order: 9, audio: false, video: false, screen: false }],
      }),
    );
    await h.clock.advance(10);
    expect(a.isCoordinator).to.equal(true);
    expect(ids(a)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
    expect(a.control.locked).to.equal(false);
    expect(c.coordinatorId).to.equal(a.selfId);
    expect(ids(c)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
    expect(c.control.locked).to.equal(false);
    expect(leaves).to.deep.equal([]);
    expect(coordinators).to.deep.equal([]);
    expect(c.dropped.unauthorised).to.be.greaterThan(0);
    // The room carries on: a later roster from the real coordinator still applies.
    await h.clock.advance(2000);
    expect(ids(c)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
    expect(c.coordinatorId).to.equal(a.selfId);
  });

  it('a successor that really took over after the coordinator froze is still followed', async () => {
    const h = harness('hostile');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    h.freeze(a);
    await h.clock.advance(4000);
    expect(b.isCoordinator).to.equal(true);
    expect(c.coordinatorId).to.equal(b.selfId);
    expect(ids(c)).to.deep.equal([b.selfId, c.selfId]);
  });

  it('a control-frame flood is rate-limited and a sustained one gets the flooder removed; the others stay', async () => {
    const h = harness('hostile');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const bLeaves = record(b, 'leave');
    const bCoordinators = record(b, 'coordinator');
    // A burst within the budget is served.
    for (let i = 0; i < FLOOD_BUDGET.burst / 2; i++) receive(h, a, c, encodeControl({ t: 'pong', n: i }));
    expect(a.dropped.flooded).to.equal(0);
    // Past the budget, frames are dropped before they are parsed.
    for (let i = 0; i < FLOOD_BUDGET.burst / 2 + 10; i++) receive(h, a, c, encodeControl({ t: 'pong', n: i }));
    expect(a.dropped.flooded).to.be.greaterThan(0);
    expect(ids(a)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
    // Keeping it up gets the flooder expelled by the coordinator, for everyone.
    for (let i = 0; i < FLOOD_BUDGET.cutAfter + 10 && a.participants.length === 3; i++) receive(h, a, c, '{"t":"nope"}');
    await h.clock.advance(100);
    expect(ids(a)).to.deep.equal([a.selfId, b.selfId]);
    expect(ids(b)).to.deep.equal([a.selfId, b.selfId]);
    expect(bLeaves.map((l) => [l.peer.id, l.reason])).to.deep.equal([[c.selfId, 'kicked']]);
    expect(bCoordinators).to.deep.equal([]);
    const got = record(b, 'message');
    a.send('after the flood');
    await h.clock.advance(10);
    expect(got.map((m) => m.data)).to.deep.equal(['after the flood']);
  });

  it('the budget refills with time: a steady legitimate rate is never limited', async () => {
    const h = harness('hostile');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    for (let second = 0; second < 5; second++) {
      for (let i = 0; i < FLOOD_BUDGET.perSecond * 0.8; i++) receive(h, a, c, encodeControl({ t: 'pong', n: i }));
      await h.clock.advance(1000);
    }
    expect(a.dropped.flooded).to.equal(0);
    expect(ids(a)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
  });

  it('a participant flooded by another participant cuts that pair link; the flooder stays rostered and the coordinator link is never limited', async () => {
    const h = harness('hostile');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    // The coordinator talks a lot (a huge room's relay traffic): b never drops it.
    for (let i = 0; i < FLOOD_BUDGET.burst * 3; i++) receive(h, b, a, encodeControl({ t: 'pong', n: i }));
    expect(b.dropped.flooded).to.equal(0);
    const leaves = record(b, 'leave');
    for (let i = 0; i < FLOOD_BUDGET.burst + FLOOD_BUDGET.cutAfter + 10 && b.link(c.selfId); i++) receive(h, b, c, '{"t":"pong","n":1}');
    expect(b.link(c.selfId)).to.equal(null);
    await h.clock.advance(3000);
    // c is not redialled by b and stays in the roster the coordinator keeps.
    expect(b.link(c.selfId)).to.equal(null);
    expect(ids(b)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
    expect(leaves).to.deep.equal([]);
    expect(b.coordinatorId).to.equal(a.selfId);
  });
});

describe('broker loss in memory', () => {
  it('a call survives the broker going away; when it is back the coordinator retakes slot 0 and a newcomer joins the one room', async () => {
    const h = harness('hostile');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    h.bus.online = false;
    h.bus.disconnectAll();
    await h.clock.advance(5000);
    expect(a.slotIndex).to.equal(null);
    for (const room of [a, b, c]) expect(ids(room)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
    const got = record(c, 'message');
    b.send('no broker needed');
    await h.clock.advance(10);
    expect(got.map((m) => m.data)).to.deep.equal(['no broker needed']);
    h.bus.online = true;
    await h.clock.advance(1000);
    expect(a.slotIndex).to.equal(0);
    const d = h.make('dan');
    await joinAll(h, d);
    for (const room of [a, b, c, d]) {
      expect(ids(room)).to.deep.equal([a.selfId, b.selfId, c.selfId, d.selfId]);
      expect(room.coordinatorId).to.equal(a.selfId);
    }
    expect([a, b, c, d].filter((r) => r.isCoordinator)).to.have.length(1);
  });
});
