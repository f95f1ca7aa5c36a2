// The broker tier as docs/deploy.md runs it, all real and on this machine (scripts/cluster.mjs):
// nginx with TLS and room affinity over three PeerJS brokers, coturn with a REST secret and the
// site behind it; headless Chromium pages reach it only through nginx. Six rooms land whole on
// one broker each (by the brokers' own counts) and spread over more than one; a broker killed
// under its rooms leaves their calls running (media and messages), a newcomer joins one within
// 10 s, and rooms on the other brokers see nothing happen; relay-only pages meet over the
// tier's coturn with credentials from the site's /ice-servers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { startCluster } from '../../scripts/cluster.mjs';
import { chromiumLaunchOptions } from '../support/chromium.mjs';
import { Peer, until, uniqueRoom } from './harness.mjs';

const QUIET_EVENTS = ['kibitz-state', 'kibitz-connection', 'kibitz-coordinator', 'kibitz-leave', 'kibitz-error'];

// nginx, coturn and Chromium are Debian packages that `npm test` installs first (scripts/ensure-deps.mjs).
describe('the broker tier: nginx, three brokers, coturn', () => {
  let cluster;
  let browser;
  const contexts = [];
  /** The six rooms: { name, peers, prefix, broker } */
  const rooms = [];

  before(async () => {
    cluster = await startCluster();
    browser = await chromium.launch(chromiumLaunchOptions(['--ignore-certificate-errors']));
  });

  after(async () => {
    for (const ctx of contexts) await ctx.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await cluster?.stop();
  });

  async function open(attrs) {
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    contexts.push(ctx);
    const page = await ctx.newPage();
    const query = new URLSearchParams({ signaling: cluster.url, ...attrs });
    await page.goto(`${cluster.url}test-page.html?${query}`);
    await page.waitForFunction(() => window.room !== undefined);
    // Link state changes too: a room that noticed the outage would show them.
    await page.evaluate(() =>
      window.room.addEventListener('kibitz-connection', (e) => window.events.push({ type: 'kibitz-connection', detail: e.detail })),
    );
    return new Peer(page, ctx);
  }

  /** Per room prefix, the brokers (by index) that ever saw one of its sockets, from their /stats. */
  async function placement() {
    const all = await Promise.all(
      cluster.brokers.map((b) => (b.child?.exitCode === null && b.child?.signalCode === null ? b.stats() : null)),
    );
    const byPrefix = new Map();
    all.forEach((stats, index) => {
      for (const [prefix, counts] of Object.entries(stats?.rooms ?? {})) {
        if (!byPrefix.has(prefix)) byPrefix.set(prefix, []);
        byPrefix.get(prefix).push({ broker: index, ...counts });
      }
    });
    return byPrefix;
  }

  const quietCount = (peer) => peer.eval((types) => window.events.filter((e) => types.includes(e.type)).length, QUIET_EVENTS);
  const received = async (peer) => (await peer.events('kibitz-message')).map((m) => m.data);
  const inboundPackets = (peer, from) =>
    peer.eval(async (id) => {
      const stats = await window.room.getStats(id);
      let packets = 0;
      stats?.forEach((r) => {
        if (r.type === 'inbound-rtp') packets += r.packetsReceived ?? 0;
      });
      return packets;
    }, from.id);

  it("six rooms through nginx: each room's sockets all reach one broker, and the rooms spread over more than one", async () => {
    for (let i = 0; i < 6; i++) {
      const name = uniqueRoom(`tier${i}`);
      // Room 0 carries media (fake devices): the broker it lands on is the one killed below.
      // The others are data-only calls, to spare the CPU.
      const attrs = { room: name, media: i === 0 ? 'audio video' : '' };
      const before = await placement();
      const peers = [await open({ ...attrs, name: 'A' }), await open({ ...attrs, name: 'B' })];
      for (const peer of peers) await peer.join();
      for (const peer of peers) await until(async () => (await peer.ids()).length === 2, `room ${i}: both in the call`);
      const now = await placement();
      const fresh = [...now.keys()].filter((prefix) => !before.has(prefix));
      assert.equal(fresh.length, 1, `room ${i} shows up under one room prefix at the brokers (saw ${fresh.join(', ')})`);
      const [prefix] = fresh;
      const seen = now.get(prefix);
      assert.equal(seen.length, 1, `room ${i}'s sockets reached one broker, not ${seen.map((s) => s.broker).join(' and ')}`);
      // Two own ids and at least the coordinator's slot: every socket of the room on that broker.
      assert.ok(seen[0].opened >= 3, `room ${i}: ${seen[0].opened} sockets opened at its broker`);
      // The joiner closes its own socket once admitted; the broker counts that a moment later.
      const live = async () => (await placement()).get(prefix)?.find((s) => s.broker === seen[0].broker)?.live;
      await until(async () => (await live()) <= 1, `room ${i}: the joiner's own socket closes`);
      assert.equal(await live(), 1, `room ${i}: once both are in, only the coordinator's slot stays open`);
      rooms.push({ name, peers, prefix, broker: seen[0].broker });
    }
    const used = new Set(rooms.map((r) => r.broker));
    assert.ok(used.size > 1, `six rooms spread over ${used.size} broker(s): ${rooms.map((r) => r.broker).join(',')}`);
  });

  it('kill a broker: its rooms keep their calls and take newcomers within 10 s; rooms elsewhere notice nothing', async () => {
    assert.equal(rooms.length, 6, 'the six rooms are up');
    const victim = rooms[0].broker;
    const hit = rooms.filter((r) => r.broker === victim);
    const spared = rooms.filter((r) => r.broker !== victim);
    const [a, b] = rooms[0].peers;
    await until(async () => (await inboundPackets(b, a)) > 0, 'media flowing in room 0');

    const quietBefore = await Promise.all(spared.map((r) => Promise.all(r.peers.map(quietCount))));
    const placedBefore = await placement();

    await cluster.brokers[victim].kill();

    // The calls go on peer to peer: packets keep arriving, both ways, and messages get through.
    for (const [to, from] of [
      [b, a],
      [a, b],
    ]) {
      const first = await inboundPackets(to, from);
      await until(async () => (await inboundPackets(to, from)) > first + 20, 'inbound packets still rising after the kill', 10_000);
    }
    for (const room of hit) {
      const [x, y] = room.peers;
      await x.eval((text) => window.room.send(text), `ping ${room.name}`);
      await until(async () => (await received(y)).includes(`ping ${room.name}`), `a message in ${room.name} after the kill`, 10_000);
      await y.eval((text) => window.room.send(text), `pong ${room.name}`);
      await until(async () => (await received(x)).includes(`pong ${room.name}`), `the reply in ${room.name}`, 10_000);
      for (const peer of room.peers) assert.equal(await peer.state(), 'joined');
    }

    // A newcomer to the struck room: its sockets land on the broker the hash picks now.
    const newcomer = await open({ room: rooms[0].name, media: 'audio video', name: 'C' });
    const started = Date.now();
    await newcomer.join();
    await until(
      async () => (await a.ids()).length === 3 && (await b.ids()).length === 3 && (await newcomer.ids()).length === 3,
      'the newcomer in the call',
      10_000,
    );
    const joinMs = Date.now() - started;
    assert.ok(joinMs < 10_000, `newcomer joined in ${joinMs} ms`);
    const moved = (await placement()).get(rooms[0].prefix) ?? [];
    assert.ok(moved.length >= 1 && moved.every((s) => s.broker !== victim), 'the room now lives on a surviving broker');
    assert.equal(moved.length, 1, `after the kill the room's sockets still reach one broker (${moved.map((s) => s.broker).join(', ')})`);
    // The newcomer lets go of its own socket once admitted; then only the coordinator's slot is open.
    await until(
      async () => ((await placement()).get(rooms[0].prefix) ?? []).find((s) => s.broker === moved[0].broker)?.live === 1,
      "the room's coordinator alone holding its slot there",
      5000,
    );

    // Rooms on the other brokers: no state, link or coordinator change, no new socket.
    const quietAfter = await Promise.all(spared.map((r) => Promise.all(r.peers.map(quietCount))));
    assert.deepEqual(quietAfter, quietBefore, 'rooms on the surviving brokers saw no event');
    const placedAfter = await placement();
    for (const room of spared) {
      assert.deepEqual(placedAfter.get(room.prefix), placedBefore.get(room.prefix), `${room.name} opened no socket and lost none`);
      for (const peer of room.peers) assert.equal(await peer.state(), 'joined');
    }
    console.log(
      `# broker ${victim} killed under ${hit.length} room(s); newcomer joined in ${joinMs} ms; ${spared.length} room(s) elsewhere untouched`,
    );
  });

  it('the broker comes back: the struck room follows the hash back to it, and a newcomer after the restart joins the same call', async () => {
    const room = rooms[0];
    const victim = room.broker;
    await cluster.brokers[victim].start();
    const started = Date.now();
    const newcomer = await open({ room: room.name, media: '', name: 'D' });
    await newcomer.join();
    const joinedMs = Date.now() - started;
    // It may find the room's slot free on the returned broker and wait there alone, until the
    // coordinator re-opens its slot (every 10 s after a loss) and they meet.
    const everyone = async () => (await Promise.all([...room.peers, newcomer].map((p) => p.ids()))).every((ids) => ids.length === 4);
    await until(everyone, 'the newcomer after the restart in the same call as the others', 25_000);
    const joinMs = Date.now() - started;
    await until(
      async () => {
        const seen = ((await placement()).get(room.prefix) ?? []).filter((s) => s.live > 0);
        return seen.length === 1 && seen[0].broker === victim && seen[0].live === 1;
      },
      "the room's one live socket back on its own broker",
      15_000,
    );
    console.log(`# broker ${victim} restarted; a newcomer was joined after ${joinedMs} ms and in the others' call after ${joinMs} ms`);
  });

  it("relay-only pages meet through the tier's coturn with REST credentials from /ice-servers", async () => {
    const room = uniqueRoom('tier-relay');
    const attrs = { room, media: '', 'ice-servers-url': '/ice-servers', 'relay-only': '' };
    const peers = [await open({ ...attrs, name: 'R1' }), await open({ ...attrs, name: 'R2' })];
    for (const peer of peers) await peer.join();
    for (const peer of peers) await until(async () => (await peer.ids()).length === 2, 'both in the relayed call');
    assert.equal(await until(() => peers[0].selectedLocalType(peers[1].id), 'a selected pair'), 'relay');
    assert.equal(await until(() => peers[1].selectedLocalType(peers[0].id), 'a selected pair'), 'relay');
    await peers[0].eval(() => window.room.send('over the relay'));
    await until(async () => (await received(peers[1])).includes('over the relay'), 'a message over the relay');
  });
});
