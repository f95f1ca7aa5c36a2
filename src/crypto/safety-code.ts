// Safety codes: what two people read aloud to know that nobody sits between their browsers.
// Pure WebCrypto. A pair's code binds both DTLS fingerprints as each end sees them live, both
// ends' fresh nonces and the room, so a man in the middle (who must present its own
// certificate to each side) leaves the two ends with codes that differ.
//
// The lower id commits first to H(nonce ‖ own fingerprint ‖ the fingerprint it sees); the
// other end answers with its nonce; the first then reveals. Neither side can choose its nonce
// after seeing the other's, so a man in the middle gets one guess per pair at making two
// ≥ 40-bit codes collide, never a grinding loop.
import { normalizeFingerprint } from './command.js';
import { buf, concatBytes, utf8 } from './bytes.js';

export const SAFETY_NONCE_BYTES = 32;
export const SAFETY_COMMITMENT_BYTES = 32;
/** Groups of three digits in a code: 15 decimal digits, about 49.8 bits. */
export const SAFETY_CODE_GROUPS = 5;

const COMMIT_LABEL = 'kibitz/safety-commit/v1';
const CODE_LABEL = 'kibitz/safety-code/v1';

/** One field, length-prefixed (two bytes, big-endian), so no two inputs encode alike. */
function field(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 0xffff) throw new RangeError('safety code input too long');
  return concatBytes(new Uint8Array([bytes.length >> 8, bytes.length & 0xff]), bytes);
}

function fingerprintField(fp: string): Uint8Array {
  const normal = normalizeFingerprint(fp);
  if (!normal) throw new TypeError('a safety code needs SHA-256 DTLS fingerprints');
  return field(utf8(normal));
}

function nonceField(nonce: Uint8Array): Uint8Array {
  if (!(nonce instanceof Uint8Array) || nonce.length !== SAFETY_NONCE_BYTES) {
    throw new TypeError(`a safety nonce is ${SAFETY_NONCE_BYTES} bytes`);
  }
  return field(nonce);
}

/**
 * The committer's commitment: SHA-256 over a label, its nonce, its own fingerprint and the
 * fingerprint it sees on the link.
 * @example
 * const nonce = crypto.getRandomValues(new Uint8Array(32));
 * const commitment = await safetyCommitment(nonce, myFingerprint, await link.fingerprint());
 */
export async function safetyCommitment(nonce: Uint8Array, ownFingerprint: string, seenFingerprint: string): Promise<Uint8Array> {
  const input = concatBytes(
    field(utf8(COMMIT_LABEL)),
    nonceField(nonce),
    fingerprintField(ownFingerprint),
    fingerprintField(seenFingerprint),
  );
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf(input)));
}

/**
 * Whether a revealed nonce opens a commitment, given the committer's fingerprint as the
 * responder sees it and the responder's own. False for any malformed input; never throws.
 * @example
 * if (!(await opensCommitment(commitment, revealed, await link.fingerprint(), myFingerprint))) alarm();
 */
export async function opensCommitment(
  commitment: Uint8Array,
  nonce: Uint8Array,
  committerFingerprint: string,
  responderFingerprint: string,
): Promise<boolean> {
  if (!(commitment instanceof Uint8Array) || commitment.length !== SAFETY_COMMITMENT_BYTES) return false;
  let expected: Uint8Array;
  try {
    expected = await safetyCommitment(nonce, committerFingerprint, responderFingerprint);
  } catch {
    return false;
  }
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected[i] ^ commitment[i];
  return diff === 0;
}

export interface SafetyCodeInput {
  /** The nonce the lower id committed to and revealed. */
  committerNonce: Uint8Array;
  /** The nonce the other end answered with. */
  responderNonce: Uint8Array;
  /** Something both ends know and the broker does not: the normalised room name. */
  room: string;
  /** The committer's DTLS fingerprint (its own certificate, or as the responder sees it live). */
  committerFingerprint: string;
  /** The responder's DTLS fingerprint (its own certificate, or as the committer sees it live). */
  responderFingerprint: string;
}

/**
 * The pair's code: HKDF-SHA-256 over both nonces (the key material), salted with a label, with
 * the room and both fingerprints as the info, read as five groups of three digits.
 * @example
 * await deriveSafetyCode({ committerNonce, responderNonce, room: 'team standup', committerFingerprint, responderFingerprint });
 * // '042 917 305 668 120'
 */
export async function deriveSafetyCode(input: SafetyCodeInput): Promise<string> {
  const ikm = concatBytes(nonceField(input.committerNonce), nonceField(input.responderNonce));
  const info = concatBytes(
    field(utf8(input.room)),
    fingerprintField(input.committerFingerprint),
    fingerprintField(input.responderFingerprint),
  );
  const key = await crypto.subtle.importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: buf(utf8(CODE_LABEL)), info: buf(info) },
    key,
    SAFETY_CODE_GROUPS * 32,
  );
  return formatSafetyCode(new Uint8Array(bits));
}

/**
 * Digits people can read aloud: each group is a big-endian 32-bit word modulo 1000 (the bias,
 * under 2^-22 per group, costs nothing measurable).
 * @example formatSafetyCode(new Uint8Array(20)) === '000 000 000 000 000'
 */
export function formatSafetyCode(bytes: Uint8Array): string {
  if (bytes.length < SAFETY_CODE_GROUPS * 4) throw new RangeError(`a safety code needs ${SAFETY_CODE_GROUPS * 4} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const groups: string[] = [];
  for (let i = 0; i < SAFETY_CODE_GROUPS; i++) groups.push(String(view.getUint32(i * 4) % 1000).padStart(3, '0'));
  return groups.join(' ');
}
