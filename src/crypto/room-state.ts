// The room's moderation state as the host signed it: lock, waiting room, bans and grants in
// one record with a sequence number. Every peer verifies it against the key the room link
// committed and keeps the highest sequence it verified, so a coordinator can replicate the
// record or withhold news of a newer one, but never invent a ban, a lock or a lobby.
import { KibitzError } from '../errors.js';
import { buf, concatBytes, toBase64Url, utf8 } from './bytes.js';
import { decodeSignature, normalizeFingerprint, signingKey, verifyKey } from './command.js';
import { ECDSA_SHA256, isHostSecretKey } from './host-key.js';
import { normalizeRoomName } from './room-keys.js';
import { ACT, PERCEIVE, type Act, type Perceive } from './acts.js';

export { ACT, PERCEIVE, type Act, type Perceive };

const TAG = 'kibitz-state';
const VERSION = 2;
/** Bans a record may hold: a full list is refused with ERR_BANS_FULL, never a broken room. */
export const MAX_BANS = 256;
/** Grants a record may hold (one per device the host narrowed or widened). */
export const MAX_GRANTS = 256;

/** A capability grant: what a peer may perceive and what it may do. */
export interface Grant {
  perceive: Perceive[];
  act: Act[];
}
const PEER_ID = /^[A-Za-z0-9]{1,64}$/;
const MAX_ROOM = 1024;

/** The signed fields. Bans are peer ids and normalised SHA-256 certificate fingerprints. */
export interface RoomStateRecord {
  p: 'kibitz-state';
  v: 2;
  /** Normalised room name. */
  room: string;
  /** Monotonic: a peer keeps the highest it verified. */
  seq: number;
  locked: boolean;
  lobby: boolean;
  bans: string[];
  /** Grants by normalised certificate fingerprint; a device without one has its kind's default. */
  grants: Record<string, Grant>;
}

export interface SignedRoomState extends RoomStateRecord {
  sig: string;
}

const isBan = (ban: unknown): ban is string =>
  typeof ban === 'string' && (PEER_ID.test(ban) || (ban.length <= 95 && normalizeFingerprint(ban) === ban));

const isFingerprint = (fp: string): boolean => fp.length <= 95 && normalizeFingerprint(fp) === fp;

/** Canonical list: each known value once, in the order of `known`; null on anything else. */
function readList<T extends string>(input: unknown, known: readonly T[]): T[] | null {
  if (!Array.isArray(input) || input.length > known.length) return null;
  if (!input.every((v) => known.includes(v as T)) || new Set(input).size !== input.length) return null;
  return known.filter((k) => input.includes(k));
}

/** A grant in canonical form, or null if out of shape. */
export function readGrant(input: unknown): Grant | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  const keys = Object.keys(input);
  if (keys.length !== 2 || !keys.includes('perceive') || !keys.includes('act')) return null;
  const { perceive, act } = input as Record<string, unknown>;
  const p = readList(perceive, PERCEIVE);
  const a = readList(act, ACT);
  return p && a ? { perceive: p, act: a } : null;
}

function readGrants(input: unknown): Record<string, Grant> | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  const entries = Object.entries(input);
  if (entries.length > MAX_GRANTS) return null;
  const out: Record<string, Grant> = {};
  for (const [fp, raw] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const grant = readGrant(raw);
    if (!isFingerprint(fp) || !grant) return null;
    out[fp] = grant;
  }
  return out;
}

/** Copy exactly the signed fields out of untrusted input, or null if any is out of shape. */
function readRecord(input: unknown): RoomStateRecord | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  const { p, v, room, seq, locked, lobby, bans, grants } = input as Record<string, unknown>;
  if (p !== TAG || v !== VERSION) return null;
  if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM || /\p{Cs}/u.test(room)) return null;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return null;
  if (typeof locked !== 'boolean' || typeof lobby !== 'boolean') return null;
  if (!Array.isArray(bans) || bans.length > MAX_BANS || !bans.every(isBan) || new Set(bans).size !== bans.length) return null;
  const granted = readGrants(grants);
  if (!granted) return null;
  return { p, v, room, seq, locked, lobby, bans: [...bans], grants: granted };
}

/**
 * The exact bytes the host signs, length-prefixed like a host command's but under another
 * tag, so neither can pass for the other:
 *
 *     str("kibitz-state") u8(2) str(room) u64be(seq) u8(locked) u8(lobby) u32be(n) str(ban)×n
 *     u32be(m) [str(fingerprint) str(perceive, comma-joined) str(act, comma-joined)]×m
 *
 * Grants are in fingerprint order and each list in its canonical order, so one grant map has
 * one encoding.
 * @example
 * const message = encodeRoomState(record);
 */
export function encodeRoomState(record: RoomStateRecord): Uint8Array {
  const fields = readRecord(record);
  if (!fields) throw new KibitzError('ERR_BAD_COMMAND', 'room state fields are out of shape');
  const parts: Uint8Array[] = [];
  const u32 = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, false);
    parts.push(b);
  };
  const str = (text: string) => {
    const bytes = utf8(text);
    u32(bytes.length);
    parts.push(bytes);
  };
  str(fields.p);
  parts.push(new Uint8Array([fields.v]));
  str(fields.room);
  u32(Math.floor(fields.seq / 2 ** 32));
  u32(fields.seq % 2 ** 32);
  parts.push(new Uint8Array([fields.locked ? 1 : 0, fields.lobby ? 1 : 0]));
  u32(fields.bans.length);
  for (const ban of fields.bans) str(ban);
  const grants = Object.entries(fields.grants);
  u32(grants.length);
  for (const [fp, grant] of grants) {
    str(fp);
    str(grant.perceive.join(','));
    str(grant.act.join(','));
  }
  return concatBytes(...parts);
}

/**
 * Build a record for `room`: bans normalised and deduplicated; more than MAX_BANS is refused
 * with ERR_BANS_FULL, more than MAX_GRANTS with ERR_GRANTS_FULL, a grant out of shape with
 * ERR_BAD_GRANT.
 * @example createRoomState({ room: 'Team Standup', seq: Date.now(), locked: true, lobby: false, bans: [], grants: {} })
 */
export function createRoomState(fields: {
  room: string;
  seq: number;
  locked: boolean;
  lobby: boolean;
  bans: string[];
  grants?: Record<string, Grant>;
}): RoomStateRecord {
  const bans = [...new Set(fields.bans.map((b) => normalizeFingerprint(b) || b))];
  if (bans.length > MAX_BANS) throw new KibitzError('ERR_BANS_FULL', `a room holds at most ${MAX_BANS} bans: reset the room to lift them`);
  const grants: Record<string, Grant> = {};
  for (const [fp, raw] of Object.entries(fields.grants ?? {})) {
    const grant = readGrant(raw);
    const key = normalizeFingerprint(fp);
    if (!grant || !key) throw new KibitzError('ERR_BAD_GRANT', 'a grant is { perceive: [...], act: [...] } for a certificate fingerprint');
    grants[key] = grant;
  }
  if (Object.keys(grants).length > MAX_GRANTS) {
    throw new KibitzError('ERR_GRANTS_FULL', `a room holds at most ${MAX_GRANTS} grants: reset some to the default`);
  }
  const record = readRecord({
    p: TAG,
    v: VERSION,
    room: normalizeRoomName(fields.room),
    seq: Math.floor(fields.seq),
    locked: fields.locked,
    lobby: fields.lobby,
    bans,
    grants,
  });
  if (!record) throw new KibitzError('ERR_BAD_COMMAND', 'room state fields are out of shape');
  return record;
}

/**
 * Sign a record with the host key pair (WebCrypto ECDSA P-256 / SHA-256, 64-byte r||s).
 * @example const signed = await signRoomState(record, hostSecretKey, link['host-key']);
 */
export async function signRoomState(record: RoomStateRecord, secretKey: Uint8Array, publicKey: string): Promise<SignedRoomState> {
  const message = encodeRoomState(record);
  if (!isHostSecretKey(secretKey)) throw new KibitzError('ERR_BAD_KEY', 'not a P-256 secret key');
  const key = await signingKey(secretKey, publicKey);
  const signature = new Uint8Array(await crypto.subtle.sign(ECDSA_SHA256, key, buf(message)));
  return { ...readRecord(record)!, sig: toBase64Url(signature) };
}

/**
 * Verify an untrusted record against the committed host key and the room. Never rejects.
 * A record has no freshness window: it is state, and the highest verified `seq` wins.
 * @example
 * const result = await verifyRoomState(frame.record, { hostKey, room });
 * if (result.ok && result.record.seq > current.seq) current = result.record;
 */
export async function verifyRoomState(
  input: unknown,
  ctx: { hostKey: string | Uint8Array; room: string },
): Promise<{ ok: true; record: SignedRoomState } | { ok: false; reason: 'malformed' | 'signature' | 'room' }> {
  try {
    const fields = readRecord(input);
    const signature = fields && decodeSignature((input as { sig?: unknown }).sig);
    if (!fields || !signature) return { ok: false, reason: 'malformed' };
    const key = await verifyKey(ctx.hostKey);
    if (!key || !(await crypto.subtle.verify(ECDSA_SHA256, key, buf(signature), buf(encodeRoomState(fields))))) {
      return { ok: false, reason: 'signature' };
    }
    if (fields.room !== normalizeRoomName(ctx.room)) return { ok: false, reason: 'room' };
    return { ok: true, record: { ...fields, sig: toBase64Url(signature) } };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
}
