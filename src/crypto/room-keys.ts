// What the broker may know of a room is derived here: an opaque signaling id and a key that
// seals the handshakes it relays. Both come from the normalised room name and the room's gate
// descriptor, with different labels, so the id reveals nothing about the key or the name, and
// a link whose gate was stripped or altered derives another room altogether.
import { buf, concatBytes, fromBase64Url, fromUtf8, randomBytes, toBase64Url, toHex, utf8 } from './bytes.js';

const ID_LABEL = 'kibitz/signaling-id/v2';
const SEAL_LABEL = 'kibitz/handshake-seal/v2';
const ROOM_ID_LABEL = 'kibitz/room-id/v1';
const GATE_LABEL = 'kibitz/room-gate/v1';
const STRETCH_SALT = 'kibitz/room-name-stretch/v1';
/**
 * PBKDF2-SHA-256 iterations applied to a human-chosen room name before anything is derived
 * from it: a broker that wants to learn a room's name by guessing must pay this many hashes
 * per guess (OWASP's figure for PBKDF2-SHA-256). Random names skip it: 128 bits need no help.
 */
export const ROOM_NAME_ITERATIONS = 600_000;
/** What randomRoomName makes: 32 lowercase hex digits, already unguessable. */
const RANDOM_NAME = /^[0-9a-f]{32}$/;

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
  /**
   * The room's id among members (32 hex digits): what invites, code proofs and ID-token nonces
   * bind to. Derived from the same secret under another label: the broker never sees it.
   */
  readonly roomId: string;
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf(concatBytes(...parts))));
}

/** The room secret both derivations start from: the stretched name, or a random name as it is. */
async function roomSecret(room: string): Promise<Uint8Array> {
  const name = utf8(room);
  if (RANDOM_NAME.test(room)) return sha256(name);
  const key = await crypto.subtle.importKey('raw', buf(name), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: buf(utf8(STRETCH_SALT)), iterations: ROOM_NAME_ITERATIONS },
    key,
    256,
  );
  return new Uint8Array(bits);
}

// One derivation per room name per page: the stretch is slow on purpose, so it is done once
// (the element starts it as soon as it knows the room) and joins reuse it. Bounded, as a page
// may visit many rooms.
const MAX_CACHED_ROOMS = 8;
const derived = new Map<string, Promise<RoomKeys>>();

/**
 * The broker-facing keys of a room: its opaque signaling id and the handshake seal key, and
 * the members' room id. `gate` is the room's gate descriptor in its canonical spelling
 * (`formatGate`), '' for a room without one. Cached per normalised name and gate, so calling
 * it early (to warm it) makes a later join instant.
 * @example const { signalingId } = await deriveRoomKeys('Team Standup');
 */
export function deriveRoomKeys(roomName: string, gate = ''): Promise<RoomKeys> {
  const room = normalizeRoomName(roomName);
  const cacheKey = `${room}\n${gate}`;
  let keys = derived.get(cacheKey);
  if (!keys) {
    keys = deriveUncached(room, gate);
    keys.catch(() => derived.delete(cacheKey));
    if (derived.size >= MAX_CACHED_ROOMS) derived.delete(derived.keys().next().value!);
    derived.set(cacheKey, keys);
  }
  return keys;
}

// The stretch depends on the name alone, so a gate change does not pay it twice.
const stretched = new Map<string, Promise<Uint8Array>>();

function nameSecret(room: string): Promise<Uint8Array> {
  let secret = stretched.get(room);
  if (!secret) {
    secret = roomSecret(room);
    secret.catch(() => stretched.delete(room));
    if (stretched.size >= MAX_CACHED_ROOMS) stretched.delete(stretched.keys().next().value!);
    stretched.set(room, secret);
  }
  return secret;
}

async function deriveUncached(room: string, gate: string): Promise<RoomKeys> {
  const nameOnly = await nameSecret(room);
  // A room without a gate keeps the secret it always had; a gate is hashed in.
  const secret = gate ? await sha256(utf8(GATE_LABEL), new Uint8Array([0]), nameOnly, utf8(gate)) : nameOnly;
  const id = await sha256(utf8(ID_LABEL), new Uint8Array([0]), secret);
  const roomId = await sha256(utf8(ROOM_ID_LABEL), new Uint8Array([0]), secret);
  const ikm = await crypto.subtle.importKey('raw', buf(secret), 'HKDF', false, ['deriveKey']);
  const sealKey = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: buf(utf8(SEAL_LABEL)) },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  return { room, signalingId: 'k' + toHex(id.subarray(0, 16)), sealKey, roomId: toHex(roomId.subarray(0, 16)) };
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
