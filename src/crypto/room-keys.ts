// What the broker may know of a room is derived here: an opaque signaling id and a key that
// seals the handshakes it relays. Both come from the normalised room name, with different
// labels, so the id reveals nothing about the key or the name.
import { buf, concatBytes, fromBase64Url, fromUtf8, randomBytes, toBase64Url, toHex, utf8 } from './bytes.js';

const ID_LABEL = 'kibitz/signaling-id/v1';
const SEAL_LABEL = 'kibitz/handshake-seal/v1';

/**
 * Normalise a room name so that every spelling people would call "the same room" maps to
 * one string: Unicode NFKC, trimmed, inner whitespace collapsed, lower-cased.
 * @example normalizeRoomName('  Team  Standup ') === 'team standup'
 */
export function normalizeRoomName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** An unguessable room name: 128 random bits, lowercase so normalisation keeps them all. */
export function randomRoomName(random: (length: number) => Uint8Array = randomBytes): string {
  return toHex(random(16));
}

export interface RoomKeys {
  /** The normalised room name, never sent to the broker. */
  readonly room: string;
  /** Opaque broker id prefix for the room (hex, alphanumeric as PeerJS ids require). */
  readonly signalingId: string;
  /** AES-256-GCM key for handshakes that cross the broker. */
  readonly sealKey: CryptoKey;
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf(concatBytes(...parts))));
}

export async function deriveRoomKeys(roomName: string): Promise<RoomKeys> {
  const room = normalizeRoomName(roomName);
  const name = utf8(room);
  const id = await sha256(utf8(ID_LABEL), new Uint8Array([0]), name);
  const ikm = await crypto.subtle.importKey('raw', buf(await sha256(name)), 'HKDF', false, ['deriveKey']);
  const sealKey = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: buf(utf8(SEAL_LABEL)) },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  return { room, signalingId: 'k' + toHex(id.subarray(0, 16)), sealKey };
}

/**
 * Seal a handshake for the broker. `context` (sender and purpose) is authenticated, so a
 * sealed payload cannot be replayed under another sender id.
 */
export async function sealHandshake(keys: RoomKeys, context: string, value: unknown): Promise<string> {
  const iv = randomBytes(12);
  const plain = utf8(JSON.stringify(value));
  const cipher = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: buf(iv), additionalData: buf(utf8(context)) },
    keys.sealKey,
    buf(plain),
  );
  return toBase64Url(concatBytes(iv, new Uint8Array(cipher)));
}

/** Open a sealed handshake; null when it is malformed, tampered or sealed for another room. */
export async function openHandshake(keys: RoomKeys, context: string, sealed: unknown): Promise<unknown> {
  if (typeof sealed !== 'string' || sealed.length > 64 * 1024) return null;
  const bytes = fromBase64Url(sealed);
  if (!bytes || bytes.length < 12 + 16) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: buf(bytes.subarray(0, 12)), additionalData: buf(utf8(context)) },
      keys.sealKey,
      buf(bytes.subarray(12)),
    );
    return JSON.parse(fromUtf8(new Uint8Array(plain)));
  } catch {
    return null;
  }
}
