// relay-only ("hide my IP") against a real coturn on loopback: peers connect through TURN
// relay candidates only; with no reachable TURN server they fail closed with a clear error
// and never connect directly.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { brokerUrl, cleanup, collect, ids, inFirefox, makeRoom, uniqueRoom, until } from './helpers.js';

interface TurnInfo {
  urls: string[];
  username: string;
  credential: string;
}

/** Every RTCPeerConnection the page makes from now on, and whether it ever connected. */
function trackConnections(): { all: RTCPeerConnection[]; connected: Set<RTCPeerConnection>; restore(): void } {
  const Original = globalThis.RTCPeerConnection;
  const all: RTCPeerConnection[] = [];
  const connected = new Set<RTCPeerConnection>();
  class Tracked extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      all.push(this);
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') connected.add(this);
      });
    }
  }
  globalThis.RTCPeerConnection = Tracked;
  return { all, connected, restore: () => void (globalThis.RTCPeerConnection = Original) };
}

/** The selected candidate pair of the link to `peerId`, with both ends' candidate types. */
async function selectedPair(
  el: KibitzRoomElement,
  peerId: string,
): Promise<{ local: string; remote: string; localAddress: string; remoteAddress: string; localTypes: string[] } | null> {
  const stats = await el.getStats(peerId);
  if (!stats) return null;
  let pairId: string | undefined;
  const localTypes: string[] = [];
  stats.forEach((r) => {
    if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
    if (r.type === 'local-candidate') localTypes.push(r.candidateType);
  });
  const pair = pairId ? stats.get(pairId) : undefined;
  if (!pair || pair.state !== 'succeeded') return null;
  const local = stats.get(pair.localCandidateId);
  const remote = stats.get(pair.remoteCandidateId);
  return {
    local: local?.candidateType,
    remote: remote?.candidateType,
    localAddress: `${local?.address}:${local?.port}`,
    remoteAddress: `${remote?.address}:${remote?.port}`,
    localTypes,
  };
}

describe('relay-only', () => {
  afterEach(cleanup);

  it('peers on relay-only connect only through TURN relay candidates (selected pair relay to relay) and talk', async () => {
    const turn = await executeServerCommand<TurnInfo, undefined>('turn-start');
    const iceServers = JSON.stringify([{ urls: turn!.urls, username: turn!.username, credential: turn!.credential }]);
    const signaling = await brokerUrl();
    const room = uniqueRoom('relay');
    const els = ['Ann', 'Bob', 'Cat'].map((name) => makeRoom({ room, name, signaling, 'ice-servers': iceServers, 'relay-only': '' }));
    for (const el of els) await el.join();
    for (const el of els) await until(() => ids(el).length === 3, `${el.name} sees three`, 30_000);
    for (const el of els) {
      for (const other of els) {
        if (other === el) continue;
        await until(async () => (await selectedPair(el, other.selfId!)) !== null, `${el.name} -> ${other.name} selected a pair`, 30_000);
        const pair = await selectedPair(el, other.selfId!);
        expect(pair!.local, `${el.name} -> ${other.name} local`).to.equal('relay');
        // The far end is the other side's relay candidate. Firefox may type it peer-reflexive
        // when the relayed packets outran the signalled candidate; its address tells.
        await until(async () => (await selectedPair(other, el.selfId!)) !== null, `${other.name} -> ${el.name} selected a pair`, 30_000);
        // Each end reads its own selected pair; ICE may still be switching between two relayed
        // pairs (Firefox nominates late), so wait for both ends to settle on the same one.
        await until(
          async () => (await selectedPair(el, other.selfId!))?.remoteAddress === (await selectedPair(other, el.selfId!))?.localAddress,
          `${el.name} and ${other.name} agree on the pair`,
          30_000,
        );
        const theirs = await selectedPair(other, el.selfId!);
        expect((await selectedPair(el, other.selfId!))!.remoteAddress, `${el.name} -> ${other.name} remote address`).to.equal(
          theirs!.localAddress,
        );
        expect(theirs!.local, `${other.name} -> ${el.name} local`).to.equal('relay');
        if (!inFirefox) expect(pair!.remote, `${el.name} -> ${other.name} remote`).to.equal('relay');
        else expect(pair!.remote, `${el.name} -> ${other.name} remote`).to.be.oneOf(['relay', 'prflx']);
        // Nothing but relay candidates was even gathered: no host or reflexive address leaks.
        expect([...new Set(pair!.localTypes)]).to.deep.equal(['relay']);
      }
    }
    const got = collect(els[2], 'kibitz-message');
    els[1].send('through the relay');
    await until(() => got.some((m) => m.data === 'through the relay'), 'a message over the relayed link');
  });

  it('relay-only with an unreachable TURN server fails closed with ERR_NO_RELAY and never connects directly', async () => {
    const signaling = await brokerUrl();
    const room = uniqueRoom('no-relay');
    const a = makeRoom({ room, name: 'Ann', signaling });
    await a.join();
    const joins = collect(a, 'kibitz-join');
    const tracker = trackConnections();
    try {
      // Nothing listens on port 4 of loopback, over UDP or TCP (an unassigned port: Firefox
      // refuses ICE server URLs on the ports it blocks, such as 9, before gathering anything).
      const dead = JSON.stringify([
        { urls: ['turn:127.0.0.1:4?transport=udp', 'turn:127.0.0.1:4?transport=tcp'], username: 'u', credential: 'p' },
      ]);
      const b = makeRoom({ room, name: 'Bob', signaling, 'ice-servers': dead, 'relay-only': '' });
      const errors = collect(b, 'kibitz-error');
      let rejected: { code?: string } | null = null;
      await b.join().catch((err) => {
        rejected = err;
      });
      expect(rejected, 'join rejects').to.not.equal(null);
      expect(rejected!.code).to.equal('ERR_NO_RELAY');
      expect(errors.map((e) => e.code)).to.include('ERR_NO_RELAY');
      expect(errors.find((e) => e.code === 'ERR_NO_RELAY')!.message).to.match(/relay/i);
      expect(b.state).to.equal('failed');
      // Give any stray path time to form: none does.
      await new Promise((r) => setTimeout(r, 3000));
      expect(tracker.all.length).to.be.greaterThan(0);
      expect(tracker.connected.size, 'connections that reached connected').to.equal(0);
      expect(ids(a)).to.deep.equal([a.selfId]);
      expect(joins).to.deep.equal([]);
    } finally {
      tracker.restore();
    }
  });
});
