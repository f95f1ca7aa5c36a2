// The admission gate on whole rooms in memory: the coordinator runs the gate on the hello, a
// refused joiner gets one refusal frame and nothing else, every member re-verifies every other
// member's credential on its own link, and `verifiedOnly` holds content from a peer whose
// credential does not verify here. Code proofs, invites and their attacks run for real
// (WebCrypto); the links and the broker are the in-memory ones.
import { expect } from '@open-wc/testing';
import { createJoinCode, formatGate, type GateDescriptor } from '../../src/crypto/gate.js';
import { commitJoinCode } from '../../src/crypto/join-code.js';
import { generateHostKey } from '../../src/crypto/host-key.js';
import { createHostCommand, signHostCommand } from '../../src/crypto/command.js';
import { formatInviteSecret, signInvite } from '../../src/crypto/invite.js';
import { deriveRoomKeys } from '../../src/crypto/room-keys.js';
import { randomBytes } from '../../src/crypto/bytes.js';
import { decodeControl, type ControlFrame } from '../../src/engine/protocol.js';
import type { Room, RoomEvents } from '../../src/engine/room.js';
import type { LinkFactory } from '../../src/engine/link.js';
import { formatFingerprint } from '../../src/engine/rtc-link.js';
import { harness, record, type Harness } from '../support/memory-room.js';
import { AGENT_GRANT } from '../../src/engine/grants.js';

const ROOM = 'gate-room';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Advance the page clocks while real WebCrypto work (a code stretch, signatures) completes. */
async function until(h: Harness, done: () => boolean, rounds = 400): Promise<void> {
  for (let i = 0; i < rounds && !done(); i++) {
    await h.clock.advance(25);
    await sleep(5);
  }
  await h.clock.advance(100);
}

async function enter(h: Harness, room: Room): Promise<void> {
  const joined = room.join().catch(() => undefined);
  await until(h, () => ['joined', 'refused', 'failed'].includes(room.state));
  await joined;
}

/** Rewrite the control frames a room sends (a modified client), through the link factory seam. */
function tamperingLinks(factory: LinkFactory, rewrite: (frame: ControlFrame) => unknown): LinkFactory {
  return (options) => {
    const link = factory(options);
    const send = link.sendControl.bind(link);
    link.sendControl = (raw) => {
      const frame = decodeControl(raw);
      send(frame ? JSON.stringify(rewrite(frame)) : raw);
    };
    return link;
  };
}

/** Every control frame a room receives, by type (a documented seam: the link factory). */
function recordingLinks(factory: LinkFactory, seen: string[]): LinkFactory {
  return (options) =>
    factory({
      ...options,
      handlers: {
        ...options.handlers,
        control: (raw) => {
          const frame = decodeControl(raw);
          if (frame) seen.push(frame.t);
          options.handlers.control(raw);
        },
      },
    });
}

describe('gate: join code', () => {
  let gate: GateDescriptor;
  let code: string;
  before(async () => {
    code = createJoinCode();
    gate = { method: 'code', commit: await commitJoinCode(code) };
  });

  it('the right code gets in, and each member verifies the other itself', async () => {
    const h = harness(ROOM);
    const a = h.makeWith('Ada', { gate, credential: { code } });
    const b = h.makeWith('Bob', { gate, credential: { code: code.toLowerCase().replace('-', ' ') } });
    await enter(h, a);
    await enter(h, b);
    expect(b.state).to.equal('joined');
    await until(h, () => a.participants.every((p) => p.identity?.verified) && b.participants.every((p) => p.identity?.verified));
    for (const room of [a, b]) for (const p of room.participants) expect(p.identity).to.deep.equal({ method: 'code', verified: true });
    a.leave();
    b.leave();
  });

  it('a wrong code is refused before it costs a try; forged proofs are refused at the door, and the sixth try is too-many-tries', async () => {
    const h = harness(ROOM);
    const a = h.makeWith('Ada', { gate, credential: { code } });
    await enter(h, a);
    const wrong = h.makeWith('Eve', { gate, credential: { code: 'WRONG-CODE9' } });
    const gates = record(wrong, 'gate');
    await enter(h, wrong);
    expect(wrong.state).to.equal('refused');
    expect(gates.at(-1)).to.deep.include({ state: 'refused', method: 'code', reason: 'bad-credential' });

    // A modified client that puts a made-up proof in its hello reaches the door: one device
    // gets five tries, then it is refused as too-many-tries, even with a genuine proof.
    const fingerprint = formatFingerprint(randomBytes(32));
    const reasons: string[] = [];
    for (let i = 0; i < 6; i++) {
      const forge = i < 5;
      const guess = h.makeWith(`Mallory${i}`, {
        gate,
        credential: { code },
        localFingerprint: fingerprint,
        links: tamperingLinks(h.net.factory(fingerprint), (frame) =>
          forge && frame.t === 'hello' ? { ...frame, cred: { m: 'code', p: 'A'.repeat(43) } } : frame,
        ),
      });
      const refusals = record(guess, 'refused');
      await enter(h, guess);
      reasons.push(refusals.at(-1)?.reason ?? guess.state);
      guess.leave();
    }
    expect(reasons).to.deep.equal([...Array(4).fill('bad-credential'), 'too-many-tries', 'too-many-tries']);
    // Another device with the code still gets in.
    const b = h.makeWith('Bob', { gate, credential: { code } });
    await enter(h, b);
    expect(b.state).to.equal('joined');
    a.leave();
    b.leave();
  });
});

describe('gate: migration', () => {
  it('every coordinator runs the same gate: after the first leaves, members stay and the next one admits and refuses alike', async () => {
    const code = createJoinCode();
    const gate: GateDescriptor = { method: 'code', commit: await commitJoinCode(code) };
    const h = harness(ROOM);
    const a = h.makeWith('Ada', { gate, credential: { code } });
    const b = h.makeWith('Bob', { gate, credential: { code } });
    await enter(h, a);
    await enter(h, b);
    a.leave();
    await until(h, () => b.isCoordinator);
    expect(b.participants.map((p) => p.name)).to.deep.equal(['Bob']);
    const c = h.makeWith('Cid', { gate, credential: { code } });
    await enter(h, c);
    expect(c.state).to.equal('joined');
    const fpM = formatFingerprint(randomBytes(32));
    const m = h.makeWith('Mallory', {
      gate,
      credential: { code },
      localFingerprint: fpM,
      links: tamperingLinks(h.net.factory(fpM), (f) => (f.t === 'hello' ? { ...f, cred: { m: 'code', p: 'C'.repeat(43) } } : f)),
    });
    await enter(h, m);
    expect(m.state).to.equal('refused');
    b.leave();
    c.leave();
  });
});

describe('gate: invites', () => {
  let hostKey: string;
  let hostSecret: Uint8Array;
  const gate: GateDescriptor = { method: 'invite' };
  before(async () => {
    ({ publicKey: hostKey, secretKey: hostSecret } = await generateHostKey());
  });
  const roomId = async () => (await deriveRoomKeys(ROOM, formatGate(gate))).roomId;
  const invite = async (fields: Partial<{ room: string; name: string; expiresAt: number; as: 'person' | 'agent' }> = {}) =>
    formatInviteSecret(
      await signInvite({ room: await roomId(), name: 'Bob', expiresAt: Date.now() + 3600_000, ...fields }, hostSecret, hostKey),
    );
  const host = (h: Harness) => h.makeWith('Host', { gate, host: { hostKey }, hostSecret });

  it('an agent invite makes an agent: rostered as one even when its hello says person, and every member grants it an agent’s share', async () => {
    const h = harness(ROOM);
    const a = host(h);
    await enter(h, a);
    // Cat keeps the kinds the coordinator's rosters give each member (its word, read at the door).
    const rostered = new Map<string, string>();
    const fpC = 'c0:'.repeat(31) + 'c0';
    const catLinks = h.net.factory(fpC);
    const c = h.makeWith('Cat', {
      gate,
      host: { hostKey },
      credential: { invite: await invite({ name: 'Cat' }) },
      localFingerprint: fpC,
      links: (options) =>
        catLinks({
          ...options,
          handlers: {
            ...options.handlers,
            control: (raw) => {
              const frame = decodeControl(raw);
              if (frame?.t === 'roster') for (const e of frame.peers) rostered.set(e.id, e.kind);
              options.handlers.control(raw);
            },
          },
        }),
    });
    await enter(h, c);
    const fp = 'b0:'.repeat(31) + 'b0';
    const bot = h.makeWith('Bot', {
      gate,
      host: { hostKey },
      credential: { invite: await invite({ name: 'Bot', as: 'agent' }) },
      localFingerprint: fp,
      // A client that lies about itself: its hello says person.
      links: tamperingLinks(h.net.factory(fp), (f) => (f.t === 'hello' ? { ...f, kind: 'person' } : f)),
    });
    await enter(h, bot);
    expect(bot.state).to.equal('joined');
    expect(rostered.get(bot.selfId)).to.equal('agent');
    for (const viewer of [a, c]) {
      const seen = viewer.participants.find((p) => p.id === bot.selfId)!;
      expect(seen.kind, viewer.name).to.equal('agent');
      expect(seen.grant, viewer.name).to.deep.equal(AGENT_GRANT);
    }
    // Cat (a person by invite) is heard at once, before anyone checked her invite themselves.
    const got = record(a, 'message');
    const audits = record(a, 'audit');
    c.send('hello');
    await h.clock.advance(50);
    expect(got.map((m) => m.data)).to.deep.equal(['hello']);
    expect(audits).to.deep.equal([]);
  });

  it('a valid invite gets in, named as invited and verified by every member itself', async () => {
    const h = harness(ROOM);
    const a = host(h);
    await enter(h, a);
    const b = h.makeWith('Bobby', { gate, host: { hostKey }, credential: { invite: await invite() } });
    const alarms = record(b, 'gate');
    await enter(h, b);
    expect(b.state).to.equal('joined');
    await until(h, () => a.participants.find((p) => p.id === b.selfId)?.identity?.verified === true);
    expect(a.participants.find((p) => p.id === b.selfId)!.identity).to.deep.equal({
      method: 'invite',
      name: 'Bob',
      kind: 'person',
      verified: true,
    });
    // The host came in on its key, with no invite: Bob sees the verified host, and no alarm.
    await until(h, () => b.participants.find((p) => p.id === a.selfId)?.identity?.verified === true);
    expect(b.participants.find((p) => p.id === a.selfId)!.identity).to.deep.equal({ method: 'host', verified: true });
    expect(alarms.filter((e) => e.peer)).to.deep.equal([]);
    a.leave();
    b.leave();
  });

  it('expired, wrong-room, altered and non-invite signed objects are refused with their reasons; a refused joiner saw no roster frame', async () => {
    const h = harness(ROOM);
    const a = host(h);
    await enter(h, a);
    const good = await invite({ expiresAt: h.clock.now() + 3600_000 });
    const command = await signHostCommand(
      createHostCommand({ room: ROOM, op: 'claim', target: 'x', fp: formatFingerprint(randomBytes(32)), now: h.clock.now() }),
      hostSecret,
      hostKey,
    );
    const cases: [string, string, (frame: ControlFrame) => unknown, string][] = [
      ['expired', await invite({ expiresAt: h.clock.now() - 3600_000 }), (f) => f, 'expired'],
      ['wrong room', await invite({ room: (await deriveRoomKeys('another room', formatGate(gate))).roomId }), (f) => f, 'bad-credential'],
      // A modified client shows the door a token it altered (another name) or a host command.
      [
        'altered',
        good,
        (f) => (f.t === 'hello' ? { ...f, cred: { ...(f.cred as object), t: { ...(f.cred as { t: object }).t, name: 'Admin' } } } : f),
        'bad-credential',
      ],
      ['host command', good, (f) => (f.t === 'hello' ? { ...f, cred: { ...(f.cred as object), t: command } } : f), 'bad-credential'],
    ];
    for (const [label, text, rewrite, reason] of cases) {
      const seen: string[] = [];
      const fingerprint = formatFingerprint(randomBytes(32));
      const joiner = h.makeWith(label, {
        gate,
        host: { hostKey },
        credential: { invite: text },
        localFingerprint: fingerprint,
        links: recordingLinks(tamperingLinks(h.net.factory(fingerprint), rewrite), seen),
      });
      const gates = record(joiner, 'gate');
      await enter(h, joiner);
      expect(joiner.state, label).to.equal('refused');
      expect(gates.at(-1)?.reason, label).to.equal(reason);
      expect(seen, label).to.not.include('roster');
      joiner.leave();
    }
    a.leave();
  });

  it('the same invite from a second device is refused while the first is in, and works again once it left', async () => {
    const h = harness(ROOM);
    const a = host(h);
    await enter(h, a);
    const text = await invite({ expiresAt: h.clock.now() + 3600_000 });
    const first = h.makeWith('Bob', { gate, host: { hostKey }, credential: { invite: text } });
    await enter(h, first);
    expect(first.state).to.equal('joined');
    await until(h, () => a.participants.find((p) => p.id === first.selfId)?.identity?.verified === true);
    const second = h.makeWith('Bob again', { gate, host: { hostKey }, credential: { invite: text } });
    const gates = record(second, 'gate');
    await enter(h, second);
    expect(second.state).to.equal('refused');
    expect(gates.at(-1)?.reason).to.equal('already-in-use');
    first.leave();
    await h.clock.advance(4000);
    const third = h.makeWith('Bob later', { gate, host: { hostKey }, credential: { invite: text } });
    await enter(h, third);
    expect(third.state).to.equal('joined');
    a.leave();
    third.leave();
  });
});

describe('gate: verified-only', () => {
  it('holds content from a peer whose credential does not verify here, and raises a gate alarm for it', async () => {
    const code = createJoinCode();
    const gate: GateDescriptor = { method: 'code', commit: await commitJoinCode(code) };
    const h = harness(ROOM);
    const a = h.makeWith('Ada', { gate, credential: { code } });
    await enter(h, a);
    // Bob's hello is genuine (the coordinator admits him) but the credential he shows each
    // member on its own link is not: every member's own check fails.
    const fpB = formatFingerprint(randomBytes(32));
    const b = h.makeWith('Bob', {
      gate,
      credential: { code },
      localFingerprint: fpB,
      links: tamperingLinks(h.net.factory(fpB), (frame) =>
        frame.t === 'cred' ? { t: 'cred', c: { m: 'code', p: 'B'.repeat(43) } } : frame,
      ),
    });
    await enter(h, b);
    expect(b.state).to.equal('joined');
    const c = h.makeWith('Cid', { gate, credential: { code }, verifiedOnly: true });
    const alarms: RoomEvents['gate'][] = [];
    c.on('gate', (e) => void (e.peer && alarms.push(e)));
    const messages = record(c, 'message');
    await enter(h, c);
    await until(h, () => alarms.length > 0 && c.participants.find((p) => p.id === a.selfId)?.identity?.verified === true);
    expect(alarms.map((e) => [e.peer!.id, e.state, e.reason])).to.deep.equal([[b.selfId, 'refused', 'bad-credential']]);
    expect(c.participants.find((p) => p.id === b.selfId)!.identity).to.deep.equal({ method: 'code', verified: false });
    a.send('from a');
    b.send('from b');
    await until(h, () => messages.length > 0);
    await h.clock.advance(500);
    expect(messages.map((m) => m.data)).to.deep.equal(['from a']);
    // Nothing goes from Cid to Bob either.
    const atB = record(b, 'message');
    c.send('from c');
    await h.clock.advance(500);
    expect(atB).to.deep.equal([]);
    a.leave();
    b.leave();
    c.leave();
  });
});
