// An invite link's `invite` field: the host-signed token and the holder's secret key, read
// and checked for shape only (signatures are checked by whoever admits the holder). Apart from
// the signing code, so reading a link does not load it.
import { KibitzError } from '../errors.js';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from './bytes.js';
import { decodeHostPublicKey, isHostSecretKey } from './host-key.js';
import { decodeSignature } from './signature.js';

const MAX_NAME_CHARS = 64;
const ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
const ROOM_ID = /^[0-9a-f]{32}$/;
const CONTROL = /\p{Cc}/u;
/** Invite links are read from URLs: bound what a hostile one can make us parse. */
const MAX_INVITE_CHARS = 2048;

/** The signed fields: typed by `kind`, and under their own tag, so no other signed object passes for one. */
export interface Invite {
  kind: 'invite';
  /** The room id (see RoomKeys.roomId): bound to the room and its gate. */
  room: string;
  /** The name the host invited. */
  name: string;
  /** What the holder joins as: a person, or an agent (an AI participant, least privilege). */
  as: 'person' | 'agent';
  /** Expiry, milliseconds since the epoch. */
  exp: number;
  /** Unique per invite: a second device using it while the first is in the room is refused. */
  id: string;
  /** The holder public key (compressed P-256, base64url); its secret travels only in the invite link. */
  key: string;
}

export interface SignedInvite extends Invite {
  sig: string;
}

/** What an invite link's `invite` field holds: the token and the holder's secret key. */
export interface InviteSecret {
  token: SignedInvite;
  holderSecret: Uint8Array;
}

/** Copy exactly the signed fields out of untrusted input, or null. */
export function readInvite(input: unknown): Invite | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  const { kind, room, name, as, exp, id, key } = input as Record<string, unknown>;
  if (kind !== 'invite' || typeof room !== 'string' || !ROOM_ID.test(room)) return null;
  if (as !== 'person' && as !== 'agent') return null;
  if (typeof name !== 'string' || !name.trim() || [...name].length > MAX_NAME_CHARS || CONTROL.test(name)) return null;
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp) || exp < 0) return null;
  if (typeof id !== 'string' || !ID_PATTERN.test(id) || typeof key !== 'string' || key.length !== 44) return null;
  try {
    decodeHostPublicKey(key);
  } catch {
    return null;
  }
  return { kind, room, name, as, exp, id, key };
}

/** The `invite` field of an invite link. */
export function formatInviteSecret(secret: InviteSecret): string {
  return toBase64Url(utf8(JSON.stringify({ t: secret.token, k: toBase64Url(secret.holderSecret) })));
}

/** Read an invite link's `invite` field; throws ERR_BAD_INVITE when it is not one. */
export function parseInviteSecret(text: unknown): InviteSecret {
  const fail = () => new KibitzError('ERR_BAD_INVITE', 'the invite is not a Kibitz invite');
  if (typeof text !== 'string' || text.length > MAX_INVITE_CHARS) throw fail();
  const bytes = fromBase64Url(text);
  if (!bytes) throw fail();
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    throw fail();
  }
  const { t, k } = (value ?? {}) as { t?: unknown; k?: unknown };
  const fields = readInvite(t);
  const sig = decodeSignature((t as { sig?: unknown } | undefined)?.sig);
  const holderSecret = typeof k === 'string' ? fromBase64Url(k) : null;
  if (!fields || !sig || !holderSecret || !isHostSecretKey(holderSecret)) throw fail();
  return { token: { ...fields, sig: toBase64Url(sig) }, holderSecret };
}
