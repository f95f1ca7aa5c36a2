// The host credential of a room: a P-256 key pair whose public half the room link commits and
// whose secret half travels, if at all, only as a passphrase-sealed blob in the host's link.
import { p256 } from '@noble/curves/nist.js';
import { KibitzError } from '../errors.js';
import { buf, concatBytes, fromBase64Url, randomBytes, toBase64Url, utf8 } from './bytes.js';

/** OWASP's 2023 floor for PBKDF2-HMAC-SHA-256; a seal asking for less is refused, not weakened. */
export const MIN_SEAL_ITERATIONS = 600_000;
/**
 * Seals arrive inside links anyone can craft; without a ceiling, a link could pin a browser
 * on a PBKDF2 run of billions of rounds.
 */
export const MAX_SEAL_ITERATIONS = 10_000_000;

const SEAL_VERSION = 1;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const SECRET_KEY_BYTES = 32;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + 4 + SALT_BYTES;
/** Version 1 seals hold exactly one 32-byte scalar, so every valid blob has this length. */
const SEAL_BYTES = HEADER_BYTES + IV_BYTES + SECRET_KEY_BYTES + TAG_BYTES;
const PUBLIC_KEY_BYTES = 33;

/** Strict base64url: rejects spellings that decode to the same bytes as the canonical one. */
function fromCanonicalBase64Url(text: string): Uint8Array | null {
  const bytes = fromBase64Url(text);
  return bytes && toBase64Url(bytes) === text ? bytes : null;
}

function assertSecretKey(secretKey: Uint8Array): void {
  if (!(secretKey instanceof Uint8Array) || !p256.utils.isValidSecretKey(secretKey)) {
    throw new KibitzError('ERR_BAD_KEY', 'not a P-256 secret key');
  }
}

/**
 * Create a fresh host key pair. Keep `secretKey` in memory or seal it; publish `publicKey`.
 * @example
 * const { publicKey, secretKey } = generateHostKey();
 * // publicKey: 44-character base64url of the compressed point
 */
export function generateHostKey(): { publicKey: string; secretKey: Uint8Array } {
  const secretKey = p256.utils.randomSecretKey();
  return { publicKey: publicKeyOf(secretKey), secretKey };
}

/**
 * The link form (base64url of the 33-byte compressed point) of a secret key's public key.
 * @example
 * publicKeyOf(secretKey) === generatedPair.publicKey
 */
export function publicKeyOf(secretKey: Uint8Array): string {
  assertSecretKey(secretKey);
  return toBase64Url(p256.getPublicKey(secretKey, true));
}

/**
 * Decode a committed host public key, refusing anything that is not a compressed point on
 * P-256: a link is untrusted input, and a bad key must fail here rather than in every verify.
 * @example
 * const point = decodeHostPublicKey(link['host-key']); // 33 bytes, or throws ERR_BAD_KEY
 */
export function decodeHostPublicKey(text: string): Uint8Array {
  const bytes = typeof text === 'string' && text.length <= 64 ? fromCanonicalBase64Url(text) : null;
  if (!bytes || bytes.length !== PUBLIC_KEY_BYTES || !p256.utils.isValidPublicKey(bytes, true)) {
    throw new KibitzError('ERR_BAD_KEY', 'not a compressed P-256 public key');
  }
  return bytes;
}

// RFC 8265 (OpaqueString) asks for NFC so the same passphrase typed on two systems that
// compose accents differently still opens the seal.
function passphraseBytes(passphrase: string): Uint8Array {
  if (typeof passphrase !== 'string' || passphrase.length === 0) {
    throw new KibitzError('ERR_BAD_PASSPHRASE', 'the host passphrase must not be empty');
  }
  return utf8(passphrase.normalize('NFC'));
}

async function deriveSealKey(passphrase: Uint8Array, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', buf(passphrase), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: buf(salt), iterations },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

function validIterations(iterations: unknown): iterations is number {
  return (
    typeof iterations === 'number' &&
    Number.isInteger(iterations) &&
    iterations >= MIN_SEAL_ITERATIONS &&
    iterations <= MAX_SEAL_ITERATIONS
  );
}

/**
 * Seal a host secret key under a passphrase, for the host's own link. Blob layout (base64url):
 * `[version 1][iterations u32 BE][salt 16][iv 12][AES-256-GCM ciphertext 32 + tag 16]`; the
 * header (version, iterations, salt) is the GCM additional data, so editing it breaks the tag.
 * @example
 * const seal = await sealHostKey(secretKey, 'correct horse battery staple');
 */
export async function sealHostKey(
  secretKey: Uint8Array,
  passphrase: string,
  options: { iterations?: number } = {},
): Promise<string> {
  assertSecretKey(secretKey);
  const iterations = options.iterations ?? MIN_SEAL_ITERATIONS;
  if (!validIterations(iterations)) {
    throw new KibitzError(
      'ERR_BAD_SEAL',
      `iterations must be an integer from ${MIN_SEAL_ITERATIONS} to ${MAX_SEAL_ITERATIONS}`,
    );
  }
  const secret = passphraseBytes(passphrase);
  const header = new Uint8Array(HEADER_BYTES);
  header[0] = SEAL_VERSION;
  new DataView(header.buffer).setUint32(1, iterations, false);
  header.set(randomBytes(SALT_BYTES), 5);
  const iv = randomBytes(IV_BYTES);
  const key = await deriveSealKey(secret, header.subarray(5), iterations);
  const cipher = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: buf(iv), additionalData: buf(header) },
    key,
    buf(secretKey),
  );
  return toBase64Url(concatBytes(header, iv, new Uint8Array(cipher)));
}

/**
 * Open a seal made by {@link sealHostKey}. Pass the link's committed public key as
 * `expectedPublicKey` so a seal swapped into the link cannot make you host with a key no
 * guest trusts.
 * @example
 * const secretKey = await unsealHostKey(link['host-seal'], passphrase, link['host-key']);
 * // ERR_BAD_SEAL: malformed blob; ERR_BAD_PASSPHRASE: wrong passphrase; ERR_BAD_KEY: not this room's key
 */
export async function unsealHostKey(seal: string, passphrase: string, expectedPublicKey?: string): Promise<Uint8Array> {
  const bytes = typeof seal === 'string' && seal.length <= 1024 ? fromCanonicalBase64Url(seal) : null;
  if (!bytes || bytes.length !== SEAL_BYTES) throw new KibitzError('ERR_BAD_SEAL', 'malformed host seal');
  if (bytes[0] !== SEAL_VERSION) throw new KibitzError('ERR_BAD_SEAL', `unknown host seal version ${bytes[0]}`);
  const iterations = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1, false);
  if (!validIterations(iterations)) throw new KibitzError('ERR_BAD_SEAL', 'host seal iteration count out of range');
  // Check the expected key before the slow derivation: a bad link fails fast.
  const expected = expectedPublicKey === undefined ? undefined : decodeHostPublicKey(expectedPublicKey);
  const secret = passphraseBytes(passphrase);
  const header = bytes.subarray(0, HEADER_BYTES);
  const iv = bytes.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES);
  const key = await deriveSealKey(secret, header.subarray(5), iterations);
  let secretKey: Uint8Array;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: buf(iv), additionalData: buf(header) },
      key,
      buf(bytes.subarray(HEADER_BYTES + IV_BYTES)),
    );
    secretKey = new Uint8Array(plain);
  } catch (err) {
    // GCM cannot tell a wrong passphrase from a tampered body; the passphrase is the likely cause.
    throw new KibitzError('ERR_BAD_PASSPHRASE', 'wrong passphrase or damaged host seal', { cause: err });
  }
  if (!p256.utils.isValidSecretKey(secretKey)) throw new KibitzError('ERR_BAD_SEAL', 'host seal holds no valid key');
  if (expected && publicKeyOf(secretKey) !== toBase64Url(expected)) {
    throw new KibitzError('ERR_BAD_KEY', "the sealed key is not the room's host key");
  }
  return secretKey;
}
