// DTLS certificate fingerprints in one spelling. Apart from the signed commands that bind to
// them, so the element can show its own before a call's code has loaded.

/** Longest fingerprint text accepted: a 'sha-256 ' prefix on 95 characters, with room to spare. */
export const MAX_FINGERPRINT = 128;

/**
 * Normalise a DTLS certificate fingerprint to lowercase colon-separated hex so that SDP,
 * `getStats()` and hand-typed spellings compare equal; '' when it is not a SHA-256 digest.
 * @example
 * normalizeFingerprint('sha-256 AB:CD:…') === 'ab:cd:…'
 * normalizeFingerprint('not a fingerprint') === ''
 */
export function normalizeFingerprint(fp: string): string {
  if (typeof fp !== 'string' || fp.length > MAX_FINGERPRINT) return '';
  const bare = fp.trim().replace(/^sha-256\s+/i, '');
  const colonSeparated = /^[0-9a-f]{2}(?::[0-9a-f]{2}){31}$/i.test(bare);
  if (!colonSeparated && !/^[0-9a-f]{64}$/i.test(bare)) return '';
  const hex = bare.replace(/:/g, '').toLowerCase();
  return hex.match(/../g)!.join(':');
}
