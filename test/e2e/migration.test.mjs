// The coordinator goes (leave, page closed, page frozen, renderer crashed): survivors keep their media,
// agree on one new coordinator, and a newcomer joins afterwards.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, until, uniqueRoom } from './harness.mjs';

let env;
before(async () => {
  env = await launch();
});
after(async () => {
  await env?.close();
});

async function threeInCall(label) {
  const room = uniqueRoom(label);
  const peers = [];
  for (const name of ['Ann', 'Bob', 'Cat']) {
    const peer = await env.open({ room, name, media: 'video' });
    await peer.join();
    peers.push(peer);
  }
  for (const p of peers) await until(async () => (await p.ids()).length === 3, 'three in the roster');
  return { room, peers };
}

async function mediaFlows(from, to) {
  const before = await to.framesFrom(from.id);
  await until(async () => (await to.framesFrom(from.id)) > before + 5, `video ${from.id} -> ${to.id} keeps flowing`, 20_000);
}

/** `early`: a newcomer that may join during the recovery; it is allowed in the rosters, nothing else is. */
async function recovers(room, [gone, b, c], label, early = null) {
  const roster = async (peer) => {
    const ids = await peer.ids();
    const earlyId = early ? await early.eval(() => window.room.selfId) : null;
    return ids.filter((id) => id !== earlyId);
  };
  await until(async () => (await b.coordinator()) === b.id && (await c.coordinator()) === b.id, `${label}: survivors agree on bob`, 20_000);
  assert.deepEqual(await roster(b), [b.id, c.id]);
  assert.deepEqual(await roster(c), [b.id, c.id]);
  await mediaFlows(b, c);
  await mediaFlows(c, b);
  const d = await env.open({ room, name: 'Dan', media: 'video' });
  await d.join();
  await until(async () => (await roster(d)).length === 3, `${label}: newcomer sees three`, 20_000);
  assert.deepEqual(await roster(d), [b.id, c.id, d.id]);
  assert.equal(await d.coordinator(), b.id);
  await until(async () => (await roster(c)).length === 3, `${label}: cat sees dan`);
  await mediaFlows(d, c);
  await d.page.close();
  void gone;
}

describe('coordinator migration in real pages', { timeout: 180_000 }, () => {
  it('after the coordinator calls leave(), survivors keep media, elect one successor and admit a newcomer', async () => {
    const { room, peers } = await threeInCall('leave');
    const [a, b, c] = peers;
    await mediaFlows(b, c);
    await a.eval(() => window.room.leave());
    assert.equal(await a.state(), 'left');
    await recovers(room, peers, 'leave');
    // The only departures cat saw: ann leaving, then the newcomer closing its page (which cat
    // hears from the coordinator's next roster, so it is waited for).
    const leaves = await until(async () => {
      const seen = await c.events('kibitz-leave');
      return seen.length >= 2 && seen;
    }, 'cat saw dan leave');
    assert.deepEqual(
      leaves.map((l) => l.reason),
      ['left', 'left'],
    );
    assert.equal(leaves[0].peer.id, a.id);
    await b.page.close();
    await c.page.close();
  });

  it('after the coordinator page is closed, the same recovery happens', async () => {
    const { room, peers } = await threeInCall('closed');
    const [a, b, c] = peers;
    await mediaFlows(b, c);
    await a.page.close({ runBeforeUnload: false });
    await recovers(room, peers, 'closed');
    await b.page.close();
    await c.page.close();
  });

  it('after the coordinator page freezes with its broker socket open, the same recovery happens', async () => {
    const { room, peers } = await threeInCall('frozen');
    const [a, b, c] = peers;
    await mediaFlows(b, c);
    await a.freeze();
    // A newcomer arriving at the moment of the freeze finds the survivors' room, not a room of its own.
    const early = await env.open({ room, name: 'Eve', media: 'video' });
    const earlyJoin = early.join();
    await recovers(room, peers, 'frozen', early);
    await earlyJoin;
    await until(
      async () => (await early.coordinator()) === b.id && (await early.ids()).includes(c.id),
      "the early newcomer is in the survivors' room",
    );
    // When the frozen page wakes, it must not hold on to the room as a second coordinator.
    await a.thaw();
    await until(
      async () => (await a.state()) === 'joined' && (await a.coordinator()) === b.id,
      'the thawed page rejoins under bob',
      30_000,
    );
    await until(async () => (await b.ids()).includes(a.id), 'bob sees the thawed page back');
    assert.equal(await c.coordinator(), b.id);
    for (const p of [a, b, c, early]) await p.page.close();
  });

  it("after the coordinator's renderer crashes, a newcomer arriving that moment ends up in the survivors' room, not alone", async () => {
    const { room, peers } = await threeInCall('crashed');
    const [a, b, c] = peers;
    await mediaFlows(b, c);
    // The renderer dies without a goodbye: its links go silent, its broker socket closes.
    const session = await a.page.context().newCDPSession(a.page);
    void session.send('Page.crash').catch(() => undefined);
    const early = await env.open({ room, name: 'Eve', media: 'video' });
    await early.join();
    // Survivors notice after the reap interval (3 s). A newcomer that found slot 0 free in the
    // gap must end up in their room under one coordinator, not in a room of its own.
    await until(
      async () => (await early.coordinator()) === b.id && (await early.ids()).includes(c.id) && (await b.coordinator()) === b.id,
      "the newcomer is in the survivors' room",
      20_000,
    );
    assert.equal(await c.coordinator(), b.id);
    const earlyId = await early.eval(() => window.room.selfId);
    await until(async () => (await c.ids()).includes(earlyId), 'cat sees the newcomer');
    assert.deepEqual(await b.ids(), [b.id, c.id, earlyId]);
    await mediaFlows(early, c);
    for (const p of [b, c, early]) await p.page.close();
  });
});
