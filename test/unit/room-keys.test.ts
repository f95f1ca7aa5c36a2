import { expect } from '@open-wc/testing';
import { deriveRoomKeys, normalizeRoomName, openHandshake, sealHandshake } from '../../src/crypto/room-keys.js';

describe('room keys', () => {
  it('normalises spellings of one room to one name', () => {
    expect(normalizeRoomName('  Team\u00a0 Standup ')).to.equal('team standup');
    expect(normalizeRoomName('ＴＥＡＭ')).to.equal('team');
  });

  it('derives the same opaque id for equal names and a different one otherwise', async () => {
    const a = await deriveRoomKeys('Team Standup');
    const b = await deriveRoomKeys(' team   standup');
    const c = await deriveRoomKeys('team standup 2');
    expect(a.signalingId).to.equal(b.signalingId);
    expect(a.signalingId).to.not.equal(c.signalingId);
    expect(a.signalingId).to.match(/^k[0-9a-f]{32}$/);
    expect(a.signalingId).to.not.contain('team');
  });

  it('seals handshakes so another room, another sender or a flipped byte cannot open them', async () => {
    const keys = await deriveRoomKeys('alpha');
    const other = await deriveRoomKeys('beta');
    const sealed = await sealHandshake(keys, 'offer|p1', { sdp: 'v=0' });
    expect(sealed).to.not.contain('v=0');
    expect(await openHandshake(keys, 'offer|p1', sealed)).to.deep.equal({ sdp: 'v=0' });
    expect(await openHandshake(other, 'offer|p1', sealed)).to.equal(null);
    expect(await openHandshake(keys, 'offer|p2', sealed)).to.equal(null);
    const flipped = sealed.slice(0, 20) + (sealed[20] === 'A' ? 'B' : 'A') + sealed.slice(21);
    expect(await openHandshake(keys, 'offer|p1', flipped)).to.equal(null);
    expect(await openHandshake(keys, 'offer|p1', 42)).to.equal(null);
  });
});
