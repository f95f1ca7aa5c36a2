// A host claim that reaches a peer before that peer's own link to the host is up: the claim is
// bound to the host's live certificate, so it cannot be judged until that link shows one. When
// the link takes longer than the verifier's wait, the claim is held and judged again, in full,
// once the link opens: the peer still comes to know its host, and nothing is accepted that
// would not have been accepted over a link that was up from the start (a wrong binding, a
// stale claim or a replay is still refused). In memory, on a manual clock, with real WebCrypto.
import { expect } from '@open-wc/testing';
import { createHostCommand, signHostCommand, type SignedHostCommand } from '../../src/crypto/command.js';
import { generateHostKey } from '../../src/crypto/host-key.js';
import type { LinkFactory } from '../../src/engine/link.js';
import { LINK_WAIT_MS } from '../../src/engine/moderation.js';
import type { Room } from '../../src/engine/room.js';
import { harness, joinAll, record, settle, settleUntil, type Harness } from '../support/memory-room.js';

const ROOM = 'late link';
const HOST_FP = 'cd:'.repeat(31) + 'cd';
/** Longer than the verifier's wait for its link to a signer. */
const PAST_THE_WAIT_MS = LINK_WAIT_MS + 5000;

/** Let `ms` pass in one-second steps, so timers and the work they start run as they would. */
async function pass(h: Harness, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1000) await h.clock.advance(1000);
}

/**
 * Ann coordinates, the host is second, Bob arrives last. Bob's own link to the host stays in
 * its handshake (no certificate, no `open`) until `openLink()`; every other link is ordinary.
 * `claims` says whether the host room holds the key and so claims by itself.
 */
async function lateLinkRoom(claims: boolean) {
  const key = await generateHostKey();
  const h = harness(ROOM);
  const ann = h.makeWith('ann', { host: { hostKey: key.publicKey } });
  const host = h.makeWith('host', {
    host: { hostKey: key.publicKey },
    localFingerprint: HOST_FP,
    ...(claims && { hostSecret: key.secretKey }),
  });
  await joinAll(h, ann, host);
  await settle(h);
  if (claims) await settleUntil(h, () => ann.hostId === host.selfId);
  let held = true;
  const opens: (() => void)[] = [];
  const base = h.net.factory('ab:'.repeat(31) + 'ab');
  const links: LinkFactory = (options) => {
    if (options.remoteId !== host.selfId) return base(options);
    const open = options.handlers.open;
    const link = base({ ...options, handlers: { ...options.handlers, open: () => (held ? opens.push(open) : open()) } });
    const live = link.fingerprint.bind(link);
    link.fingerprint = () => (held ? Promise.resolve(null) : live());
    return link;
  };
  const bob = h.makeWith('bob', { host: { hostKey: key.publicKey }, links });
  const rejected = record(bob, 'rejected');
  await Promise.all([bob.join(), settle(h)]);
  const openLink = () => {
    held = false;
    for (const open of opens.splice(0)) open();
  };
  return { h, key, ann, host, bob, rejected, openLink };
}

/** A claim for `host` signed with the room's key, bound to `fp`, issued `age` ms ago. */
function claimOf(h: Harness, key: { secretKey: Uint8Array; publicKey: string }, host: Room, fp = HOST_FP, age = 0) {
  return signHostCommand(
    createHostCommand({ room: ROOM, op: 'claim', target: host.selfId, fp, now: h.clock.now() - age }),
    key.secretKey,
    key.publicKey,
  );
}

/** The coordinator relays `cmd` to `to` as the host's, as it relays every host frame. */
function relay(coordinator: Room, author: Room, to: Room, cmd: SignedHostCommand): void {
  coordinator.link(to.selfId)!.sendControl(JSON.stringify({ t: 'host', from: author.selfId, cmd }));
}

describe('a host claim that outruns the verifier’s own link to the host', () => {
  it('is held past the wait and verified once the link opens: the late peer knows its host', async () => {
    const { h, ann, host, bob, rejected, openLink } = await lateLinkRoom(true);
    expect(host.isHost).to.equal(true);
    expect(ann.hostId).to.equal(host.selfId);
    // The host claimed again as Bob joined; Bob heard it through Ann, but has no link to judge it by.
    await pass(h, PAST_THE_WAIT_MS);
    expect(bob.link(host.selfId)!.isOpen, 'the frames flow, only the handshake is unfinished').to.equal(true);
    expect(bob.hostId).to.equal(null);
    expect(rejected, 'held, not refused').to.deep.equal([]);
    openLink();
    await settleUntil(h, () => bob.hostId !== null || rejected.length > 0);
    expect(bob.hostId).to.equal(host.selfId);
    expect(rejected).to.deep.equal([]);
    expect(bob.rejectedCommands).to.deep.equal({});
    // And the host moderates Bob like everyone else.
    await host.moderate('kick', bob.selfId);
    await settleUntil(h, () => bob.state === 'kicked');
    expect(bob.state).to.equal('kicked');
  });

  it('a held claim bound to a certificate other than the one the link shows is refused when the link opens', async () => {
    const { h, key, ann, host, bob, rejected, openLink } = await lateLinkRoom(false);
    // Signed with the host key, but bound to another certificate (a claim made for another connection).
    relay(ann, host, bob, await claimOf(h, key, host, 'ee:'.repeat(31) + 'ee'));
    await pass(h, PAST_THE_WAIT_MS);
    expect(rejected).to.deep.equal([]);
    openLink();
    await settleUntil(h, () => bob.hostId !== null || rejected.length > 0);
    expect(bob.hostId).to.equal(null);
    expect(rejected).to.deep.equal([{ reason: 'binding', from: host.selfId }]);
    // Nothing is held any more: the link's next events verify nothing.
    await pass(h, 2000);
    expect(bob.hostId).to.equal(null);
    expect(rejected).to.have.length(1);
  });

  it('a held claim is accepted once and a replay of it is refused; a held claim gone stale by the time the link opens is refused', async () => {
    const fresh = await lateLinkRoom(false);
    const claim = await claimOf(fresh.h, fresh.key, fresh.host);
    relay(fresh.ann, fresh.host, fresh.bob, claim);
    await pass(fresh.h, PAST_THE_WAIT_MS);
    fresh.openLink();
    await settleUntil(fresh.h, () => fresh.bob.hostId !== null || fresh.rejected.length > 0);
    expect(fresh.bob.hostId).to.equal(fresh.host.selfId);
    expect(fresh.rejected).to.deep.equal([]);
    relay(fresh.ann, fresh.host, fresh.bob, claim);
    await settleUntil(fresh.h, () => fresh.rejected.length > 0);
    expect(fresh.rejected).to.deep.equal([{ reason: 'replay', from: fresh.host.selfId }]);

    // Issued 100 s ago: fresh when it arrives, past the 120 s limit once the link opens.
    const late = await lateLinkRoom(false);
    relay(late.ann, late.host, late.bob, await claimOf(late.h, late.key, late.host, HOST_FP, 100_000));
    await pass(late.h, PAST_THE_WAIT_MS);
    expect(late.rejected).to.deep.equal([]);
    late.openLink();
    await settleUntil(late.h, () => late.bob.hostId !== null || late.rejected.length > 0);
    expect(late.bob.hostId).to.equal(null);
    expect(late.rejected).to.deep.equal([{ reason: 'stale', from: late.host.selfId }]);
  });

  it('a claim relayed as from a peer that is not in the room is refused at once, not held', async () => {
    const { h, key, ann, host, bob, rejected } = await lateLinkRoom(false);
    const cmd = await claimOf(h, key, host);
    // Relayed under an id nobody in the room has: there is no link to wait for.
    ann.link(bob.selfId)!.sendControl(JSON.stringify({ t: 'host', from: 'pnobody0000000000', cmd }));
    await settleUntil(h, () => rejected.length > 0);
    expect(rejected.map((r) => r.reason)).to.deep.equal(['binding']);
  });
});
