// relay-only ("hide my IP") against a real coturn on loopback: peers connect through TURN
// relay candidates only; with no reachable TURN server they fail closed with a clear error
// and never connect directly. The coturn here runs in REST secret mode: the pages get
// short-lived credentials from an `ice-servers-url` endpoint that mints them (scripts/turn.mjs),
// and coturn refuses any it did not mint, or that expired.
import { expect } from '@open-wc/testing';
import { executeServerCommand } from '@web/test-runner-commands';
import type { KibitzError } from '../../src/errors.js';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import { credentialExpiry, fetchIceServers } from '../../src/element/ice-servers.js';
import { brokerUrl, cleanup, collect, ids, inFirefox, makeRoom, uniqueRoom, until } from './helpers.js';

interface TurnInfo {
  urls: string[];
  port: number;
  /** The credential endpoint's base URL (another origin than the test page). */
  endpoint: string;
}

const turnStart = async () => (await executeServerCommand<TurnInfo, undefined>('turn-start'))!;
const turnRequests = async () => (await executeServerCommand<Record<string, number>, undefined>('turn-requests'))!;
const turnLog = async () => (await executeServerCommand<string, undefined>('turn-log'))!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const outcome = (join: Promise<void>) =>
  join.then(
    () => null,
    (err: KibitzError) => err,
  );

/** Every getUserMedia stream the page opens from now on. */
function trackDevices(): { live(): MediaStreamTrack[]; opened: MediaStream[]; restore(): void } {
  const devices = navigator.mediaDevices;
  const original = devices.getUserMedia.bind(devices);
  const opened: MediaStream[] = [];
  devices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    opened.push(stream);
    return stream;
  };
  return {
    opened,
    live: () => opened.flatMap((s) => s.getTracks()).filter((t) => t.readyState === 'live'),
    restore: () => void Reflect.deleteProperty(devices, 'getUserMedia'),
  };
}

/** Every RTCPeerConnection the page makes from now on: its configuration, the candidate types it gathered, whether it ever connected. */
function trackConnections(): {
  all: RTCPeerConnection[];
  links: { pc: RTCPeerConnection; config: RTCConfiguration; gathered: string[] }[];
  connected: Set<RTCPeerConnection>;
  restore(): void;
} {
  const Original = globalThis.RTCPeerConnection;
  const all: RTCPeerConnection[] = [];
  const links: { pc: RTCPeerConnection; config: RTCConfiguration; gathered: string[] }[] = [];
  const connected = new Set<RTCPeerConnection>();
  class Tracked extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      const gathered: string[] = [];
      all.push(this);
      links.push({ pc: this, config: config ?? {}, gathered });
      this.addEventListener('icecandidate', (event) => {
        if (event.candidate?.candidate) gathered.push(event.candidate.type ?? / typ (\w+)/.exec(event.candidate.candidate)?.[1] ?? '?');
      });
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected') connected.add(this);
      });
    }
  }
  globalThis.RTCPeerConnection = Tracked;
  return { all, links, connected, restore: () => void (globalThis.RTCPeerConnection = Original) };
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

  it('peers on relay-only with credentials from ice-servers-url connect only through TURN relay candidates (selected pair relay to relay) and talk', async () => {
    const turn = await turnStart();
    const signaling = await brokerUrl();
    const room = uniqueRoom('relay');
    const before = (await turnRequests())['/ice-servers'] ?? 0;
    const url = `${turn.endpoint}ice-servers`;
    const els = ['Ann', 'Bob', 'Cat'].map((name) => makeRoom({ room, name, signaling, 'ice-servers-url': url, 'relay-only': '' }));
    for (const el of els) await el.join();
    // Each join asked the endpoint for its own credentials.
    expect((await turnRequests())['/ice-servers']).to.equal(before + 3);
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

  for (const [path, label, what] of [
    ['wrong-secret', 'forged', 'minted under another secret'],
    ['expired', 'expired', 'that expired an hour ago'],
  ] as const) {
    it(`coturn refuses credentials ${what}: a relay-only peer gets no relay candidate and never connects; minted ones then work`, async () => {
      const turn = await turnStart();
      const signaling = await brokerUrl();
      const room = uniqueRoom(`cred-${label}`);
      // Ann is relay-only too, with good credentials: were Bob's accepted, relay would meet relay.
      const a = makeRoom({ room, name: 'Ann', signaling, 'ice-servers-url': `${turn.endpoint}ice-servers`, 'relay-only': '' });
      await a.join();
      const joins = collect(a, 'kibitz-join');
      const tracker = trackConnections();
      try {
        const b = makeRoom({ room, name: 'Bob', signaling, 'ice-servers-url': `${turn.endpoint}${path}`, 'relay-only': '' });
        // Bounded: whatever the browser does with the refusal, nothing may come up in 15 s.
        const result = await Promise.race([outcome(b.join()), sleep(15_000).then(() => 'still joining' as const)]);
        await sleep(2000);
        const bobs = tracker.links.filter((l) => l.config.iceServers?.[0]?.username?.endsWith(`:${label}`));
        expect(bobs.length, "Bob's links were tried").to.be.greaterThan(0);
        const username = bobs[0].config.iceServers![0].username!;
        expect(username).to.match(new RegExp(`^\\d+:${label}$`));
        expect(
          bobs.flatMap((l) => l.gathered),
          "candidates Bob's links gathered",
        ).to.not.include('relay');
        expect(tracker.connected.size, 'connections that reached connected').to.equal(0);
        expect(ids(a)).to.deep.equal([a.selfId]);
        expect(joins).to.deep.equal([]);
        expect(result === 'still joining' ? result : result?.code, 'the join fails closed').to.equal('ERR_NO_RELAY');
        // coturn itself said no to exactly this username, and never allocated for it.
        const log = await turnLog();
        expect(log).to.include(`user <${username}>: incoming packet message processed, error 401`);
        expect(log).to.not.match(new RegExp(`user <${username}>: incoming packet ALLOCATE processed, success`));

        // The same element, given the endpoint's real credentials, connects over the relay.
        b.iceServersUrl = `${turn.endpoint}ice-servers`;
        await b.join();
        await until(() => ids(a).includes(b.selfId!), 'Ann sees Bob', 30_000);
        await until(async () => (await selectedPair(b, a.selfId!)) !== null, 'Bob -> Ann selected a pair', 30_000);
        expect((await selectedPair(b, a.selfId!))!.local).to.equal('relay');
      } finally {
        tracker.restore();
      }
    });
  }
});

describe('ice-servers-url', () => {
  afterEach(cleanup);

  it('credentials that expire during the call are fetched afresh in time: a newcomer after their expiry still links over the relay', async () => {
    const turn = await turnStart();
    const signaling = await brokerUrl();
    const room = uniqueRoom('refresh');
    const short = `${turn.endpoint}short?ttl=8`;
    const asked = async () => (await turnRequests())['/short'] ?? 0;
    const before = await asked();
    const a = makeRoom({ room, name: 'Ann', signaling, 'ice-servers-url': short, 'relay-only': '' });
    await a.join();
    // Past the expiry of the credentials Ann joined with: coturn takes only fresher ones now.
    await sleep(10_000);
    expect((await asked()) - before, 'Ann asked again before they expired').to.be.greaterThan(1);
    const b = makeRoom({ room, name: 'Bob', signaling, 'ice-servers-url': short, 'relay-only': '' });
    await b.join();
    await until(() => ids(a).includes(b.selfId!), 'Ann sees Bob', 30_000);
    await until(async () => (await selectedPair(a, b.selfId!)) !== null, 'Ann -> Bob selected a pair', 30_000);
    expect((await selectedPair(a, b.selfId!))!.local).to.equal('relay');
    a.leave();
    b.leave();
    // Leaving stops the refreshing.
    const after = await asked();
    await sleep(7000);
    expect(await asked()).to.equal(after);
  });

  it('reads the expiry of REST credentials from their usernames; other servers carry none', () => {
    expect(credentialExpiry([{ urls: 'stun:stun.example' }, { urls: 'turn:t.example', username: 'alice', credential: 'x' }])).to.equal(
      null,
    );
    expect(
      credentialExpiry([
        { urls: 'turn:a.example', username: '1900000000:kibitz', credential: 'x' },
        { urls: 'turn:b.example', username: '1800000000', credential: 'y' },
      ]),
    ).to.equal(1_800_000_000_000);
  });

  it('a broken endpoint rejects the join with ERR_ICE_SERVERS saying why, leaves no device open, and the element joins once the URL is fixed', async () => {
    const turn = await turnStart();
    const signaling = await brokerUrl();
    const room = uniqueRoom('ice-url');
    const a = makeRoom({ room, name: 'Ann', signaling });
    await a.join();
    const devices = trackDevices();
    try {
      const b = makeRoom({ room, name: 'Bob', signaling, media: 'audio video' });
      const errors = collect(b, 'kibitz-error');
      const cases: [string, RegExp][] = [
        [`${turn.endpoint}missing`, /answered 404/],
        [`${turn.endpoint}bad-json`, /not JSON/],
        [`${turn.endpoint}bad-shape`, /iceServers entry 0 needs "urls" of stun:, stuns:, turn: or turns: URLs/],
        [`${turn.endpoint}no-list`, /an "iceServers" array/],
        // A cross-origin answer without CORS headers is as good as none.
        [`${turn.endpoint}no-cors`, /could not be fetched/],
        // Nothing listens on port 4 of loopback.
        ['http://127.0.0.1:4/ice-servers', /could not be fetched/],
        ['ftp://127.0.0.1/ice-servers', /not an http\(s\) URL/],
      ];
      for (const [url, reason] of cases) {
        b.iceServersUrl = url;
        const err = await outcome(b.join());
        expect(err?.code, url).to.equal('ERR_ICE_SERVERS');
        expect(err!.message, url).to.match(/^ice-servers-url: /);
        expect(err!.message, url).to.match(reason);
        expect(errors.at(-1), url).to.deep.equal({ code: 'ERR_ICE_SERVERS', message: err!.message });
        expect(b.state, url).to.equal('failed');
        expect(devices.live(), `${url}: devices left open`).to.deep.equal([]);
      }
      // The fetch ran beside opening the devices, and they were closed again each time.
      expect(devices.opened.length).to.be.greaterThan(0);
      expect(ids(a)).to.deep.equal([a.selfId]);

      b.iceServersUrl = `${turn.endpoint}ice-servers`;
      await b.join();
      expect(b.state).to.equal('joined');
      await until(() => ids(a).includes(b.selfId!), 'Ann sees Bob', 30_000);
      expect(devices.live().length, 'the call has its devices').to.be.greaterThan(0);
    } finally {
      devices.restore();
    }
  });

  it('the endpoint is asked afresh at every join; its servers come first, then those of ice-servers; relay-only needs TURN among them', async () => {
    const turn = await turnStart();
    const signaling = await brokerUrl();
    const room = uniqueRoom('ice-merge');
    const a = makeRoom({ room, name: 'Ann', signaling });
    await a.join();
    const stun = { urls: [`stun:127.0.0.1:${turn.port}`] };
    const tracker = trackConnections();
    try {
      const b = makeRoom({
        room,
        name: 'Bob',
        signaling,
        'ice-servers-url': `${turn.endpoint}ice-servers`,
        'ice-servers': JSON.stringify([stun]),
      });
      const before = (await turnRequests())['/ice-servers'] ?? 0;
      for (let round = 1; round <= 2; round++) {
        await b.join();
        await until(() => ids(a).includes(b.selfId!), `round ${round}: Ann sees Bob`, 30_000);
        expect((await turnRequests())['/ice-servers'], `round ${round}: requests`).to.equal(before + round);
        // Bob's links are the ones with servers (Ann's, in this page too, have none).
        const mine = tracker.links.filter((l) => l.config.iceServers?.length);
        expect(mine.length, `round ${round}: Bob's links`).to.be.at.least(round);
        const servers = mine.at(-1)!.config.iceServers!;
        expect(servers.length).to.equal(2);
        expect(servers[0].urls).to.deep.equal(turn.urls);
        expect(servers[0].username).to.match(/^\d+:kibitz$/);
        expect(Number(servers[0].username!.split(':')[0]) - Date.now() / 1000).to.be.within(3000, 3600);
        expect(servers[1]).to.deep.equal(stun);
        const id = b.selfId!;
        b.leave();
        await until(() => !ids(a).includes(id), `round ${round}: Bob left`, 30_000);
      }

      // An endpoint with no TURN server cannot satisfy relay-only: fail closed before any link.
      const links = tracker.all.length;
      const c = makeRoom({ room, name: 'Cat', signaling, 'ice-servers-url': `${turn.endpoint}empty`, 'relay-only': '' });
      const err = await outcome(c.join());
      expect(err?.code).to.equal('ERR_NO_RELAY');
      expect(err!.message).to.match(/ice-servers-url/);
      expect(tracker.all.length).to.equal(links);
    } finally {
      tracker.restore();
    }
  });

  it('gives up on an endpoint that does not answer in time (the element waits 10 s)', async () => {
    const turn = await turnStart();
    const started = performance.now();
    const err = await fetchIceServers(`${turn.endpoint}slow`, { timeoutMs: 500 }).then(
      () => null,
      (e: KibitzError) => e,
    );
    expect(err?.code).to.equal('ERR_ICE_SERVERS');
    expect(err!.message).to.equal('ice-servers-url: no answer within 0.5 s');
    expect(performance.now() - started).to.be.within(450, 5000);
  });
});
