// Host moderation commands: signed by the key the room link commits, bound to the room, to the
// signer's live DTLS certificate and to a short time window, and accepted at most once. Every
// peer verifies for itself; the coordinator only relays. The signatures are WebCrypto's
// ECDSA: non-blocking, and with no curve code of our own in the bundle.
import { KibitzError } from '../errors.js';
import { buf, concatBytes, randomBytes, toBase64Url, utf8 } from './bytes.js';
import { ECDSA_SHA256, importHostSigningKey, importHostVerifyKey, isHostSecretKey } from './host-key.js';
import { normalizeRoomName } from './room-keys.js';
import { MAX_FINGERPRINT, normalizeFingerprint } from './fingerprint.js';
import { decodeSignature } from './signature.js';

export { decodeSignature, normalizeFingerprint };

/** Every moderation operation a host may sign. */
export const HOST_OPS = ['claim', 'lobby-on', 'lobby-off', 'admit', 'deny', 'lock', 'unlock', 'kick', 'reset'] as const;
export type HostOp = (typeof HOST_OPS)[number];

/** A command older than this (by the verifier's clock) is refused as stale. */
export const COMMAND_MAX_AGE_MS = 120_000;
/** Leeway for a signer whose clock runs ahead of the verifier's. */
export const COMMAND_MAX_FUTURE_MS = 60_000;

const PROTOCOL_TAG = 'kibitz-host';
const PROTOCOL_VERSION = 1;
// Caps in UTF-16 units. The room cap exceeds the link's 256 characters because NFKC may
// lengthen a name (the fingerprint cap is in fingerprint.ts).
const MAX_ROOM = 1024;
const MAX_TARGET = 256;
const ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** The signed fields of a host command, in their wire (JSON object) form. */
export interface HostCommand {
  p: 'kibitz-host';
  v: 1;
  /** Normalised room name (see `normalizeRoomName`). */
  room: string;
  op: HostOp;
  /** Peer id the op applies to, or '' for room-wide ops. */
  target: string;
  /** The signer's DTLS SHA-256 fingerprint, normalised ('ab:cd:…'). */
  fp: string;
  /** Issued-at, integer milliseconds since the epoch. */
  iat: number;
  /** Unique per command: base64url, 16 to 64 characters (16 random bytes when generated). */
  id: string;
}

export interface SignedHostCommand extends HostCommand {
  /** base64url of the 64-byte compact ECDSA P-256 / SHA-256 signature over `encodeHostCommand`. */
  sig: string;
}

export type HostCommandRejection = 'malformed' | 'signature' | 'room' | 'binding' | 'stale' | 'future' | 'replay';

// A lone surrogate would UTF-8-encode as U+FFFD, letting two different strings share one
// signed encoding; such strings are refused outright.
const LONE_SURROGATE = /\p{Cs}/u;

function isString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max && !LONE_SURROGATE.test(value);
}

function isHostOp(value: unknown): value is HostOp {
  return typeof value === 'string' && (HOST_OPS as readonly string[]).includes(value);
}

/** Copy exactly the signed fields out of untrusted input, or null if any is out of shape. */
function readFields(input: unknown): HostCommand | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return null;
  const o = input as Record<string, unknown>;
  const { p, v, room, op, target, fp, iat, id } = o;
  if (p !== PROTOCOL_TAG || v !== PROTOCOL_VERSION) return null;
  if (!isString(room, MAX_ROOM) || room.length === 0) return null;
  if (!isHostOp(op)) return null;
  if (!isString(target, MAX_TARGET)) return null;
  if (!isString(fp, MAX_FINGERPRINT)) return null;
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) return null;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) return null;
  return { p, v, room, op, target, fp, iat, id };
}

/**
 * The exact bytes a host signs. Binary and length-prefixed, so it depends neither on JSON
 * key order nor on any JSON serialiser, and no two distinct commands share an encoding:
 *
 *     str("kibitz-host") u8(1) str(room) str(op) str(target) str(fp) u64be(iat) str(id)
 *     where str(s) = u32be(byteLength(utf8(s))) || utf8(s)
 *
 * Changing this layout is a protocol version bump (see test/vectors/host-commands.json).
 * @example
 * const message = encodeHostCommand(cmd); // Uint8Array, identical on every peer
 */
export function encodeHostCommand(cmd: HostCommand): Uint8Array {
  const fields = readFields(cmd);
  if (!fields) throw new KibitzError('ERR_BAD_COMMAND', 'host command fields are out of shape');
  const parts: Uint8Array[] = [];
  const pushString = (text: string): void => {
    const bytes = utf8(text);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, bytes.length, false);
    parts.push(length, bytes);
  };
  pushString(fields.p);
  parts.push(new Uint8Array([fields.v]));
  pushString(fields.room);
  pushString(fields.op);
  pushString(fields.target);
  pushString(fields.fp);
  const iat = new Uint8Array(8);
  const view = new DataView(iat.buffer);
  view.setUint32(0, Math.floor(fields.iat / 2 ** 32), false);
  view.setUint32(4, fields.iat % 2 ** 32, false);
  parts.push(iat);
  pushString(fields.id);
  return concatBytes(...parts);
}

/**
 * Build an unsigned command, normalising the room and the signer's fingerprint so the signed
 * bytes are canonical. Throws ERR_BAD_COMMAND if a field cannot be encoded (for example an
 * empty or non-SHA-256 fingerprint: an unbound command would never verify).
 * @example
 * const cmd = createHostCommand({ room: 'Team Standup', op: 'kick', target: peerId, fp: myFingerprint, now: Date.now() });
 */
export function createHostCommand(fields: {
  room: string;
  op: HostOp;
  target?: string;
  fp: string;
  now: number;
  id?: string;
}): HostCommand {
  const fp = normalizeFingerprint(fields.fp);
  if (!fp) throw new KibitzError('ERR_BAD_COMMAND', 'the signer fingerprint is not a SHA-256 fingerprint');
  if (typeof fields.now !== 'number' || !Number.isFinite(fields.now)) {
    throw new KibitzError('ERR_BAD_COMMAND', 'now must be a finite number of milliseconds');
  }
  const cmd = {
    p: PROTOCOL_TAG,
    v: PROTOCOL_VERSION,
    room: typeof fields.room === 'string' ? normalizeRoomName(fields.room) : fields.room,
    op: fields.op,
    target: fields.target ?? '',
    fp,
    iat: Math.floor(fields.now),
    id: fields.id ?? toBase64Url(randomBytes(16)),
  };
  const checked = readFields(cmd);
  if (!checked) throw new KibitzError('ERR_BAD_COMMAND', 'host command fields are out of shape');
  return checked;
}

// Imported sign keys, per secret key array and then per public key: the host signs with one
// key for the life of a room, so it is imported once. Keyed weakly by the secret array, so an
// imported key lives no longer than the secret it came from; treat that array as immutable.
const signingKeys = new WeakMap<Uint8Array, { publicKey: string; key: Promise<CryptoKey> }>();

/** The host's WebCrypto signing key, imported once per secret key (also signs room-state records). */
export function signingKey(secretKey: Uint8Array, publicKey: string): Promise<CryptoKey> {
  const cached = signingKeys.get(secretKey);
  if (cached && cached.publicKey === publicKey) return cached.key;
  const key = importHostSigningKey(secretKey, publicKey);
  signingKeys.set(secretKey, { publicKey, key });
  // A failed import is not kept: the next call tries again (and fails the same way).
  key.catch(() => {
    if (signingKeys.get(secretKey)?.key === key) signingKeys.delete(secretKey);
  });
  return key;
}

/**
 * Sign a command with the host key pair: WebCrypto ECDSA P-256 over SHA-256, 64-byte r||s
 * (IEEE P1363). The signature is randomised and its s may be high or low: any valid
 * signature verifies. WebCrypto cannot derive a public key from a scalar, so `publicKey` (the
 * room's committed host key, base64url) comes along. Rejects with ERR_BAD_COMMAND for fields
 * out of shape and ERR_BAD_KEY for a bad key.
 * @example
 * const signed = await signHostCommand(createHostCommand({ ... }), hostSecretKey, link['host-key']);
 * channel.send(JSON.stringify(signed));
 */
export async function signHostCommand(cmd: HostCommand, secretKey: Uint8Array, publicKey: string): Promise<SignedHostCommand> {
  const message = encodeHostCommand(cmd);
  const fields = readFields(cmd)!;
  if (!isHostSecretKey(secretKey)) throw new KibitzError('ERR_BAD_KEY', 'not a P-256 secret key');
  const key = await signingKey(secretKey, publicKey);
  const signature = new Uint8Array(await crypto.subtle.sign(ECDSA_SHA256, key, buf(message)));
  return { ...fields, sig: toBase64Url(signature) };
}

/**
 * Remembers the ids of accepted commands for as long as they could still pass the freshness
 * check, so a captured command cannot be replayed. Memory stays bounded because entries are
 * dropped by issued-at once they are older than the window.
 * @example
 * const seen = new ReplayGuard();
 * await verifyHostCommand(frame, { hostKey, room, liveFingerprint, now: Date.now(), seen });
 */
export class ReplayGuard {
  private readonly windowMs: number;
  private readonly ids = new Map<string, number>();

  constructor(windowMs = 180_000) {
    // A shorter window would forget ids that the freshness check still accepts.
    if (!(windowMs >= COMMAND_MAX_AGE_MS)) {
      throw new KibitzError('ERR_BAD_COMMAND', `replay window must be at least ${COMMAND_MAX_AGE_MS} ms`);
    }
    this.windowMs = windowMs;
  }

  /** Whether this id was accepted and is still remembered. */
  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Record an accepted command's id, keyed for expiry by its issued-at. */
  remember(id: string, iat: number): void {
    this.ids.set(id, Math.max(iat, this.ids.get(id) ?? -Infinity));
  }

  /** Forget ids issued more than the window before `now`. */
  prune(now: number): void {
    for (const [id, iat] of this.ids) if (now - iat > this.windowMs) this.ids.delete(id);
  }

  /** How many ids are remembered (for tests and diagnostics). */
  get size(): number {
    return this.ids.size;
  }

  /** The remembered ids with their issued-at, to keep across a reload. */
  entries(): [string, number][] {
    return [...this.ids.entries()];
  }

  /** Take back ids kept before a reload; anything out of shape is ignored. */
  restore(entries: unknown): void {
    if (!Array.isArray(entries)) return;
    for (const entry of entries.slice(0, 4096)) {
      if (Array.isArray(entry) && typeof entry[0] === 'string' && ID_PATTERN.test(entry[0]) && Number.isSafeInteger(entry[1])) {
        this.remember(entry[0], entry[1] as number);
      }
    }
  }
}

// Imported verify keys by committed public key (base64url): every command a room sees is
// checked against the same key, so it is decompressed and imported once. Bounded, since a page
// may meet many rooms; an unusable key is remembered as null.
const MAX_VERIFY_KEYS = 16;
const verifyKeys = new Map<string, Promise<CryptoKey | null>>();

/** The committed host key as a WebCrypto verify key, imported once; null when unusable. */
export function verifyKey(hostKey: unknown): Promise<CryptoKey | null> {
  const text = typeof hostKey === 'string' ? hostKey : hostKey instanceof Uint8Array ? toBase64Url(hostKey) : null;
  if (text === null || text.length > 64) return Promise.resolve(null);
  let key = verifyKeys.get(text);
  if (!key) {
    // An unusable committed key verifies nothing.
    key = importHostVerifyKey(text).catch(() => null);
    if (verifyKeys.size >= MAX_VERIFY_KEYS) verifyKeys.delete(verifyKeys.keys().next().value!);
    verifyKeys.set(text, key);
  }
  return key;
}

/**
 * Decide whether an inbound host command may be obeyed. Never rejects: untrusted input yields
 * a rejection reason. Checks run in a fixed order (malformed, signature, room, binding,
 * stale, future, replay) and the id is remembered only when every check passes, so a forged
 * command cannot burn a genuine command's id; the checks after the (asynchronous) signature
 * verify run without a break, so two concurrent verifications of one id cannot both pass.
 * `hostKey` is the committed key as base64url or its 33 compressed bytes. `liveFingerprint`
 * must come from the live connection to the signer, never from SDP text. The returned command
 * holds only the signed fields; unknown input fields are dropped.
 * @example
 * const result = await verifyHostCommand(JSON.parse(text), { hostKey, room, liveFingerprint, now: Date.now(), seen });
 * if (result.ok) apply(result.command); else countDrop(result.reason);
 */
export async function verifyHostCommand(
  input: unknown,
  ctx: {
    hostKey: string | Uint8Array;
    room: string;
    liveFingerprint: string | null | undefined;
    now: number;
    seen: ReplayGuard;
  },
): Promise<{ ok: true; command: SignedHostCommand } | { ok: false; reason: HostCommandRejection }> {
  return checkHostCommand(input, ctx, true);
}

/**
 * Every check of verifyHostCommand that needs no connection (shape, signature, room,
 * freshness, replay), so a verifier can refuse junk before it waits for its link to the
 * signer. Remembers nothing: the full verification still decides.
 * @example
 * const pre = await precheckHostCommand(frame.cmd, { hostKey, room, now: Date.now(), seen });
 * if (!pre.ok) return drop(pre.reason);
 */
export function precheckHostCommand(
  input: unknown,
  ctx: { hostKey: string | Uint8Array; room: string; now: number; seen: ReplayGuard },
): Promise<{ ok: true; command: SignedHostCommand } | { ok: false; reason: HostCommandRejection }> {
  return checkHostCommand(input, { ...ctx, liveFingerprint: null }, false);
}

async function checkHostCommand(
  input: unknown,
  ctx: { hostKey: string | Uint8Array; room: string; liveFingerprint: string | null | undefined; now: number; seen: ReplayGuard },
  bind: boolean,
): Promise<{ ok: true; command: SignedHostCommand } | { ok: false; reason: HostCommandRejection }> {
  try {
    const fields = readFields(input);
    const signature = fields && decodeSignature((input as { sig?: unknown }).sig);
    if (!fields || !signature) return { ok: false, reason: 'malformed' };

    const key = await verifyKey(ctx.hostKey);
    const message = encodeHostCommand(fields);
    if (!key || !(await crypto.subtle.verify(ECDSA_SHA256, key, buf(signature), buf(message)))) {
      return { ok: false, reason: 'signature' };
    }
    // No await from here on: the replay check and the remembering below are one step.
    if (fields.room !== normalizeRoomName(ctx.room)) return { ok: false, reason: 'room' };

    const live = normalizeFingerprint(ctx.liveFingerprint ?? '');
    if (bind && (!live || normalizeFingerprint(fields.fp) !== live)) return { ok: false, reason: 'binding' };

    // A clock that reads NaN would make both comparisons false and let anything through.
    if (!Number.isFinite(ctx.now) || ctx.now - fields.iat > COMMAND_MAX_AGE_MS) {
      return { ok: false, reason: 'stale' };
    }
    if (fields.iat - ctx.now > COMMAND_MAX_FUTURE_MS) return { ok: false, reason: 'future' };

    ctx.seen.prune(ctx.now);
    if (ctx.seen.has(fields.id)) return { ok: false, reason: 'replay' };
    if (bind) ctx.seen.remember(fields.id, fields.iat);
    return { ok: true, command: { ...fields, sig: toBase64Url(signature) } };
  } catch {
    // Unexpected input (hostile getters, a broken context) is refused, never thrown.
    return { ok: false, reason: 'malformed' };
  }
}
