// The one canonical spelling of a compact ECDSA P-256 signature, shared by every signed
// object (host commands, room state, invites).
import { fromBase64Url, toBase64Url } from './bytes.js';

const SIGNATURE_BYTES = 64;
const SIG_PATTERN = /^[A-Za-z0-9_-]{86}$/;

/** A base64url 64-byte signature in its one canonical spelling, or null. */
export function decodeSignature(sig: unknown): Uint8Array | null {
  if (typeof sig !== 'string' || !SIG_PATTERN.test(sig)) return null;
  const bytes = fromBase64Url(sig);
  // 86 characters carry 516 bits for 512: the spare bits must be zero, or one signature
  // would have several spellings.
  return bytes && bytes.length === SIGNATURE_BYTES && toBase64Url(bytes) === sig ? bytes : null;
}
