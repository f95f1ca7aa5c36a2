// Whole rooms in memory: the engine's roster, election, reaping and signaling relay run
// deterministically on a manual clock, with no WebRTC and no network.
import { expect } from '@open-wc/testing';
import { encodeTransferStart } from '../../src/engine/protocol.js';
import { MemoryLink } from '../../src/engine/memory-link.js';
import { createJoinCode, type GateDescriptor } from '../../src/crypto/gate.js';
import { commitJoinCode } from '../../src/crypto/join-code.js';
import type { Room } from '../../src/engine/room.js';
import { KibitzError } from '../../src/errors.js';
import { harness, ids, joinAll, record } from '../support/memory-room.js';

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

  /**
   * Holds back the first roster `joiner` receives from the coordinator's slot, and everything
   * after it on that link, until `release()`: what the members do for it while it is still at
   * the door shows. `linksTo()`: the links, at any peer, to it.
   */
  function holdRosters(h: ReturnType<typeof harness>, joiner: Room) {
    const original = MemoryLink.prototype.receiveControl;
    const held: [MemoryLink, unknown][] = [];
    const mine = new Set(h.net.links);
    MemoryLink.prototype.receiveControl = function (this: MemoryLink, raw: unknown) {
      // The first roster arriving at the joiner's end of its link to the coordinator's slot, and
      // everything after it on that link (in order, as a data channel delivers).
      const toJoiner = !mine.has(this) && this.remoteId.includes('s0');
      if (toJoiner && (held.length || (typeof raw === 'string' && raw.includes('"t":"roster"')))) return void held.push([this, raw]);
      return original.call(this, raw);
    };
    return {
      linksTo: () => h.net.links.filter((l) => !l.closed && l.remoteId === joiner.selfId),
      release: () => {
        MemoryLink.prototype.receiveControl = original;
        for (const [link, raw] of held.splice(0)) link.receiveControl(raw);
      },
    };
  }

  it('in a room with a gate no member links to a joiner, and it learns no member, before the gate admits it', async () => {
    const code = createJoinCode();
    const gate: GateDescriptor = { method: 'code', commit: await commitJoinCode(code) };
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map((name) => h.makeWith(name, { gate, credential: { code } }));
    for (const room of [a, b]) {
      const joined = room.join();
      for (let i = 0; i < 200 && room.state !== 'joined'; i++) await h.clock.advance(10);
      await joined;
    }
    const held = holdRosters(h, c);
    const joined = c.join();
    for (let i = 0; i < 100; i++) await h.clock.advance(10);
    expect(c.state).to.equal('connecting');
    // Only the coordinator's guest link: bob has made nothing for cat.
    expect(held.linksTo().length).to.equal(1);
    held.release();
    for (let i = 0; i < 100 && ids(b).length < 3; i++) await h.clock.advance(10);
    await joined;
    await h.clock.advance(100);
    for (const room of [a, b, c]) expect(ids(room)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
    expect(b.link(c.selfId)!.isOpen).to.equal(true);
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
      { peerId: b.selfId, data: { hi: 1 }, to: null },
      { peerId: c.selfId, data: 'just for ann', to: a.selfId },
    ]);
    expect(got.c).to.deep.equal([{ peerId: b.selfId, data: { hi: 1 }, to: null }]);
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
    h.freeze(c);
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
    h.freeze(a);
    await h.clock.advance(3700);
    expect(b.isCoordinator).to.equal(true);
    expect(c.coordinatorId).to.equal(b.selfId);
    expect(h.bus.holds(`${b.signalingId}s0`)).to.equal(true);
    expect(b.slotIndex).to.equal(1);
    // A newcomer offers to slot 0 (held by the frozen page) twice, an answer clock (1.5 s) each,
    // then to slot 1, where the successor answers.
    const d = h.make('dan');
    const joined = d.join();
    await h.clock.advance(3500);
    await joined;
    await h.clock.advance(100);
    expect(ids(d)).to.deep.equal([b.selfId, c.selfId, d.selfId]);
  });

  it('a newcomer that takes slot 0 of a crashed coordinator joins the survivors as soon as the successor takes over', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    // a's renderer dies: no goodbye, its links go silent, and the broker frees slot 0 at once.
    h.crash(a);
    const d = h.make('dan');
    const coordinators = record(d, 'coordinator');
    const joined = d.join();
    await h.clock.advance(100);
    await joined;
    // The gap before the survivors notice: d found slot 0 free and took it, alone.
    expect(d.isCoordinator).to.equal(true);
    expect(d.slotIndex).to.equal(0);
    // The successor takes over after the reap interval (3 s) on the next free slot and says so
    // to slot 0; d gives its lone room up and joins them, well before its periodic probe (4 s).
    await h.clock.advance(3700);
    expect(b.isCoordinator).to.equal(true);
    expect(d.coordinatorId).to.equal(b.selfId);
    expect(ids(d)).to.deep.equal([b.selfId, c.selfId, d.selfId]);
    expect(ids(c)).to.deep.equal([b.selfId, c.selfId, d.selfId]);
    expect(coordinators.map((e) => e.peerId)).to.deep.equal([d.selfId, b.selfId]);
    // And the successor takes slot 0 back once d has let it go.
    await h.clock.advance(1000);
    expect(b.slotIndex).to.equal(0);
  });

  it('a newcomer whose offer went to a coordinator crashing that moment takes the freed slot 0 and then joins the survivors', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const d = h.make('dan');
    // a's renderer is dying: it takes nothing in any more, but its socket is still open.
    h.freeze(a);
    const joined = d.join();
    // d finds slot 0 held and offers to it; then a's socket closes, the offer unanswered.
    for (let i = 0; i < 100 && !h.bus.log.some((m) => m.src.endsWith(d.selfId) && m.type === 'OFFER'); i++) await h.clock.advance(1);
    expect(d.isCoordinator).to.equal(false);
    h.crash(a);
    // The answer clock runs out (1.5 s): slot 0 is free now, and d takes it rather than wait
    // out the spare slots, where nobody is yet.
    await h.clock.advance(1600);
    expect(d.state).to.equal('joined');
    await joined;
    expect(d.slotIndex).to.equal(0);
    // The successor finds slot 0 held, takes slot 1 and says so; d joins the survivors.
    await h.clock.advance(2500);
    expect(b.isCoordinator).to.equal(true);
    expect(ids(d)).to.deep.equal([b.selfId, c.selfId, d.selfId]);
    expect(ids(b)).to.deep.equal([b.selfId, c.selfId, d.selfId]);
    await h.clock.advance(1000);
    expect(b.slotIndex).to.equal(0);
  });

  it('a newcomer answered by a coordinator that crashes before admitting it takes the freed slot 0 and then joins the survivors', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const d = h.make('dan');
    // a answers d's offer and its renderer dies right after: d's link to it goes quiet before d
    // is admitted, and a's socket closes, which frees slot 0.
    let answered = false;
    const relay = h.bus.relay.bind(h.bus);
    h.bus.relay = (src, dst, type, payload) => {
      relay(src, dst, type, payload);
      if (type === 'ANSWER' && dst.endsWith(d.selfId) && !answered) {
        answered = true;
        h.crash(a);
      }
    };
    const joined = d.join();
    await h.clock.advance(100);
    expect(answered).to.equal(true);
    expect(d.state).to.equal('connecting');
    // d does not wait out its link's clock (12 s): within the answer interval it finds slot 0
    // free and takes it.
    await h.clock.advance(1500);
    expect(d.state).to.equal('joined');
    await joined;
    expect(d.slotIndex).to.equal(0);
    // The successor takes over after the reap interval, finds slot 0 held, takes slot 1 and
    // says so; d gives its lone room up and joins the survivors.
    await h.clock.advance(2500);
    expect(b.isCoordinator).to.equal(true);
    expect(d.coordinatorId).to.equal(b.selfId);
    expect(ids(d)).to.deep.equal([b.selfId, c.selfId, d.selfId]);
    expect(ids(c)).to.deep.equal([b.selfId, c.selfId, d.selfId]);
    await h.clock.advance(1000);
    expect(b.slotIndex).to.equal(0);
  });

  it('drops malformed and unauthorised control frames and counts them', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const cToA = c.link(a.selfId)!;
    const evil = [
      '{',
      'null',
      '"x"',
      JSON.stringify({ t: 'nope' }),
      'x'.repeat(70_000),
      JSON.stringify({
        t: 'roster',
        epoch: 99,
        seq: 1,
        coordinator: c.selfId,
        peers: [],
        gone: [],
        state: { nextOrder: 0, knocks: [], record: null },
      }),
      JSON.stringify({ t: 'signal', to: b.selfId, from: b.selfId, data: { candidate: null } }),
    ];
    for (const frame of evil) cToA.sendControl(frame);
    await h.clock.advance(10);
    expect(a.dropped.malformed).to.equal(5);
    expect(ids(a)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
    expect(a.isCoordinator).to.equal(true);
  });

  it('a name changed mid-call reaches every peer, whether a participant or the coordinator renames itself', async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    b.setName('Robert');
    a.setName('Annie');
    await h.clock.advance(10);
    for (const room of [a, b, c]) expect(room.participants.map((p) => p.name)).to.deep.equal(['Annie', 'Robert', 'cat']);
    // A newcomer hears the new names too.
    const d = h.make('dan');
    await joinAll(h, d);
    expect(d.participants.map((p) => p.name)).to.deep.equal(['Annie', 'Robert', 'cat', 'dan']);
  });

  it('a name longer than 64 characters is refused with ERR_BAD_ATTRIBUTE and renames nobody', async () => {
    const h = harness('standup');
    const [a, b] = ['ann', 'bob'].map(h.make);
    await joinAll(h, a, b);
    let code = 'none';
    try {
      b.setName('x'.repeat(65));
    } catch (err) {
      expect(err).to.be.instanceOf(KibitzError);
      code = (err as KibitzError).code;
    }
    expect(code).to.equal('ERR_BAD_ATTRIBUTE');
    await h.clock.advance(10);
    for (const room of [a, b]) expect(room.participants.map((p) => p.name)).to.deep.equal(['ann', 'bob']);
  });

  it("a media frame carrying extra keys is dropped whole; a well-formed one changes only its sender's three flags; succession and names stay and a newcomer still joins", async () => {
    const h = harness('standup');
    const [a, b, c] = ['ann', 'bob', 'cat'].map(h.make);
    await joinAll(h, a, b, c);
    const malformed = a.dropped.malformed;
    // c asks the coordinator to move it to the front of the line, under ann's id and a new name.
    const forged = { audio: true, video: true, screen: true, order: -1, id: a.selfId, name: 'Mallory', kind: 'agent' };
    c.link(a.selfId)!.sendControl(JSON.stringify({ t: 'media', media: forged }));
    await h.clock.advance(10);
    expect(a.dropped.malformed).to.equal(malformed + 1);
    const cat = () => a.participants.find((p) => p.id === c.selfId)!;
    expect({ name: cat().name, kind: cat().kind, audio: cat().audio }).to.deep.equal({ name: 'cat', kind: 'person', audio: false });
    c.link(a.selfId)!.sendControl(JSON.stringify({ t: 'media', media: { audio: true, video: true, screen: false } }));
    await h.clock.advance(10);
    for (const room of [a, b]) {
      expect(ids(room)).to.deep.equal([a.selfId, b.selfId, c.selfId]);
      const seen = room.participants.find((p) => p.id === c.selfId)!;
      expect({ name: seen.name, kind: seen.kind, audio: seen.audio, video: seen.video, screen: seen.screen }).to.deep.equal({
        name: 'cat',
        kind: 'person',
        audio: true,
        video: true,
        screen: false,
      });
      expect(room.participants.find((p) => p.id === a.selfId)!.name).to.equal('ann');
    }
    // The join order is untouched: when ann leaves, bob (not cat) is next in line, and a newcomer joins.
    a.leave();
    await h.clock.advance(100);
    expect(b.isCoordinator).to.equal(true);
    expect(c.coordinatorId).to.equal(b.selfId);
    const d = h.make('dan');
    const joined = d.join();
    await h.clock.advance(3000);
    await joined;
    expect(ids(d)).to.deep.equal([b.selfId, c.selfId, d.selfId]);
  });

  it('a name of wide characters is capped whole characters at a time, so every roster still validates and a newcomer joins', async () => {
    const h = harness('standup');
    const wide = h.make('😀'.repeat(40));
    const [a, b] = ['ann', 'bob'].map(h.make);
    await joinAll(h, a, wide, b);
    const seen = b.participants.find((p) => p.id === wide.selfId)!.name;
    expect(seen).to.equal('😀'.repeat(32));
    expect(ids(b)).to.deep.equal([a.selfId, wide.selfId, b.selfId]);
  });

  it('names are cleaned of control, bidi-override and zero-width characters wherever they are received', async () => {
    const h = harness('standup');
    const [a, b] = ['ann', 'bob'].map(h.make);
    await joinAll(h, a, b);
    const eve = h.make('Eve\u202e (you)\u200b\u0007');
    await joinAll(h, eve);
    for (const room of [a, b]) expect(room.participants.find((p) => p.id === eve.selfId)!.name).to.equal('Eve (you)');
    // A rename mid-call goes through the same cleaning, at the coordinator and at every peer.
    eve.link(a.selfId)!.sendControl(JSON.stringify({ t: 'name', name: 'Mal\u2066lory\u2069 \u00b7 host' }));
    await h.clock.advance(10);
    for (const room of [a, b]) expect(room.participants.find((p) => p.id === eve.selfId)!.name).to.equal('Mallory · host');
  });

  it('inspect() returns to its baseline after peers join and leave, by saying goodbye or by going silent', async () => {
    const h = harness('standup');
    const [a, b] = ['ann', 'bob'].map(h.make);
    await joinAll(h, a, b);
    await h.clock.advance(1000);
    const baseline = [a.inspect(), b.inspect()];
    expect(baseline[0]).to.deep.include({ members: 2, guests: 0, links: 1, unsent: 0, cutOff: 0, oldSlots: 0, transfers: 0 });
    for (let i = 0; i < 6; i++) {
      const c = h.make(`churn${i}`);
      await joinAll(h, c);
      expect(ids(a)).to.have.length(3);
      expect(a.inspect().members).to.equal(3);
      // c announces a file it never finishes: the survivors hold the half transfer until c goes.
      const start = encodeTransferStart(`${i}`.padStart(16, '0'), { name: 'half', type: 'text/plain', size: 10 }, false);
      for (const peer of [a, b]) c.link(peer.selfId)!.sendContent(start);
      await h.clock.advance(10);
      expect(a.inspect().transfers).to.equal(1);
      if (i % 2) c.leave();
      else h.freeze(c);
      await h.clock.advance(4000);
      expect(ids(a)).to.deep.equal([a.selfId, b.selfId]);
    }
    await h.clock.advance(5000);
    expect(a.inspect(), 'the coordinator').to.deep.equal(baseline[0]);
    expect(b.inspect(), 'a participant').to.deep.equal(baseline[1]);
  });
});
