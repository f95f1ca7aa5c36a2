// The host's signed room-state record: what it signs, that nothing else passes for it, and
// that a record out of shape, from another room or under another key is refused.
import { expect } from '@open-wc/testing';
import { createHostCommand, signHostCommand } from '../../src/crypto/command.js';
import { generateHostKey } from '../../src/crypto/host-key.js';
import { MAX_BANS, createRoomState, encodeRoomState, signRoomState, verifyRoomState } from '../../src/crypto/room-state.js';
import { codeOf } from '../support/error-code.js';

const FP = 'ab:'.repeat(31) + 'ab';

describe('signed room state', () => {
  let key: { publicKey: string; secretKey: Uint8Array };
  before(async () => {
    key = await generateHostKey();
  });

  const record = (fields: Partial<Parameters<typeof createRoomState>[0]> = {}) =>
    createRoomState({ room: 'Team Standup', seq: 5, locked: true, lobby: false, bans: ['p0123abcd', FP.toUpperCase()], ...fields });

  it('a record the host signed verifies for its room, with bans normalised and the fields exactly as signed', async () => {
    const signed = await signRoomState(record(), key.secretKey, key.publicKey);
    const result = await verifyRoomState(JSON.parse(JSON.stringify(signed)), { hostKey: key.publicKey, room: ' team  STANDUP ' });
    expect(result.ok).to.equal(true);
    if (!result.ok) return;
    expect(result.record).to.deep.equal({ ...record(), sig: signed.sig });
    expect(result.record.bans).to.deep.equal(['p0123abcd', FP]);
  });

  it('a changed field, another room, another key or a missing signature is refused', async () => {
    const signed = await signRoomState(record(), key.secretKey, key.publicKey);
    const other = await generateHostKey();
    const ctx = { hostKey: key.publicKey, room: 'team standup' };
    for (const [change, reason] of [
      [{ locked: false }, 'signature'],
      [{ seq: 6 }, 'signature'],
      [{ bans: [] }, 'signature'],
      [{ bans: ['p0123abcd'] }, 'signature'],
      [{ sig: undefined }, 'malformed'],
      [{ extra: 1, seq: -1 }, 'malformed'],
    ] as const) {
      expect((await verifyRoomState({ ...signed, ...change }, ctx)).ok, JSON.stringify(change)).to.equal(false);
      const result = await verifyRoomState({ ...signed, ...change }, ctx);
      if (!result.ok) expect(result.reason, JSON.stringify(change)).to.equal(reason);
    }
    expect(await verifyRoomState(signed, { hostKey: key.publicKey, room: 'another room' })).to.deep.equal({ ok: false, reason: 'room' });
    expect(await verifyRoomState(signed, { hostKey: other.publicKey, room: 'team standup' })).to.deep.equal({
      ok: false,
      reason: 'signature',
    });
  });

  it('no other signed object passes for a record: a host command signed by the same key is refused', async () => {
    const cmd = await signHostCommand(
      createHostCommand({ room: 'team standup', op: 'lock', fp: FP, now: Date.now() }),
      key.secretKey,
      key.publicKey,
    );
    const asRecord = { p: 'kibitz-state', v: 1, room: 'team standup', seq: 1, locked: true, lobby: false, bans: [], sig: cmd.sig };
    expect((await verifyRoomState(asRecord, { hostKey: key.publicKey, room: 'team standup' })).ok).to.equal(false);
    // And the two encodings differ from their first bytes (the length-prefixed tag).
    const encoded = encodeRoomState(record());
    expect(new TextDecoder().decode(encoded.subarray(4, 16))).to.equal('kibitz-state');
  });

  it(`holds at most ${MAX_BANS} bans: one more is ERR_BANS_FULL`, async () => {
    const bans = Array.from({ length: MAX_BANS }, (_, i) => `p${i.toString(16).padStart(8, '0')}`);
    expect(record({ bans }).bans).to.have.length(MAX_BANS);
    expect(await codeOf(Promise.resolve().then(() => record({ bans: [...bans, 'pextra'] })))).to.equal('ERR_BANS_FULL');
  });
});
