// Join codes: the link holds a slow-KDF commitment to the code, never the code; a joiner
// proves it knows the code, bound to its own certificate, and members check that proof.
// Apart from the gate descriptors (gate.ts), so reading a link does not load this.
import { KibitzError } from '../errors.js';
import { buf, concatBytes, fromBase64Url, randomBytes, toBase64Url, utf8 } from './bytes.js';
import { COMMIT_BYTES, SALT_BYTES, bad } from './gate.js';

/** PBKDF2-SHA-256 rounds for a join code: each offline guess against a link costs this much. */
export const CODE_ITERATIONS = 600_000;
/** The least estimated strength of a join code, in bits. */
export const MIN_CODE_BITS = 40;
const MIN_CODE_DISTINCT = 5;
const MAX_CODE_CHARS = 128;
const CODE_SALT_LABEL = 'kibitz/join-code/v1';
const CODE_CHECK_LABEL = 'kibitz/join-code-check/v1';
const CODE_PROOF_LABEL = 'kibitz/join-code-proof/v1';

/** A code as people type it: NFKC, upper case, without spaces or dashes. */
export function normalizeCode(code: string): string {
  return code
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s-]+/g, '');
}

/**
 * A rough strength estimate: length × log2 of the pool its character classes span, for codes
 * people choose. Generated codes (`createJoinCode`) have about 49 bits.
 */
export function codeBits(code: string): number {
  const chars = [...normalizeCode(code)];
  if (new Set(chars).size < MIN_CODE_DISTINCT) return 0;
  let pool = 0;
  if (chars.some((c) => /[0-9]/.test(c))) pool += 10;
  if (chars.some((c) => /\p{Lu}|\p{Ll}/u.test(c))) pool += 26;
  if (chars.some((c) => !/[0-9]/.test(c) && !/\p{Lu}|\p{Ll}/u.test(c))) pool += 33;
  return chars.length * Math.log2(Math.max(pool, 2));
}

function checkCodeInput(code: unknown): string {
  if (typeof code !== 'string' || [...code].length > MAX_CODE_CHARS) throw bad('a join code is a string');
  return normalizeCode(code);
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf(concatBytes(...parts))));
}

/** The slow part: the code stretched under the commitment's salt. Each member computes it once. */
async function stretchCode(code: string, salt: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', buf(utf8(code)), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: buf(concatBytes(utf8(CODE_SALT_LABEL), salt)), iterations: CODE_ITERATIONS },
    key,
    256,
  );
  return new Uint8Array(bits);
}

const checkValue = (stretched: Uint8Array) => sha256(utf8(CODE_CHECK_LABEL), new Uint8Array([0]), stretched);

/**
 * Commit to a join code for a link: a random salt and SHA-256 of the stretched code. Throws
 * ERR_WEAK_CODE below MIN_CODE_BITS: anyone holding the link can guess offline.
 */
export async function commitJoinCode(code: string, random: (length: number) => Uint8Array = randomBytes): Promise<string> {
  const normal = checkCodeInput(code);
  if (codeBits(normal) < MIN_CODE_BITS) {
    throw new KibitzError(
      'ERR_WEAK_CODE',
      `the join code is too weak (about ${Math.floor(codeBits(normal))} bits; at least ${MIN_CODE_BITS} are needed): the link carries a commitment anyone holding it can guess against offline. createJoinCode() makes a strong one`,
    );
  }
  const salt = random(SALT_BYTES);
  return toBase64Url(concatBytes(salt, await checkValue(await stretchCode(normal, salt))));
}

/** The stretched code when `code` opens `commit`, else null (a wrong code). */
export async function openJoinCode(code: string, commit: string): Promise<Uint8Array | null> {
  const normal = checkCodeInput(code);
  const bytes = fromBase64Url(commit);
  if (!bytes || bytes.length !== COMMIT_BYTES) throw bad('not a code commitment');
  const stretched = await stretchCode(normal, bytes.subarray(0, SALT_BYTES));
  const check = await checkValue(stretched);
  let diff = 0;
  for (let i = 0; i < check.length; i++) diff |= check[i]! ^ bytes[SALT_BYTES + i]!;
  return diff === 0 ? stretched : null;
}

async function hmac(key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', buf(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, buf(message)));
}

const proofMessage = (roomId: string, fingerprint: string) =>
  concatBytes(utf8(CODE_PROOF_LABEL), new Uint8Array([0]), utf8(roomId), new Uint8Array([0]), utf8(fingerprint));

/** Proof that the holder of `fingerprint` knows the code: useless from any other certificate. */
export async function codeProof(stretched: Uint8Array, roomId: string, fingerprint: string): Promise<string> {
  return toBase64Url(await hmac(stretched, proofMessage(roomId, fingerprint)));
}

/** Check a code proof against the fingerprint read from this peer's own link to its holder. */
export async function verifyCodeProof(stretched: Uint8Array, roomId: string, fingerprint: string, proof: unknown): Promise<boolean> {
  if (typeof proof !== 'string' || proof.length !== 43) return false;
  const given = fromBase64Url(proof);
  if (!given || given.length !== 32) return false;
  const expected = await hmac(stretched, proofMessage(roomId, fingerprint));
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ given[i]!;
  return diff === 0;
}
