// The admission gate a room link carries: which proof a joiner must show before it is rostered.
// The descriptor travels in the link's fragment and is hashed into the room's signaling id and
// seal key (see room-keys), so a link whose gate was stripped or altered reaches another,
// empty room, never this room with the gate off. A join code never travels: the link holds a
// slow-KDF commitment to it, and members prove the code bound to their own certificate.
import { KibitzError } from '../errors.js';
import { buf, concatBytes, fromBase64Url, randomBytes, toBase64Url, utf8 } from './bytes.js';

export type GateMethod = 'invite' | 'names' | 'code' | 'oidc' | 'email';
export const GATE_METHODS: readonly GateMethod[] = ['invite', 'names', 'code', 'oidc', 'email'];

/** The gate as a link carries it (a join code only as its commitment). */
export type GateDescriptor =
  | { method: 'invite' }
  | { method: 'names'; names: string[] }
  | { method: 'code'; commit: string }
  | { method: 'oidc'; issuer: string; clientId: string; allow: string[] }
  | { method: 'email'; issuer: string; allow: string[] };

/** What `createRoom({ gate })` takes: the code in clear, to be committed. */
export type GateOption =
  | { method: 'invite' }
  | { method: 'names'; names: string[] }
  | { method: 'code'; code: string }
  | { method: 'oidc'; issuer: string; clientId: string; allow: string[] }
  | { method: 'email'; issuer: string; allow: string[] };

/** Why a gate turned a joiner away; stable strings, shown in `kibitz-gate` events. */
export type GateReason = 'bad-credential' | 'expired' | 'not-allowed' | 'issuer-unreachable' | 'already-in-use' | 'too-many-tries';
export const GATE_REASONS: readonly GateReason[] = [
  'bad-credential',
  'expired',
  'not-allowed',
  'issuer-unreachable',
  'already-in-use',
  'too-many-tries',
];

export const isGateReason = (reason: unknown): reason is GateReason => (GATE_REASONS as readonly unknown[]).includes(reason);

/** A code gate's commitment: a salt, then the check value of the stretched code. */
export const SALT_BYTES = 16;
export const COMMIT_BYTES = SALT_BYTES + 32;
const MAX_DESCRIPTOR_CHARS = 4096;
const MAX_NAMES = 256;
const MAX_NAME_CHARS = 64;
const MAX_ALLOW = 64;
const MAX_CLIENT_ID = 256;
const CONTROL = /\p{Cc}/u;
/** Unambiguous characters for generated codes: no 0/O, 1/I/L. */
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** A gate or join-code input that cannot be used (ERR_BAD_GATE). */
export function bad(message: string): KibitzError {
  return new KibitzError('ERR_BAD_GATE', message);
}

const nameKey = (name: string): string => name.normalize('NFKC').trim().toLowerCase();

/** Names compare the way people read them: NFKC, case and outer space ignored. */
export function nameOnList(name: string, names: readonly string[]): boolean {
  const key = nameKey(name);
  return key !== '' && names.some((n) => nameKey(n) === key);
}

function cleanNames(input: unknown): string[] {
  if (!Array.isArray(input) || input.length === 0) throw bad('a names gate needs a non-empty list of names');
  if (input.length > MAX_NAMES) throw bad(`a names gate holds at most ${MAX_NAMES} names`);
  const out: string[] = [];
  for (const raw of input) {
    if (typeof raw !== 'string') throw bad('every name must be a string');
    const name = raw.normalize('NFC').trim();
    if (!name || [...name].length > MAX_NAME_CHARS || CONTROL.test(name)) throw bad(`not a usable name: ${JSON.stringify(raw)}`);
    if (!out.some((n) => nameKey(n) === nameKey(name))) out.push(name);
  }
  return out;
}

/** An issuer URL: https, or http on a loopback host (development and tests), with no fragment or query. */
function cleanIssuer(input: unknown): string {
  if (typeof input !== 'string' || input.length > 512) throw bad('issuer must be a URL');
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw bad('issuer must be a URL');
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw bad('issuer must be https (or http on localhost)');
  if (url.search || url.hash || url.username || url.password) throw bad('issuer must not carry a query, fragment or credentials');
  // The token's `iss` must equal this string exactly, so keep the spelling given (sans trailing slash).
  return input.endsWith('/') ? input.slice(0, -1) : input;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;
const DOMAIN = /^@[a-z0-9.-]{1,253}$/;

function cleanAllow(input: unknown): string[] {
  if (!Array.isArray(input) || input.length === 0) throw bad('allow must list addresses or @domains');
  if (input.length > MAX_ALLOW) throw bad(`allow holds at most ${MAX_ALLOW} entries`);
  return input.map((raw) => {
    const entry = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (!DOMAIN.test(entry) && !EMAIL.test(entry)) throw bad(`allow entry ${JSON.stringify(raw)} is neither an address nor @domain`);
    return entry;
  });
}

/** Whether a verified address is on an allow-list: an exact address, or any address of an @domain. */
export function emailAllowed(email: string, allow: readonly string[]): boolean {
  const address = email.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  if (at < 1) return false;
  const domain = address.slice(at);
  return allow.some((entry) => (entry.startsWith('@') ? entry === domain : entry === address));
}

/** Copy a descriptor out of untrusted input in its canonical shape, or throw ERR_BAD_GATE. */
export function readGate(input: unknown): GateDescriptor {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('a gate is an object with a method');
  const g = input as Record<string, unknown>;
  switch (g.method) {
    case 'invite':
      return { method: 'invite' };
    case 'names':
      return { method: 'names', names: cleanNames(g.names) };
    case 'code': {
      const commit = typeof g.commit === 'string' ? fromBase64Url(g.commit) : null;
      if (!commit || commit.length !== COMMIT_BYTES || toBase64Url(commit) !== g.commit) throw bad('a code gate carries a commitment');
      return { method: 'code', commit: g.commit };
    }
    case 'oidc': {
      const { clientId } = g;
      if (typeof clientId !== 'string' || !clientId || clientId.length > MAX_CLIENT_ID || CONTROL.test(clientId)) {
        throw bad('an oidc gate needs a clientId');
      }
      return { method: 'oidc', issuer: cleanIssuer(g.issuer), clientId, allow: cleanAllow(g.allow) };
    }
    case 'email':
      return { method: 'email', issuer: cleanIssuer(g.issuer), allow: cleanAllow(g.allow) };
    default:
      throw bad(`unknown gate method ${JSON.stringify(g.method)}: use ${GATE_METHODS.join(', ')}`);
  }
}

/** The one spelling of a descriptor: what links carry and what the room keys hash. */
export function formatGate(gate: GateDescriptor): string {
  return JSON.stringify(readGate(gate));
}

/**
 * Read a descriptor from a link field or attribute (its JSON text). Throws ERR_BAD_GATE for
 * anything else.
 * @example parseGate('{"method":"invite"}') // { method: 'invite' }
 */
export function parseGate(text: string): GateDescriptor {
  if (typeof text !== 'string' || text.length > MAX_DESCRIPTOR_CHARS) throw bad('not a gate descriptor');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('the gate descriptor is not JSON');
  }
  return readGate(value);
}

// ---- join codes (committing and proving one is join-code.ts) ---------------------------

/**
 * A fresh join code: 10 characters from an unambiguous alphabet (about 49 bits), grouped for
 * reading as `ABCDE-FGHJK`. Dashes and spaces are ignored when it is typed back.
 */
export function createJoinCode(random: (length: number) => Uint8Array = randomBytes): string {
  const out: string[] = [];
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % CODE_ALPHABET.length);
  while (out.length < 10) {
    for (const byte of random(16)) if (byte < limit && out.length < 10) out.push(CODE_ALPHABET[byte % CODE_ALPHABET.length]!);
  }
  return `${out.slice(0, 5).join('')}-${out.slice(5).join('')}`;
}

// ---- ID token nonces --------------------------------------------------------------------

/**
 * The nonce an ID token must carry to count for the device with `fingerprint` in the room
 * with `roomId`: base64url(SHA-256(fingerprint ‖ room id)). The issuer sees only this hash;
 * a verifier recomputes it from its own live link to the holder.
 */
export async function tokenNonce(fingerprint: string, roomId: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', buf(concatBytes(utf8(fingerprint), utf8(roomId))))));
}
