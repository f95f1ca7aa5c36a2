// The coordinator relays a host frame only after screening it (well formed, signed for this
// room, fresh, not a replay), and it also judges the frame for itself. Judging remembers the
// command's id in the replay guard, so the screen must read that guard before the
// coordinator's own verdict does: otherwise a screen that runs late (queued behind the screen
// of a record, or behind slow WebCrypto) takes the frame for a replay of itself and every
// other peer never hears of the command. Here the record's screen is held back on purpose,
// by holding every room-state signature check until the test lets them go. In memory, on a
// manual clock, with real WebCrypto.
import { expect } from '@open-wc/testing';
import { createHostCommand, signHostCommand } from '../../src/crypto/command.js';
import { generateHostKey } from '../../src/crypto/host-key.js';
import { createRoomState, signRoomState } from '../../src/crypto/room-state.js';
import { harness, joinAll, record, settleUntil } from '../support/memory-room.js';

const ROOM = 'relay order';
const HOST_FP = 'cd:'.repeat(31) + 'cd';

/**
 * Hold every signature check of a room-state record (its signed bytes start with the tag
 * `kibitz-state`) until `release()`; host commands and everything else are checked at once.
 */
function holdStateChecks() {
  const subtle = crypto.subtle;
  const verify = subtle.verify.bind(subtle);
  const tag = new TextEncoder().encode('kibitz-state');
  const isState = (data: BufferSource) => {
    const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    for (let at = 0; at + tag.length <= Math.min(bytes.length, 16); at++) {
      if (tag.every((b, i) => bytes[at + i] === b)) return true;
    }
    return false;
  };
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  Object.defineProperty(subtle, 'verify', {
    configurable: true,
    writable: true,
    value: async (algorithm: AlgorithmIdentifier, key: CryptoKey, signature: BufferSource, data: BufferSource) => {
      if (isState(data)) {
        held++;
        await released;
      }
      return verify(algorithm, key, signature, data);
    },
  });
  return {
    held: () => held,
    release,
    restore: () => delete (subtle as { verify?: unknown }).verify,
  };
}

describe('the coordinator screens a host frame before it judges it', () => {
  it('a kick that follows the host’s record still reaches its target through the coordinator when the record’s screen is slow', async () => {
    const key = await generateHostKey();
    const h = harness(ROOM);
    const ann = h.makeWith('ann', { host: { hostKey: key.publicKey } });
    const host = h.makeWith('host', { host: { hostKey: key.publicKey }, hostSecret: key.secretKey, localFingerprint: HOST_FP });
    const bob = h.makeWith('bob', { host: { hostKey: key.publicKey } });
    await joinAll(h, ann, host, bob);
    await settleUntil(h, () => [ann, bob].every((room) => room.hostId === host.selfId));
    expect(ann.isCoordinator).to.equal(true);
    for (const room of [ann, bob]) expect(room.hostId, room.name).to.equal(host.selfId);
    const bobFp = (await ann.fingerprintOf(bob.selfId))!;
    const annRejected = record(ann, 'rejected');
    const bobRejected = record(bob, 'rejected');

    // What the host sends to kick: the record that bans the certificate, then the command. It
    // goes to the coordinator only, so Bob hears of it only through the relay (only a kick Bob
    // verifies himself ends his membership; the coordinator dropping him does not).
    const banned = await signRoomState(
      createRoomState({ room: ROOM, seq: h.clock.now() + 1, locked: false, lobby: false, bans: [bobFp] }),
      key.secretKey,
      key.publicKey,
    );
    const kick = await signHostCommand(
      createHostCommand({ room: ROOM, op: 'kick', target: bob.selfId, fp: HOST_FP, now: h.clock.now() }),
      key.secretKey,
      key.publicKey,
    );
    const checks = holdStateChecks();
    try {
      const fromHost = h.endOf(ann, host);
      fromHost.receiveControl(JSON.stringify({ t: 'host', cmd: banned }));
      fromHost.receiveControl(JSON.stringify({ t: 'host', cmd: kick }));
      // Everything that does not wait for the record runs now (the coordinator's own verdict
      // on the kick would, were it not ordered after the kick's screen).
      await settleUntil(h, () => false, 25);
      expect(checks.held(), 'the record’s screen is held').to.be.greaterThan(0);
      checks.release();
      await settleUntil(h, () => bob.state === 'kicked' || bobRejected.length > 0);
    } finally {
      checks.restore();
    }
    expect(bob.state).to.equal('kicked');
    expect(bobRejected).to.deep.equal([]);
    expect(annRejected, 'the coordinator took its relay for no replay').to.deep.equal([]);
    expect(ann.control.bans).to.include(bobFp);
  });
});
