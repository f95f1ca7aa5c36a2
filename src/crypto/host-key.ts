// The host credential of a room: a P-256 key pair whose public half the room link commits and
// whose secret half travels, if at all, only as a passphrase-sealed blob in the host's link.
// Signing and verifying are WebCrypto's; this module only converts between the link's
// compressed point and the uncompressed (x, y) form WebCrypto imports, validating on the way.
import { KibitzError } from '../errors.js';
import { buf, concatBytes, fromBase64Url, fromHex, randomBytes, toBase64Url, toHex, utf8 } from './bytes.js';

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
const COORDINATE_BYTES = 32;

// P-256 (FIPS 186-4 D.1.2.3): y^2 = x^3 - 3x + b over GF(p), a group of prime order n.
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

const toBigInt = (bytes: Uint8Array): bigint => BigInt('0x' + (toHex(bytes) || '0'));
const toBytes32 = (n: bigint): Uint8Array => fromHex(n.toString(16).padStart(COORDINATE_BYTES * 2, '0'))!;

function powMod(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  base %= modulus;
  for (; exponent > 0n; exponent >>= 1n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
  }
  return result;
}

/** A P-256 secret key is a 32-byte big-endian scalar d with 1 <= d < n. */
export function isHostSecretKey(secretKey: unknown): secretKey is Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) return false;
  const d = toBigInt(secretKey);
  return d > 0n && d < N;
}

function assertSecretKey(secretKey: Uint8Array): void {
  if (!isHostSecretKey(secretKey)) throw new KibitzError('ERR_BAD_KEY', 'not a P-256 secret key');
}

/** Strict base64url: rejects spellings that decode to the same bytes as the canonical one. */
function fromCanonicalBase64Url(text: string): Uint8Array | null {
  const bytes = fromBase64Url(text);
  return bytes && toBase64Url(bytes) === text ? bytes : null;
}

/**
 * The (x, y) coordinates of a compressed point (prefix 02 for even y, 03 for odd, then x),
 * or null when the bytes are not such a point on P-256. Since p = 3 (mod 4), the square
 * root of r = x^3 - 3x + b is r^((p+1)/4) when r has one; squaring it back tells.
 */
function decompress(point: Uint8Array): { x: Uint8Array; y: Uint8Array } | null {
  if (point.length !== PUBLIC_KEY_BYTES || (point[0] !== 0x02 && point[0] !== 0x03)) return null;
  const x = toBigInt(point.subarray(1));
  if (x >= P) return null;
  const rhs = ((((x * x) % P) + P - 3n) * x + B) % P;
  let y = powMod(rhs, (P + 1n) / 4n, P);
  if ((y * y) % P !== rhs) return null;
  if ((y & 1n) !== BigInt(point[0] & 1)) y = P - y;
  return { x: point.slice(1), y: toBytes32(y) };
}

/** The compressed form of an uncompressed point given as its two 32-byte coordinates. */
function compress(x: Uint8Array, y: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x02 | (y[COORDINATE_BYTES - 1] & 1)), x);
}

/**
 * Decode a committed host public key to its (x, y) coordinates, refusing anything that is
 * not a compressed point on P-256 in canonical base64url.
 */
function decodePoint(text: string): { compressed: Uint8Array; x: Uint8Array; y: Uint8Array } {
  const bytes = typeof text === 'string' && text.length <= 64 ? fromCanonicalBase64Url(text) : null;
  const point = bytes && decompress(bytes);
  if (!bytes || !point) throw new KibitzError('ERR_BAD_KEY', 'not a compressed P-256 public key');
  return { compressed: bytes, ...point };
}

/**
 * The uncompressed form (`04 || x || y`, 65 bytes) of a committed host public key, as
 * WebCrypto's 'raw' import takes it. Throws ERR_BAD_KEY like {@link decodeHostPublicKey}.
 * @example
 * uncompressHostPublicKey(link['host-key']).length === 65
 */
export function uncompressHostPublicKey(text: string): Uint8Array {
  const { x, y } = decodePoint(text);
  return concatBytes(Uint8Array.of(0x04), x, y);
}

/**
 * Create a fresh host key pair with WebCrypto. Keep `secretKey` (the 32-byte scalar) in
 * memory or seal it; publish `publicKey`.
 * @example
 * const { publicKey, secretKey } = await generateHostKey();
 * // publicKey: 44-character base64url of the compressed point
 */
export async function generateHostKey(): Promise<{ publicKey: string; secretKey: Uint8Array }> {
  const pair = await crypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
  const d = fromBase64Url(jwk.d ?? '');
  const x = fromBase64Url(jwk.x ?? '');
  const y = fromBase64Url(jwk.y ?? '');
  if (!d || !x || !y || !isHostSecretKey(d) || x.length !== COORDINATE_BYTES || y.length !== COORDINATE_BYTES) {
    throw new KibitzError('ERR_BAD_KEY', 'WebCrypto exported an unexpected P-256 key');
  }
  return { publicKey: toBase64Url(compress(x, y)), secretKey: d };
}

/**
 * Decode a committed host public key, refusing anything that is not a compressed point on
 * P-256: a link is untrusted input, and a bad key must fail here rather than in every verify.
 * @example
 * const point = decodeHostPublicKey(link['host-key']); // 33 bytes, or throws ERR_BAD_KEY
 */
export function decodeHostPublicKey(text: string): Uint8Array {
  return decodePoint(text).compressed;
}

/**
 * Import a committed host public key (base64url compressed point) as a WebCrypto ECDSA
 * verify key. Throws ERR_BAD_KEY for anything {@link decodeHostPublicKey} refuses.
 * @example
 * const key = await importHostVerifyKey(link['host-key']);
 */
export async function importHostVerifyKey(publicKey: string): Promise<CryptoKey> {
  const raw = uncompressHostPublicKey(publicKey);
  return crypto.subtle.importKey('raw', buf(raw), ECDSA_P256, false, ['verify']);
}

/**
 * Import a host secret key as a WebCrypto ECDSA sign key. WebCrypto needs the public point
 * alongside the scalar, hence `publicKey`. Throws ERR_BAD_KEY for a bad scalar or point, or
 * when the browser sees that they do not belong together (not every browser checks).
 * @example
 * const key = await importHostSigningKey(secretKey, link['host-key']);
 */
export async function importHostSigningKey(secretKey: Uint8Array, publicKey: string): Promise<CryptoKey> {
  assertSecretKey(secretKey);
  const { x, y } = decodePoint(publicKey);
  const jwk: JsonWebKey = { kty: 'EC', crv: 'P-256', d: toBase64Url(secretKey), x: toBase64Url(x), y: toBase64Url(y) };
  try {
    return await crypto.subtle.importKey('jwk', jwk, ECDSA_P256, false, ['sign']);
  } catch (err) {
    throw new KibitzError('ERR_BAD_KEY', 'the secret key does not match the public key', { cause: err });
  }
}

/**
 * Whether `secretKey` is the secret half of `publicKey`. WebCrypto cannot derive a public
 * key from a scalar, so this signs a fixed message with the pair and verifies it with the
 * public key alone: a scalar that is not the point's discrete log yields a failed verify.
 */
async function isKeyPair(secretKey: Uint8Array, publicKey: string): Promise<boolean> {
  try {
    const message = buf(utf8('kibitz/host-key/pair-check'));
    const signature = await crypto.subtle.sign(ECDSA_SHA256, await importHostSigningKey(secretKey, publicKey), message);
    return await crypto.subtle.verify(ECDSA_SHA256, await importHostVerifyKey(publicKey), signature, message);
  } catch {
    return false;
  }
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
    typeof iterations === 'number' && Number.isInteger(iterations) && iterations >= MIN_SEAL_ITERATIONS && iterations <= MAX_SEAL_ITERATIONS
  );
}

/**
 * Seal a host secret key under a passphrase, for the host's own link. Blob layout (base64url):
 * `[version 1][iterations u32 BE][salt 16][iv 12][AES-256-GCM ciphertext 32 + tag 16]`; the
 * header (version, iterations, salt) is the GCM additional data, so editing it breaks the tag.
 * @example
 * const seal = await sealHostKey(secretKey, 'correct horse battery staple');
 */
export async function sealHostKey(secretKey: Uint8Array, passphrase: string, options: { iterations?: number } = {}): Promise<string> {
  assertSecretKey(secretKey);
  const iterations = options.iterations ?? MIN_SEAL_ITERATIONS;
  if (!validIterations(iterations)) {
    throw new KibitzError('ERR_BAD_SEAL', `iterations must be an integer from ${MIN_SEAL_ITERATIONS} to ${MAX_SEAL_ITERATIONS}`);
  }
  const secret = passphraseBytes(passphrase);
  const header = new Uint8Array(HEADER_BYTES);
  header[0] = SEAL_VERSION;
  new DataView(header.buffer).setUint32(1, iterations, false);
  header.set(randomBytes(SALT_BYTES), 5);
  const iv = randomBytes(IV_BYTES);
  const key = await deriveSealKey(secret, header.subarray(5), iterations);
  const cipher = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(header) }, key, buf(secretKey));
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
  if (expectedPublicKey !== undefined) decodeHostPublicKey(expectedPublicKey);
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
  if (!isHostSecretKey(secretKey)) throw new KibitzError('ERR_BAD_SEAL', 'host seal holds no valid key');
  if (expectedPublicKey !== undefined && !(await isKeyPair(secretKey, expectedPublicKey))) {
    secretKey.fill(0);
    throw new KibitzError('ERR_BAD_KEY', "the sealed key is not the room's host key");
  }
  return secretKey;
}
