// A room link carries the room name and the host credential the room commits. All of it lives
// in the URL fragment, which browsers never send to a server: not in requests, not in Referer.
import { KibitzError } from '../errors.js';
import { formatGate, parseGate, readGate, type GateOption } from './gate.js';
import { commitJoinCode } from './join-code.js';
import { generateHostKey, sealHostKey, unsealHostKey } from './host-key.js';
import { MAX_INVITE_MS, formatInviteSecret, signInvite } from './invite.js';
import { bad, formatRoomLink, parseRoomLink, validate, type RoomLinkAttributes } from './link-fields.js';
import { deriveRoomKeys, randomRoomName } from './room-keys.js';

export { formatRoomLink, parseRoomLink, type RoomLinkAttributes };

/** The host link carries the host key sealed under the passphrase: guesses are offline. */
export const MIN_PASSPHRASE_LENGTH = 12;
export const MIN_PASSPHRASE_DISTINCT = 5;

function strongEnough(passphrase: string): boolean {
  const chars = [...passphrase.normalize('NFC').trim()];
  return chars.length >= MIN_PASSPHRASE_LENGTH && new Set(chars).size >= MIN_PASSPHRASE_DISTINCT;
}

/**
 * Create a new room and its links. With `hostPassphrase`, a host key is generated and sealed:
 * `link` (room, host-key, host-seal) is for the host alone, `guestLink` (room, host-key) is
 * for everyone else. With only `hostName`, both links carry the soft (spoofable) name. With
 * neither, the room is open and has no host. `base` defaults to the current page. A host
 * passphrase under 12 characters (or with fewer than 5 different ones) is refused with
 * ERR_WEAK_PASSPHRASE.
 * @example
 * const { link, guestLink } = await createRoom({ hostPassphrase: 'correct horse battery staple' });
 * // keep `link` (and the passphrase) private; share `guestLink`
 */
export async function createRoom(
  options: { hostPassphrase?: string; hostName?: string; base?: string; room?: string; gate?: GateOption } = {},
): Promise<{ room: string; hostKey?: string; hostSeal?: string; hostName?: string; gate?: string; link: string; guestLink: string }> {
  const base = options.base ?? (typeof location === 'undefined' ? undefined : location.href);
  if (base === undefined) throw bad('no base URL: pass options.base');
  const room = options.room ?? randomRoomName();
  const { hostPassphrase, hostName } = options;
  if (hostPassphrase !== undefined && (typeof hostPassphrase !== 'string' || hostPassphrase.length === 0)) {
    throw new KibitzError('ERR_BAD_PASSPHRASE', 'the host passphrase must not be empty');
  }
  if (hostPassphrase !== undefined && !strongEnough(hostPassphrase)) {
    throw new KibitzError(
      'ERR_WEAK_PASSPHRASE',
      `the host passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters, ${MIN_PASSPHRASE_DISTINCT} of them different: the host link carries the key sealed under it, so anyone holding that link can guess offline`,
    );
  }
  const gate = options.gate === undefined ? undefined : await gateField(options.gate, hostPassphrase !== undefined);
  // Validate everything before the slow seal, so a bad name or base fails at once.
  // An invite gate needs the host key, which does not exist yet: a placeholder stands in.
  const invites = gate !== undefined && parseGate(gate).method === 'invite';
  const guest = { ...validate({ room, 'host-name': hostName, ...(gate && { gate }), ...(invites && { 'host-key': PLACEHOLDER_KEY }) }) };
  delete guest['host-key'];
  formatRoomLink(base, { ...guest, ...(invites && { 'host-key': PLACEHOLDER_KEY }) });

  if (hostPassphrase === undefined) {
    const link = formatRoomLink(base, guest);
    return { room, ...(hostName === undefined ? {} : { hostName }), ...(gate && { gate }), link, guestLink: link };
  }
  const { publicKey, secretKey } = await generateHostKey();
  const hostSeal = await sealHostKey(secretKey, hostPassphrase);
  secretKey.fill(0);
  const guestAttrs: RoomLinkAttributes = { ...guest, 'host-key': publicKey };
  return {
    room,
    hostKey: publicKey,
    hostSeal,
    ...(hostName === undefined ? {} : { hostName }),
    ...(gate && { gate }),
    link: formatRoomLink(base, { ...guestAttrs, 'host-seal': hostSeal }),
    guestLink: formatRoomLink(base, guestAttrs),
  };
}

// A valid compressed point (the P-256 generator), to validate an invite gate's link before the
// real host key exists.
const PLACEHOLDER_KEY = 'A2sX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKW';

/** The link's gate field for a createRoom gate option: a join code is committed, never carried. */
async function gateField(option: GateOption, hasHostKey: boolean): Promise<string> {
  if (typeof option !== 'object' || option === null) throw new KibitzError('ERR_BAD_GATE', 'gate must be an object with a method');
  if (option.method === 'invite' && !hasHostKey) {
    throw new KibitzError('ERR_BAD_GATE', 'an invite gate needs a host passphrase: invites are signed with the host key');
  }
  if (option.method === 'code') return formatGate({ method: 'code', commit: await commitJoinCode(option.code) });
  return formatGate(readGate(option));
}

/** The longest-lived invite createInvite makes by default: a week. */
export const DEFAULT_INVITE_MS = 7 * 24 * 3600_000;

/**
 * A personal invite link for one person, signed with the host key: `link` is the host's own
 * link (with the sealed key) of a room whose gate is `invite`, `passphrase` unseals the key.
 * The invite works until `expiresIn` milliseconds from now (default a week); on first use it
 * binds to the joiner's device, so the same invite from a second device is refused while the
 * first is in the room. `kind: 'agent'` invites an AI participant: every peer treats its holder
 * as an agent, with an agent's narrow default grant. Throws ERR_BAD_LINK, ERR_BAD_GATE,
 * ERR_BAD_PASSPHRASE or ERR_BAD_INVITE.
 * @example
 * const invite = await createInvite({ link: hostLink, passphrase, name: 'Ada', expiresIn: 86_400_000 });
 */
export async function createInvite(options: {
  link: string;
  passphrase: string;
  name: string;
  expiresIn?: number;
  kind?: 'person' | 'agent';
  now?: number;
}): Promise<string> {
  const attrs = parseRoomLink(options?.link);
  if (!attrs.gate || parseGate(attrs.gate).method !== 'invite') throw new KibitzError('ERR_BAD_GATE', "this room's gate is not invite");
  if (!attrs['host-seal'] || !attrs['host-key']) throw bad('createInvite needs the host link (with host-seal)');
  const secret = await unsealHostKey(attrs['host-seal'], options.passphrase, attrs['host-key']);
  try {
    return await inviteLink(options.link, attrs, secret, options);
  } finally {
    secret.fill(0);
  }
}

/** Sign an invite with an unsealed host key and format its link on `base` (the host element uses this too). */
export async function inviteLink(
  base: string,
  attrs: RoomLinkAttributes,
  hostSecret: Uint8Array,
  options: { name: string; expiresIn?: number; kind?: 'person' | 'agent'; now?: number },
): Promise<string> {
  const kind = options.kind ?? 'person';
  if (kind !== 'person' && kind !== 'agent') throw new KibitzError('ERR_BAD_INVITE', "kind is 'person' or 'agent'");
  const expiresIn = options.expiresIn ?? DEFAULT_INVITE_MS;
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0 || expiresIn > MAX_INVITE_MS) {
    throw new KibitzError('ERR_BAD_INVITE', 'expiresIn must be a positive number of milliseconds, at most a year');
  }
  if (typeof options.name !== 'string' || !options.name.trim())
    throw new KibitzError('ERR_BAD_INVITE', 'an invite names the person it is for');
  const { roomId } = await deriveRoomKeys(attrs.room, attrs.gate ?? '');
  const secret = await signInvite(
    { room: roomId, name: options.name, expiresAt: (options.now ?? Date.now()) + expiresIn, as: kind },
    hostSecret,
    attrs['host-key']!,
  );
  return formatRoomLink(base, {
    room: attrs.room,
    'host-key': attrs['host-key'],
    ...(attrs['host-name'] !== undefined && { 'host-name': attrs['host-name'] }),
    ...(attrs.gate !== undefined && { gate: attrs.gate }),
    invite: formatInviteSecret(secret),
  });
}
