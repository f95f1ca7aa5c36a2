// Personal invites: a token the host signs for one person, carried in that person's invite link
// with a holder key of its own. The token names a holder public key; the link alone holds the
// matching secret. Members pass the token around freely (each verifies it), but only the link's
// holder can bind it to a device: it signs the room and its own live certificate fingerprint,
// and every verifier checks that against the fingerprint it reads from its own link.
import { KibitzError } from '../errors.js';
import { buf, concatBytes, randomBytes, toBase64Url, utf8 } from './bytes.js';
import { decodeSignature, normalizeFingerprint, signingKey, verifyKey } from './command.js';
import { ECDSA_SHA256, generateHostKey, importHostSigningKey, isHostSecretKey } from './host-key.js';
import { formatInviteSecret, parseInviteSecret, readInvite, type Invite, type InviteSecret, type SignedInvite } from './invite-secret.js';

export { formatInviteSecret, parseInviteSecret, readInvite, type Invite, type InviteSecret, type SignedInvite };

const TAG = 'kibitz-invite';
const HOLDER_TAG = 'kibitz-invite-holder';
const VERSION = 2;
/** How late an expiry may still be accepted, for clocks that disagree a little. */
export const INVITE_LEEWAY_MS = 60_000;
/** The longest an invite may live. */
export const MAX_INVITE_MS = 366 * 24 * 3600_000;

function pushString(parts: Uint8Array[], text: string): void {
  const bytes = utf8(text);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, bytes.length, false);
  parts.push(length, bytes);
}

/**
 * The exact bytes the host signs, length-prefixed under the invite's own tag (host commands and
 * room-state records start with theirs), so none can pass for another:
 *
 *     str("kibitz-invite") u8(2) str(room) str(name) str(as) u64be(exp) str(id) str(key)
 */
export function encodeInvite(invite: Invite): Uint8Array {
  const fields = readInvite(invite);
  if (!fields) throw new KibitzError('ERR_BAD_INVITE', 'invite fields are out of shape');
  const parts: Uint8Array[] = [];
  pushString(parts, TAG);
  parts.push(new Uint8Array([VERSION]));
  pushString(parts, fields.room);
  pushString(parts, fields.name);
  pushString(parts, fields.as);
  const exp = new Uint8Array(8);
  const view = new DataView(exp.buffer);
  view.setUint32(0, Math.floor(fields.exp / 2 ** 32), false);
  view.setUint32(4, fields.exp % 2 ** 32, false);
  parts.push(exp);
  pushString(parts, fields.id);
  pushString(parts, fields.key);
  return concatBytes(...parts);
}

function holderMessage(roomId: string, fingerprint: string): Uint8Array {
  const parts: Uint8Array[] = [];
  pushString(parts, HOLDER_TAG);
  parts.push(new Uint8Array([VERSION]));
  pushString(parts, roomId);
  pushString(parts, fingerprint);
  return concatBytes(...parts);
}

/** Sign a personal invite with the host key. Throws ERR_BAD_INVITE for fields out of shape. */
export async function signInvite(
  fields: { room: string; name: string; expiresAt: number; as?: 'person' | 'agent' },
  hostSecret: Uint8Array,
  hostKey: string,
): Promise<InviteSecret> {
  if (!isHostSecretKey(hostSecret)) throw new KibitzError('ERR_BAD_KEY', 'not a P-256 secret key');
  const holder = await generateHostKey();
  const invite: Invite = {
    kind: 'invite',
    room: fields.room,
    name: typeof fields.name === 'string' ? fields.name.normalize('NFC').trim() : '',
    as: fields.as ?? 'person',
    exp: Math.floor(fields.expiresAt),
    id: toBase64Url(randomBytes(16)),
    key: holder.publicKey,
  };
  const message = encodeInvite(invite);
  const key = await signingKey(hostSecret, hostKey);
  const sig = new Uint8Array(await crypto.subtle.sign(ECDSA_SHA256, key, buf(message)));
  return { token: { ...invite, sig: toBase64Url(sig) }, holderSecret: holder.secretKey };
}

/** The holder's proof for its own certificate: the room id and its fingerprint, signed with the holder key. */
export async function holderProof(secret: InviteSecret, roomId: string, fingerprint: string): Promise<string> {
  const key = await importHostSigningKey(secret.holderSecret, secret.token.key);
  const sig = await crypto.subtle.sign(ECDSA_SHA256, key, buf(holderMessage(roomId, normalizeFingerprint(fingerprint))));
  return toBase64Url(new Uint8Array(sig));
}

export type InviteRejection = 'bad-credential' | 'expired';

/**
 * Verify an invite as presented by the peer whose certificate this verifier reads as
 * `fingerprint` (from its own live link, never from what the peer says): the host's signature,
 * the room, the expiry and the holder's proof. Never throws.
 */
export async function verifyInvite(
  token: unknown,
  proof: unknown,
  ctx: { hostKey: string; roomId: string; fingerprint: string | null; now: number },
): Promise<{ ok: true; invite: Invite } | { ok: false; reason: InviteRejection }> {
  try {
    const fields = readInvite(token);
    const sig = decodeSignature((token as { sig?: unknown } | null)?.sig);
    const holderSig = decodeSignature(proof);
    const fingerprint = normalizeFingerprint(ctx.fingerprint ?? '');
    if (!fields || !sig || !holderSig || !fingerprint) return { ok: false, reason: 'bad-credential' };
    const host = await verifyKey(ctx.hostKey);
    if (!host || !(await crypto.subtle.verify(ECDSA_SHA256, host, buf(sig), buf(encodeInvite(fields))))) {
      return { ok: false, reason: 'bad-credential' };
    }
    if (fields.room !== ctx.roomId) return { ok: false, reason: 'bad-credential' };
    if (!Number.isFinite(ctx.now) || ctx.now > fields.exp + INVITE_LEEWAY_MS) return { ok: false, reason: 'expired' };
    const holder = await verifyKey(fields.key);
    if (!holder || !(await crypto.subtle.verify(ECDSA_SHA256, holder, buf(holderSig), buf(holderMessage(ctx.roomId, fingerprint))))) {
      return { ok: false, reason: 'bad-credential' };
    }
    return { ok: true, invite: fields };
  } catch {
    return { ok: false, reason: 'bad-credential' };
  }
}
