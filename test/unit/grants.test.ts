// Grants: least privilege every peer enforces. Defaults by kind, the host's signed grants by
// device, sender-side withholding (media per link, messages, names), receiver-side drops with
// audits to the host, and records nobody but the host signed changing nothing. In memory, on a
// manual clock, with real WebCrypto; the link factory (a documented seam) records the media
// each link carries.
import { expect } from '@open-wc/testing';
import { generateHostKey } from '../../src/crypto/host-key.js';
import { createRoomState, signRoomState } from '../../src/crypto/room-state.js';
import type { LinkFactory, MediaSlot } from '../../src/engine/link.js';
import { AGENT_GRANT, PERSON_GRANT, type Room } from '../../src/engine/room.js';
import { harness, joinAll, record, rosterFrom, settle, type Harness } from '../support/memory-room.js';
import { codeOf } from '../support/error-code.js';

const ROOM = 'grants room';
const fakeTrack = (kind: string) => ({ kind, id: `${kind}-track` }) as unknown as MediaStreamTrack;

/** Links that remember the track each of their media slots carries now. */
function trackingLinks(h: Harness, fingerprint: string, carried: Map<string, Partial<Record<MediaSlot, unknown>>>): LinkFactory {
  const base = h.net.factory(fingerprint);
  return (options) => {
    const link = base(options);
    const slots: Partial<Record<MediaSlot, unknown>> = {};
    for (const [slot, track] of Object.entries(options.tracks ?? {})) if (track) slots[slot as MediaSlot] = track;
    carried.set(options.remoteId, slots);
    link.setTrack = async (slot, track) => {
      slots[slot] = track;
    };
    return link;
  };
}

async function room(names: { people: string[]; agents: string[] }) {
  const key = await generateHostKey();
  const h = harness(ROOM);
  const host = h.makeWith('host', { host: { hostKey: key.publicKey }, hostSecret: key.secretKey });
  const people = names.people.map((name) => h.makeWith(name, { host: { hostKey: key.publicKey } }));
  const agents = names.agents.map((name) => h.makeWith(name, { host: { hostKey: key.publicKey }, kind: 'agent' }));
  await joinAll(h, host, ...people, ...agents);
  await settle(h);
  return { h, key, host, people, agents };
}

const grantSeenBy = (viewer: Room, peer: Room) => viewer.participants.find((p) => p.id === peer.selfId)!.grant;
const namesSeenBy = (viewer: Room) => viewer.participants.filter((p) => !p.self).map((p) => p.name);

describe('grants', () => {
  it('defaults by kind: a person gets everything, a declared agent reads chat, direct and names and may do nothing', async () => {
    const { host, people, agents } = await room({ people: ['ann'], agents: ['bot'] });
    const [ann] = people;
    const [bot] = agents;
    expect(grantSeenBy(ann, host)).to.deep.equal(PERSON_GRANT);
    expect(grantSeenBy(ann, bot)).to.deep.equal(AGENT_GRANT);
    expect(grantSeenBy(bot, bot)).to.deep.equal(AGENT_GRANT);
    expect(ann.participants.find((p) => p.id === bot.selfId)!.kind).to.equal('agent');
    // Granted `roster`, the agent sees the names.
    expect(namesSeenBy(bot).sort()).to.deep.equal(['ann', 'host']);
  });

  it('an agent’s messages and file offers are dropped by every receiver, and the host hears of it once per kind', async () => {
    const { h, host, people, agents } = await room({ people: ['ann'], agents: ['bot'] });
    const [ann] = people;
    const [bot] = agents;
    const annGot = record(ann, 'message');
    const hostGot = record(host, 'message');
    const audits = record(host, 'audit');
    bot.send({ text: 'hello' });
    bot.send({ text: 'again' });
    await settle(h);
    expect(annGot).to.deep.equal([]);
    expect(hostGot).to.deep.equal([]);
    // One audit from ann and one from the host itself (a second message within 5 s is not re-reported).
    expect(audits.map((a) => [a.peer.id, a.blocked, a.reporter]).sort()).to.deep.equal(
      [
        [bot.selfId, 'chat', ann.selfId],
        [bot.selfId, 'chat', host.selfId],
      ].sort(),
    );
    expect(record(ann, 'audit')).to.deep.equal([]);
    const refused = bot.sendFile(new Uint8Array(2048), ann.selfId).then(
      () => 'sent',
      (e: { code: string }) => e.code,
    );
    await settle(h, 20);
    expect(await refused).to.equal('ERR_TRANSFER_REFUSED');
    expect(audits.some((a) => a.blocked === 'files' && a.reporter === ann.selfId)).to.equal(true);
  });

  it('the host widens an agent to chat: every peer hears of it and its messages arrive; reset takes it back', async () => {
    const { h, host, people, agents } = await room({ people: ['ann'], agents: ['bot'] });
    const [ann] = people;
    const [bot] = agents;
    const grants = record(ann, 'grant');
    const wider = { perceive: AGENT_GRANT.perceive, act: ['chat' as const] };
    await host.setGrant(bot.selfId, wider);
    await settle(h);
    expect(grants.map((g) => [g.peer.id, g.grant])).to.deep.equal([[bot.selfId, wider]]);
    expect(grantSeenBy(bot, bot)).to.deep.equal(wider);
    const annGot = record(ann, 'message');
    bot.send('summary');
    await settle(h);
    expect(annGot.map((m) => m.data)).to.deep.equal(['summary']);
    await host.resetGrant(bot.selfId);
    await settle(h);
    expect(grantSeenBy(ann, bot)).to.deep.equal(AGENT_GRANT);
    bot.send('muted again');
    await settle(h);
    expect(annGot.map((m) => m.data)).to.deep.equal(['summary']);
  });

  it('a peer without chat gets no broadcasts, one without direct cannot be messaged, one without roster gets ids without names', async () => {
    const { h, host, people } = await room({ people: ['ann', 'bob'], agents: [] });
    const [ann, bob] = people;
    await host.setGrant(bob.selfId, { perceive: ['audio', 'camera'], act: [] });
    await settle(h);
    const bobGot = record(bob, 'message');
    ann.send('for the chat');
    await settle(h);
    expect(bobGot).to.deep.equal([]);
    expect(await codeOf(Promise.resolve().then(() => ann.send('just you', bob.selfId)))).to.equal('ERR_SEND');
    // The coordinator (the host, first in) sends bob the roster without the others' names.
    expect(bob.participants.map((p) => p.id).sort()).to.deep.equal([host.selfId, ann.selfId, bob.selfId].sort());
    expect(namesSeenBy(bob)).to.deep.equal(['', '']);
    expect(bob.participants.find((p) => p.self)!.name).to.equal('bob');
    // Others still see every name.
    expect(namesSeenBy(ann).sort()).to.deep.equal(['bob', 'host']);
  });

  it('media is withheld per link: the sender puts nothing on the link of a peer without audio or camera, and puts it back when granted', async () => {
    const key = await generateHostKey();
    const h = harness(ROOM);
    const carried = new Map<string, Partial<Record<MediaSlot, unknown>>>();
    const mic = fakeTrack('audio');
    const cam = fakeTrack('video');
    const annFp = 'a1:'.repeat(31) + 'a1';
    const host = h.makeWith('host', { host: { hostKey: key.publicKey }, hostSecret: key.secretKey });
    const ann = h.makeWith('ann', {
      host: { hostKey: key.publicKey },
      localFingerprint: annFp,
      links: trackingLinks(h, annFp, carried),
      tracks: { audio: mic, video: cam },
      media: true,
    });
    const bot = h.makeWith('bot', { host: { hostKey: key.publicKey }, kind: 'agent' });
    const bob = h.makeWith('bob', { host: { hostKey: key.publicKey } });
    await joinAll(h, host, ann, bot, bob);
    await settle(h);
    // ann's links: to bob (a person) both tracks, to the agent none.
    expect(carried.get(bob.selfId)).to.deep.include({ audio: mic, video: cam });
    expect(carried.get(bot.selfId)?.audio ?? null).to.equal(null);
    expect(carried.get(bot.selfId)?.video ?? null).to.equal(null);
    await host.setGrant(bot.selfId, { perceive: ['audio', 'camera', 'chat', 'direct', 'roster'], act: [] });
    await settle(h);
    expect(carried.get(bot.selfId)).to.deep.include({ audio: mic, video: cam });
    await host.resetGrant(bot.selfId);
    await settle(h);
    expect(carried.get(bot.selfId)?.audio ?? null).to.equal(null);
    expect(carried.get(bot.selfId)?.video ?? null).to.equal(null);
    expect(carried.get(bob.selfId)).to.deep.include({ audio: mic, video: cam });
  });

  it('a grant record the host did not sign changes nothing, from a member or from the coordinator', async () => {
    const { h, key, host, people, agents } = await room({ people: ['ann'], agents: ['bot'] });
    const [ann] = people;
    const [bot] = agents;
    const botFp = (await ann.fingerprintOf(bot.selfId))!;
    const wide = { [botFp]: { perceive: [...PERSON_GRANT.perceive], act: [...PERSON_GRANT.act] } };
    const forger = await generateHostKey();
    const forged = await signRoomState(
      createRoomState({ room: ROOM, seq: Date.now() * 2, locked: false, lobby: false, bans: [], grants: wide }),
      forger.secretKey,
      forger.publicKey,
    );
    const unsigned = { ...createRoomState({ room: ROOM, seq: Date.now() * 2, locked: false, lobby: false, bans: [], grants: wide }) };
    const rejected = record(ann, 'rejected');
    for (const cmd of [forged, unsigned]) bot.link(ann.selfId)!.sendControl(JSON.stringify({ t: 'host', cmd }));
    // The coordinator (the host here) replicating a forged record with its roster is no better.
    const roster = rosterFrom(host, { nextOrder: 3, knocks: [], record: forged });
    host.link(ann.selfId)!.sendControl(roster);
    await settle(h);
    expect(rejected.map((r) => r.reason)).to.deep.equal(['signature', 'malformed']);
    expect(grantSeenBy(ann, bot)).to.deep.equal(AGENT_GRANT);
    const annGot = record(ann, 'message');
    bot.send('let me in');
    await settle(h);
    expect(annGot).to.deep.equal([]);
    expect(ann.control.grants).to.deep.equal({});
    // The same map signed by the host's key does count.
    const real = await signRoomState(
      createRoomState({ room: ROOM, seq: Date.now() * 3, locked: false, lobby: false, bans: [], grants: wide }),
      key.secretKey,
      key.publicKey,
    );
    bot.link(ann.selfId)!.sendControl(JSON.stringify({ t: 'host', cmd: real }));
    await settle(h);
    expect(grantSeenBy(ann, bot)).to.deep.equal(PERSON_GRANT);
  });

  it('grants outlive the host and a coordinator change, and the successor is a person, never the agent', async () => {
    const key = await generateHostKey();
    const h = harness(ROOM);
    const host = h.makeWith('host', { host: { hostKey: key.publicKey }, hostSecret: key.secretKey });
    const bot = h.makeWith('bot', { host: { hostKey: key.publicKey }, kind: 'agent' });
    const ann = h.makeWith('ann', { host: { hostKey: key.publicKey } });
    await joinAll(h, host, bot, ann);
    await settle(h);
    await host.setGrant(bot.selfId, { perceive: ['chat', 'roster'], act: ['chat'] });
    await settle(h);
    host.leave();
    await settle(h, 40);
    // bot joined before ann, but an agent is passed over while a person is left.
    expect(ann.isCoordinator).to.equal(true);
    expect(bot.coordinatorId).to.equal(ann.selfId);
    expect(grantSeenBy(ann, bot)).to.deep.equal({ perceive: ['chat', 'roster'], act: ['chat'] });
    const annGot = record(ann, 'message');
    bot.send('still granted');
    await settle(h);
    expect(annGot.map((m) => m.data)).to.deep.equal(['still granted']);
  });

  it('bad grants are refused with ERR_BAD_GRANT; only the host may grant', async () => {
    const { host, people, agents } = await room({ people: ['ann'], agents: ['bot'] });
    const [ann] = people;
    const [bot] = agents;
    for (const bad of [
      null,
      {},
      { perceive: ['everything'], act: [] },
      { perceive: [], act: ['chat', 'chat'] },
      { perceive: [], act: [], x: 1 },
    ]) {
      expect(await codeOf(host.setGrant(bot.selfId, bad as never)), JSON.stringify(bad)).to.equal('ERR_BAD_GRANT');
    }
    expect(await codeOf(host.setGrant('pnobody', { perceive: [], act: [] }))).to.equal('ERR_UNKNOWN_PEER');
    expect(await codeOf(ann.setGrant(bot.selfId, { perceive: [], act: ['chat'] }))).to.equal('ERR_NOT_HOST');
    expect(grantSeenBy(ann, bot)).to.deep.equal(AGENT_GRANT);
  });
});
