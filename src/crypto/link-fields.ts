// A room link's fields: where they go (the URL fragment) and what each may hold. Reading a
// link needs only this; making rooms and invites (room-link.ts) loads the signing code.
import { KibitzError } from '../errors.js';
import { fromBase64Url, toBase64Url } from './bytes.js';
import { formatGate, parseGate, type GateDescriptor } from './gate.js';
import { decodeHostPublicKey } from './host-key.js';
import { parseInviteSecret } from './invite-secret.js';

/** The link fields, named as the `<kibitz-room>` attributes they feed. */
export interface RoomLinkAttributes {
  room: string;
  /** Committed host public key (base64url compressed P-256 point). */
  'host-key'?: string;
  /** The host secret key sealed under the host passphrase; only in the host's own link. */
  'host-seal'?: string;
  /** Soft host name: a display claim anyone can spoof, used only when there is no key. */
  'host-name'?: string;
  /** The admission gate descriptor (JSON, see `parseGate`); part of the room's identity. */
  gate?: string;
  /** A personal invite (the host-signed token and its holder key); only in that person's link. */
  invite?: string;
}

const KEYS = ['room', 'host-key', 'host-seal', 'host-name', 'gate', 'invite'] as const;
type LinkKey = (typeof KEYS)[number];

const MAX_ROOM_CHARS = 256;
const MAX_NAME_CHARS = 64;
const MAX_LINK_CHARS = 8192;
// Lenient on the seal's size so a link with a future seal version still parses; the exact
// layout is checked when the seal is opened.
const MIN_SEAL_BYTES = 48;
const MAX_SEAL_BYTES = 512;
// Control characters have no place in a name and can disguise one (line breaks, bidi tricks
// are a UI matter, but C0/C1 are never legitimate).
const CONTROL = /\p{Cc}/u;

const codePoints = (text: string): number => [...text].length;

export function bad(message: string, cause?: unknown): KibitzError {
  return new KibitzError('ERR_BAD_LINK', message, cause === undefined ? undefined : { cause });
}

export function validate(attrs: Partial<Record<LinkKey, unknown>>): RoomLinkAttributes {
  const { room } = attrs;
  if (typeof room !== 'string' || room.trim().length === 0) throw bad('the link names no room');
  if (codePoints(room) > MAX_ROOM_CHARS) throw bad(`the room name exceeds ${MAX_ROOM_CHARS} characters`);
  if (CONTROL.test(room)) throw bad('the room name contains control characters');
  const out: RoomLinkAttributes = { room };

  const key = attrs['host-key'];
  if (key !== undefined) {
    try {
      decodeHostPublicKey(key as string);
    } catch (err) {
      throw bad('host-key is not a valid host public key', err);
    }
    out['host-key'] = key as string;
  }

  const seal = attrs['host-seal'];
  if (seal !== undefined) {
    const bytes = typeof seal === 'string' && seal.length <= 1024 ? fromBase64Url(seal) : null;
    if (!bytes || toBase64Url(bytes) !== seal || bytes.length < MIN_SEAL_BYTES || bytes.length > MAX_SEAL_BYTES) {
      throw bad('host-seal is not a sealed host key');
    }
    // A seal without its public key would make a host no guest could verify.
    if (key === undefined) throw bad('host-seal requires host-key');
    out['host-seal'] = seal;
  }

  const name = attrs['host-name'];
  if (name !== undefined) {
    if (typeof name !== 'string' || name.trim().length === 0) throw bad('host-name is empty');
    if (codePoints(name) > MAX_NAME_CHARS) throw bad(`host-name exceeds ${MAX_NAME_CHARS} characters`);
    if (CONTROL.test(name)) throw bad('host-name contains control characters');
    out['host-name'] = name;
  }

  const gate = attrs.gate;
  if (gate !== undefined) {
    let descriptor: GateDescriptor;
    try {
      descriptor = parseGate(gate as string);
    } catch (err) {
      throw bad('gate is not a gate descriptor', err);
    }
    // Invites are signed by the host key: without one, nobody could ever get in.
    if (descriptor.method === 'invite' && key === undefined) throw bad('an invite gate needs host-key');
    out.gate = formatGate(descriptor);
  }

  const invite = attrs.invite;
  if (invite !== undefined) {
    try {
      parseInviteSecret(invite);
    } catch (err) {
      throw bad('invite is not a Kibitz invite', err);
    }
    out.invite = invite as string;
  }
  return out;
}

function parseUrl(text: string, base?: string): URL {
  try {
    return new URL(text, base);
  } catch (err) {
    throw bad('not a URL', err);
  }
}

/**
 * Build a room link: `base` keeps its path and query, and every room field goes into the
 * fragment (`#room=…&host-key=…&host-seal=…&host-name=…`, each value percent-encoded with
 * `encodeURIComponent`), so no server ever receives them. Throws ERR_BAD_LINK for a bad base
 * or a field `parseRoomLink` would refuse.
 * @example
 * formatRoomLink('https://example.com/call?lang=en', { room: 'Team Standup' })
 * // 'https://example.com/call?lang=en#room=Team%20Standup'
 */
export function formatRoomLink(base: string, attrs: RoomLinkAttributes): string {
  if (typeof base !== 'string') throw bad('base must be a URL');
  const url = parseUrl(base);
  const fields = validate(attrs ?? {});
  url.hash = '';
  const fragment = KEYS.filter((key) => fields[key] !== undefined)
    .map((key) => `${key}=${encodeURIComponent(fields[key]!)}`)
    .join('&');
  return `${url.href}#${fragment}`;
}

/**
 * Read the room fields from a link or from a bare fragment ('#room=…'). Values are
 * percent-decoded ('+' stays '+'); unknown keys are ignored so later versions can add
 * fields; a repeated known key is refused, since two values leave no safe choice.
 * @example
 * parseRoomLink('https://example.com/#room=Team%20Standup&host-name=Ada')
 * // { room: 'Team Standup', 'host-name': 'Ada' }
 * parseRoomLink(location.hash)
 */
export function parseRoomLink(url: string): RoomLinkAttributes {
  if (typeof url !== 'string' || url.length > MAX_LINK_CHARS) throw bad('not a room link');
  // Resolving a bare fragment against a dummy base runs it through the same URL parser, so
  // both spellings decode identically.
  const parsed = url.startsWith('#') ? parseUrl(url, 'https://kibitz.invalid/') : parseUrl(url);
  const fragment = parsed.hash.slice(1);
  const found: Partial<Record<LinkKey, string>> = {};
  for (const pair of fragment.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    } catch (err) {
      throw bad('the link fragment is not valid percent-encoding', err);
    }
    if (!(KEYS as readonly string[]).includes(key)) continue;
    if (Object.hasOwn(found, key)) throw bad(`the link repeats ${key}`);
    found[key as LinkKey] = value;
  }
  return validate(found);
}
