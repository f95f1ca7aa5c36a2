import { expect } from '@open-wc/testing';
import {
  ROOM_NAME_ITERATIONS,
  deriveRoomKeys,
  normalizeRoomName,
  openHandshake,
  randomRoomName,
  sealHandshake,
} from '../../src/crypto/room-keys.js';

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** The signaling id a room would have if its name were hashed once, as before stretching. */
async function idFrom(secret: ArrayBuffer): Promise<string> {
  const label = new TextEncoder().encode('kibitz/signaling-id/v2');
  const input = new Uint8Array([...label, 0, ...new Uint8Array(secret)]);
  return 'k' + hex(await crypto.subtle.digest('SHA-256', input)).slice(0, 32);
}

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

  it('a human-chosen name is stretched with PBKDF2-SHA-256 before its signaling id is derived; a random name is not', async () => {
    expect(ROOM_NAME_ITERATIONS).to.be.at.least(600_000);
    const name = 'stretch check';
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(name), 'PBKDF2', false, ['deriveBits']);
    const stretched = await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: new TextEncoder().encode('kibitz/room-name-stretch/v1'), iterations: ROOM_NAME_ITERATIONS },
      key,
      256,
    );
    const once = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(name));
    const { signalingId } = await deriveRoomKeys(name);
    expect(signalingId).to.equal(await idFrom(stretched));
    expect(signalingId).to.not.equal(await idFrom(once));
    // A 128-bit random name needs no stretch: one hash, so joining such a room costs nothing extra.
    const random = randomRoomName();
    const randomOnce = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(random));
    expect((await deriveRoomKeys(random)).signalingId).to.equal(await idFrom(randomOnce));
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
