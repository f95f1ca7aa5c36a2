// Grants across real <kibitz-room> elements, real RTCPeerConnections and the real broker: an
// agent joined with an agent invite in a room of two people with camera and microphone. Each
// element has its own certificate (its own device), as separate browsers would.
import { expect } from '@open-wc/testing';
import { generateHostKey, unsealHostKey } from '../../src/crypto/host-key.js';
import { createRoomState, signRoomState } from '../../src/crypto/room-state.js';
import { createInvite, createRoom, parseRoomLink } from '../../src/crypto/room-link.js';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { AGENT_GRANT, PERSON_GRANT, type Grant } from '../../src/engine/room.js';
import { rosterFrom } from '../support/memory-room.js';
import { brokerUrl, cleanup, collect, engineOf, makeRoom, until, wireOf } from './helpers.js';

const PASS = 'correct horse battery staple';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newCert = () => RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams);

interface Fixture {
  room: string;
  hostKey: string;
  secretKey: Uint8Array;
  host: KibitzRoomElement;
  bea: KibitzRoomElement;
  agent: KibitzRoomElement;
}

/** Host and Bea (people, camera and microphone) and an agent from an agent invite, all linked; the first in coordinates. */
async function roomWithAgent(first: 'host' | 'bea' = 'host'): Promise<Fixture> {
  const signaling = await brokerUrl();
  const made = await createRoom({ hostPassphrase: PASS, gate: { method: 'invite' } });
  const invite = (name: string, kind: 'person' | 'agent') => createInvite({ link: made.link, passphrase: PASS, name, kind });
  const [beaLink, agentLink] = await Promise.all([invite('Bea', 'person'), invite('Scribe', 'agent')]);
  const certs = await Promise.all([newCert(), newCert(), newCert()]);
  const element = (link: string, name: string, media: string, cert: RTCCertificate) => {
    const el = makeRoom({ ...parseRoomLink(link), name, signaling, media });
    el.certificate = cert;
    return el;
  };
  const host = element(made.link, 'Host', 'audio video', certs[0]);
  await host.claimHost(PASS);
  const bea = element(beaLink, 'Bea', 'audio video', certs[1]);
  for (const el of first === 'host' ? [host, bea] : [bea, host]) await el.join();
  const agent = element(agentLink, 'Scribe', '', certs[2]);
  await agent.join();
  const all = [host, bea, agent];
  await until(
    () =>
      all.every((el) => el.participants.length === 3 && el.participants.every((p) => p.self || (p.fingerprint && p.identity?.verified))),
    'all three linked, each credential verified by each',
  );
  const secretKey = await unsealHostKey(made.hostSeal!, PASS, made.hostKey!);
  return { room: made.room, hostKey: made.hostKey!, secretKey, host, bea, agent };
}

/** Audio and video packets `el` has received from `peerId`. */
async function inbound(el: KibitzRoomElement, peerId: string): Promise<{ audio: number; video: number }> {
  const stats = await el.getStats(peerId);
  const counts = { audio: 0, video: 0 };
  stats?.forEach((r) => {
    if (r.type === 'inbound-rtp' && (r.kind === 'audio' || r.kind === 'video'))
      counts[r.kind as 'audio' | 'video'] += r.packetsReceived ?? 0;
  });
  return counts;
}

const grantOf = (viewer: KibitzRoomElement, peer: KibitzRoomElement) => viewer.participants.find((p) => p.id === peer.selfId)?.grant;
const hearsAll: Grant = { perceive: ['audio', 'camera', 'chat', 'direct', 'roster'], act: [] };

describe('grants across real browsers', () => {
  afterEach(cleanup);

  it('an agent receives no audio or video until granted; granted it gets both; reset, it stops again', async () => {
    const { host, bea, agent } = await roomWithAgent();
    expect(agent.participants.find((p) => p.self)?.kind).to.equal('agent');
    expect(host.participants.find((p) => p.id === agent.selfId)?.kind).to.equal('agent');
    expect(grantOf(bea, agent)).to.deep.equal(AGENT_GRANT);
    // The people's media flows between them…
    await until(
      async () => (await inbound(bea, host.selfId!)).video > 50 && (await inbound(host, bea.selfId!)).audio > 50,
      'people hear and see each other',
    );
    // …and for five seconds not one packet of it reaches the agent.
    for (let i = 0; i < 5; i++) {
      await sleep(1000);
      for (const from of [host, bea]) expect(await inbound(agent, from.selfId!), `from ${from.name}`).to.deep.equal({ audio: 0, video: 0 });
    }
    const grants = collect(bea, 'kibitz-grant');
    await host.setGrant(agent.selfId!, hearsAll);
    await until(() => grants.some((g) => g.peer.id === agent.selfId), 'Bea hears of the grant');
    expect(grantOf(bea, agent)).to.deep.equal(hearsAll);
    let seen = '';
    await until(async () => {
      const [a, b] = await Promise.all([inbound(agent, host.selfId!), inbound(agent, bea.selfId!)]);
      seen = JSON.stringify([a, b]);
      return a.audio > 0 && a.video > 0 && b.audio > 0 && b.video > 0;
    }, 'the agent receives both people’s audio and video').catch((err: Error) => {
      throw new Error(`${err.message}: ${seen}`);
    });
    await host.resetGrant(agent.selfId!);
    await until(() => grantOf(bea, agent)?.perceive.includes('audio') === false, 'Bea applies the reset');
    // Packets already in flight, and stats that lag (Firefox's do by a few seconds), settle first.
    const counts = () => Promise.all([inbound(agent, host.selfId!), inbound(agent, bea.selfId!)]);
    let last = JSON.stringify(await counts());
    await until(async () => {
      await sleep(1000);
      const now = JSON.stringify(await counts());
      const settled = now === last;
      last = now;
      return settled;
    }, 'the agent’s counts stop rising').catch((err: Error) => {
      throw new Error(`${err.message}: ${last}`);
    });
    await sleep(4000);
    expect(JSON.stringify(await counts())).to.equal(last);
  });

  it('an agent’s messages reach no one and the host hears of it; granted chat, they reach everyone', async () => {
    const { host, bea, agent } = await roomWithAgent();
    const audits = collect(host, 'kibitz-audit');
    const beaAudits = collect(bea, 'kibitz-audit');
    const got = { host: collect(host, 'kibitz-message'), bea: collect(bea, 'kibitz-message') };
    agent.send({ text: 'summary, unasked' });
    await until(
      () => audits.filter((a) => a.peer.id === agent.selfId && a.blocked === 'chat').length === 2,
      'the host hears from itself and from Bea',
    );
    expect(audits.map((a) => a.reporter).sort()).to.deep.equal([host.selfId, bea.selfId].sort());
    expect(got.host).to.deep.equal([]);
    expect(got.bea).to.deep.equal([]);
    expect(beaAudits).to.deep.equal([]);
    await host.setGrant(agent.selfId!, { perceive: [...AGENT_GRANT.perceive], act: ['chat'] });
    await until(() => grantOf(bea, agent)?.act.includes('chat') === true, 'Bea applies the grant');
    agent.send({ text: 'summary, granted' });
    await until(() => got.host.length === 1 && got.bea.length === 1, 'both receive it');
    expect(got.bea[0].data).to.deep.equal({ text: 'summary, granted' });
  });

  it('a grant record signed by another key, or replicated unsigned by the coordinator, changes nothing on any peer', async () => {
    // Bea coordinates (she was first in) and turns rogue: she forges, relays and replicates.
    const { room, hostKey, secretKey, host, bea, agent } = await roomWithAgent('bea');
    expect(host.coordinatorId).to.equal(bea.selfId);
    const agentFp = host.participants.find((p) => p.id === agent.selfId)!.fingerprint!;
    const wide = { [agentFp]: { perceive: [...PERSON_GRANT.perceive], act: [...PERSON_GRANT.act] } };
    const fields = (seq: number) => createRoomState({ room, seq, locked: false, lobby: false, bans: [], grants: wide });
    const forger = await generateHostKey();
    const forged = await signRoomState(fields(Date.now() * 2), forger.secretKey, forger.publicKey);
    const unsigned = fields(Date.now() * 2);
    const before = { host: { ...engineOf(host).rejectedCommands }, agent: { ...engineOf(agent).rejectedCommands } };
    for (const target of [host, agent]) {
      const wire = wireOf(bea, target.selfId!);
      // Relayed as if the host had sent them, and replicated with a roster, as a coordinator does.
      for (const cmd of [forged, unsigned]) {
        wire.control.send(JSON.stringify({ t: 'host', from: host.selfId, cmd }));
        wire.control.send(rosterFrom(bea, { nextOrder: 3, knocks: [], record: cmd }, 1e6));
      }
    }
    await until(
      () =>
        (engineOf(host).rejectedCommands.signature ?? 0) > (before.host.signature ?? 0) &&
        (engineOf(agent).rejectedCommands.malformed ?? 0) > (before.agent.malformed ?? 0),
      'the forgeries were seen and refused',
    );
    await sleep(1000);
    for (const el of [host, agent]) {
      expect(grantOf(el, agent), el.name).to.deep.equal(AGENT_GRANT);
      expect(engineOf(el).control.grants, el.name).to.deep.equal({});
    }
    const got = collect(host, 'kibitz-message');
    agent.send('still nothing');
    await sleep(1000);
    expect(got).to.deep.equal([]);
    // The same map with the host's own signature does count: the attack failed for want of the key.
    const real = await signRoomState(fields(Date.now() * 3), secretKey, hostKey);
    wireOf(bea, agent.selfId!).control.send(JSON.stringify({ t: 'host', from: host.selfId, cmd: real }));
    await until(() => grantOf(agent, agent)?.act.includes('chat') === true, 'a host-signed record counts');
  });
});
