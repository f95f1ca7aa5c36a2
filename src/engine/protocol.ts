// Every frame the engine sends or receives is defined here. Inbound frames are size-capped
// and validated before the engine sees them; anything else is dropped and counted.

import type { Grant } from '../crypto/room-state.js';
import { MAX_NAME_LENGTH, cleanName } from './names.js';
// Names are cleaned in their own small module: the element checks a name attribute before a call's code has loaded.
export { MAX_NAME_LENGTH, cleanName };
export const PROTOCOL_VERSION = 1;

/** Control frames are small; anything bigger is hostile or broken. */
export const MAX_CONTROL_FRAME = 64 * 1024;
/** Chromium's SCTP maxMessageSize; content frames never exceed it. */
export const MAX_CONTENT_FRAME = 256 * 1024;
export const MAX_ID_LENGTH = 64;
export const MAX_ROSTER = 64;
/**
 * Deepest nesting of arrays and objects an inbound frame may carry. JSON.parse copes with far
 * deeper text, but re-encoding such a value (relaying a host command, a page logging a
 * message) overflows the stack: a 64 KiB frame can nest 32,000 levels.
 */
export const MAX_CONTROL_DEPTH = 32;
/** The largest credential a hello or a cred frame may carry; bigger ones are refused unread. */
export const MAX_CREDENTIAL_CHARS = 12 * 1024;
export const MAX_CONTENT_DEPTH = 64;

export type PeerKind = 'person' | 'agent';
export type LeaveReason = 'left' | 'timeout' | 'kicked';

export interface MediaFlags {
  audio: boolean;
  video: boolean;
  screen: boolean;
}

export interface RosterEntry extends MediaFlags {
  id: string;
  name: string;
  kind: PeerKind;
  /** Join order assigned by the coordinator; the election picks the lowest. */
  order: number;
}

export interface Departure {
  id: string;
  reason: LeaveReason;
}

/** Who waits at the door, as the coordinator reports it. */
export interface Knock {
  id: string;
  name: string;
}

/**
 * What a roster replicates besides the members: the next join order, the door, and the host's
 * room-state record (verified by every receiver; the coordinator's word is not enough).
 */
export interface RosterState {
  nextOrder: number;
  knocks: Knock[];
  record: unknown;
}

/** The room's control state as a page sees it: lock, lobby and bans from the host's record; knocks from the door. */
export interface RoomControl {
  locked: boolean;
  lobby: boolean;
  /** Banned peer ids and DTLS fingerprints. */
  bans: string[];
  /** The host's grants by device fingerprint (a device without one has its kind's default). */
  grants: Record<string, Grant>;
  knocks: Knock[];
}

/** A WebRTC handshake message between two peers (relayed by the coordinator or sealed for the broker). */
export type SignalData =
  | { description: { type: 'offer' | 'answer' | 'rollback' | 'pranswer'; sdp?: string } }
  | { candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null; usernameFragment?: string | null } | null };

export type ControlFrame =
  | { t: 'hello'; v: number; id: string; name: string; kind: PeerKind; media: MediaFlags; proof?: unknown; cred?: unknown }
  | { t: 'roster'; epoch: number; seq: number; coordinator: string; peers: RosterEntry[]; gone: Departure[]; state: RosterState }
  | { t: 'wait' }
  | { t: 'refused'; reason: string }
  | { t: 'ping'; n: number }
  | { t: 'pong'; n: number }
  | { t: 'signal'; to: string; from?: string; data: SignalData }
  | { t: 'media'; media: MediaFlags }
  | { t: 'name'; name: string }
  | { t: 'bye' }
  | { t: 'host'; from?: string; cmd: unknown }
  /** The pair's safety-code exchange, on that pair's own link only (see engine/safety.ts). */
  | { t: 'safety'; step: SafetyStep; v: string }
  /** A member's admission credential, shown to each peer on that pair's own link (see engine/gatekeeper.ts). */
  | { t: 'cred'; c: unknown }
  /** An honest receiver dropped what `peer` had no grant to send; to the host, on the pair's own link. */
  | { t: 'audit'; peer: string; blocked: AuditedAct };

/** What a receiver drops and reports: messages (`chat`) and file offers (`files`). */
export type AuditedAct = 'chat' | 'files';

/** Commit-then-reveal: the lower id commits, the other answers with its nonce, the first reveals. */
export type SafetyStep = 'commit' | 'nonce' | 'reveal';

export type ControlType = ControlFrame['t'];

// ---- validation -------------------------------------------------------------------------

type Check = (value: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** An object carrying no key outside `allowed`: an extra key is a forgery or a bug, never ignored. */
const hasOnly = (v: Record<string, unknown>, allowed: readonly string[]): boolean => Object.keys(v).every((k) => allowed.includes(k));
const isShaped = (v: unknown, allowed: readonly string[]): v is Record<string, unknown> => isObject(v) && hasOnly(v, allowed);
const isString =
  (max: number): Check =>
  (v) =>
    typeof v === 'string' && v.length <= max;
const isId: Check = (v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH && /^[A-Za-z0-9]+$/.test(v);
const isBool: Check = (v) => typeof v === 'boolean';
const isCount: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;

const isMedia: Check = (v) => isShaped(v, ['audio', 'video', 'screen']) && isBool(v.audio) && isBool(v.video) && isBool(v.screen);

const isRosterEntry: Check = (v) =>
  isShaped(v, ['id', 'name', 'kind', 'order', 'audio', 'video', 'screen']) &&
  isId(v.id) &&
  isString(MAX_NAME_LENGTH)(v.name) &&
  (v.kind === 'person' || v.kind === 'agent') &&
  isCount(v.order) &&
  isBool(v.audio) &&
  isBool(v.video) &&
  isBool(v.screen);

const isDeparture: Check = (v) =>
  isShaped(v, ['id', 'reason']) && isId(v.id) && (v.reason === 'left' || v.reason === 'timeout' || v.reason === 'kicked');

const isArrayOf =
  (check: Check, max: number): Check =>
  (v) =>
    Array.isArray(v) && v.length <= max && v.every(check);

/** Ids of a list of `{ id }` objects are all different. */
const uniqueIds = (v: unknown): boolean => {
  const ids = (v as { id: string }[]).map((e) => e.id);
  return new Set(ids).size === ids.length;
};

const isRosterState: Check = (v) =>
  isShaped(v, ['nextOrder', 'knocks', 'record']) &&
  isCount(v.nextOrder) &&
  (v.record === null || isObject(v.record)) &&
  isArrayOf((k) => isShaped(k, ['id', 'name']) && isId(k.id) && isString(MAX_NAME_LENGTH)(k.name), MAX_ROSTER)(v.knocks) &&
  uniqueIds(v.knocks);

const isSignalData: Check = (v) => {
  if (isShaped(v, ['description'])) {
    const d = v.description;
    return (
      isShaped(d, ['type', 'sdp']) &&
      ['offer', 'answer', 'rollback', 'pranswer'].includes(d.type as string) &&
      (d.sdp === undefined || isString(MAX_CONTROL_FRAME)(d.sdp))
    );
  }
  if (isShaped(v, ['candidate']) && 'candidate' in v) {
    const c = v.candidate;
    return (
      c === null ||
      (isShaped(c, ['candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment']) &&
        isString(2048)(c.candidate) &&
        (c.sdpMid === undefined || c.sdpMid === null || isString(64)(c.sdpMid)) &&
        (c.sdpMLineIndex === undefined || c.sdpMLineIndex === null || isCount(c.sdpMLineIndex)) &&
        (c.usernameFragment === undefined || c.usernameFragment === null || isString(256)(c.usernameFragment)))
    );
  }
  return false;
};

/** The keys each frame may carry (`t` included); anything else makes the frame malformed. */
const FRAME_KEYS: Record<ControlType, readonly string[]> = {
  hello: ['t', 'v', 'id', 'name', 'kind', 'media', 'proof', 'cred'],
  roster: ['t', 'epoch', 'seq', 'coordinator', 'peers', 'gone', 'state'],
  wait: ['t'],
  refused: ['t', 'reason'],
  ping: ['t', 'n'],
  pong: ['t', 'n'],
  signal: ['t', 'to', 'from', 'data'],
  media: ['t', 'media'],
  name: ['t', 'name'],
  bye: ['t'],
  host: ['t', 'from', 'cmd'],
  safety: ['t', 'step', 'v'],
  cred: ['t', 'c'],
  audit: ['t', 'peer', 'blocked'],
};

const validators: Record<ControlType, (f: Record<string, unknown>) => boolean> = {
  hello: (f) =>
    isCount(f.v) && isId(f.id) && isString(MAX_NAME_LENGTH)(f.name) && (f.kind === 'person' || f.kind === 'agent') && isMedia(f.media),
  roster: (f) =>
    isCount(f.epoch) &&
    isCount(f.seq) &&
    isId(f.coordinator) &&
    isArrayOf(isRosterEntry, MAX_ROSTER)(f.peers) &&
    uniqueIds(f.peers) &&
    new Set((f.peers as RosterEntry[]).map((e) => e.order)).size === (f.peers as RosterEntry[]).length &&
    isArrayOf(isDeparture, MAX_ROSTER * 4)(f.gone) &&
    isRosterState(f.state),
  wait: () => true,
  refused: (f) => isString(64)(f.reason),
  ping: (f) => isCount(f.n),
  pong: (f) => isCount(f.n),
  signal: (f) => isId(f.to) && (f.from === undefined || isId(f.from)) && isSignalData(f.data),
  media: (f) => isMedia(f.media),
  name: (f) => isString(MAX_NAME_LENGTH)(f.name),
  bye: () => true,
  host: (f) => (f.from === undefined || isId(f.from)) && f.cmd !== undefined,
  // A commitment or a nonce: 32 bytes, unpadded base64url.
  safety: (f) =>
    (f.step === 'commit' || f.step === 'nonce' || f.step === 'reveal') && typeof f.v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(f.v),
  // The credential's own checks are the gatekeeper's; here only that it is a bounded value.
  cred: (f) => f.c === null || (isObject(f.c) && JSON.stringify(f.c).length <= MAX_CREDENTIAL_CHARS),
  audit: (f) => isId(f.peer) && (f.blocked === 'chat' || f.blocked === 'files'),
};

/**
 * Parse and validate one inbound control frame. Returns null for anything malformed,
 * oversized or unknown; never throws.
 */
export function decodeControl(raw: unknown): ControlFrame | null {
  if (typeof raw !== 'string' || raw.length > MAX_CONTROL_FRAME || !nestsWithin(raw, MAX_CONTROL_DEPTH)) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isObject(value) || typeof value.t !== 'string' || !Object.hasOwn(validators, value.t)) return null;
  const type = value.t as ControlType;
  return hasOnly(value, FRAME_KEYS[type]) && validators[type](value) ? (value as unknown as ControlFrame) : null;
}

/** Whether JSON text nests arrays and objects at most `max` deep (a linear scan, strings skipped). */
export function nestsWithin(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return false;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return true;
}

export function encodeControl(frame: ControlFrame): string {
  return JSON.stringify(frame);
}

// ---- content channel --------------------------------------------------------------------

/**
 * Content frames. Text frames carry JSON: a message `{ d, to? }`; from a file's sender, its
 * offer `{ x: 'start', id, name, type, size, to? }`, end `{ x: 'end', id }` or abort
 * `{ x: 'abort', id }`; from its receiver, `{ x: 'accept', id }` (send the chunks now) or
 * `{ x: 'refuse', id, why }` (before the first chunk or at any point during the transfer).
 * Binary frames start with one header byte: 0 = message to everyone, 1 = message to this
 * peer only, 2 = a transfer chunk (8-byte transfer id, then bytes). No chunk crosses before
 * the receiver's accept.
 */
export type ContentFrame =
  | { kind: 'json'; data: unknown; direct: boolean }
  | { kind: 'binary'; data: ArrayBuffer; direct: boolean }
  | { kind: 'start'; id: string; name: string; type: string; size: number; direct: boolean }
  | { kind: 'end'; id: string }
  | { kind: 'abort'; id: string }
  | { kind: 'accept'; id: string }
  | { kind: 'refuse'; id: string; why: RefuseReason }
  | { kind: 'chunk'; id: string; data: ArrayBuffer };

/**
 * Why a receiver refused or cut off a transfer: `declined` (the page or its user said no, or
 * takes no files), `expired` (nobody decided in time), `limit` (too big, over the sender's or
 * the total memory budget, too many at once, or more bytes than announced), `stalled` (no
 * chunk for too long).
 */
export type RefuseReason = 'declined' | 'expired' | 'limit' | 'stalled';
const REFUSE_REASONS: readonly string[] = ['declined', 'expired', 'limit', 'stalled'] satisfies RefuseReason[];

export const TRANSFER_ID_BYTES = 8;
/** The largest file one transfer may announce on the wire; receivers set their own, smaller limits. */
export const MAX_TRANSFER_SIZE = 4 * 1024 * 1024 * 1024;

const isTransferId: Check = (v) => typeof v === 'string' && /^[0-9a-f]{16}$/.test(v);

export function encodeContentJson(data: unknown, direct: boolean): string {
  return JSON.stringify(direct ? { d: data, to: 1 } : { d: data });
}

export function encodeContentBinary(data: Uint8Array, direct: boolean): Uint8Array {
  const out = new Uint8Array(data.byteLength + 1);
  out[0] = direct ? 1 : 0;
  out.set(data, 1);
  return out;
}

export function encodeTransferStart(id: string, meta: { name: string; type: string; size: number }, direct: boolean): string {
  return JSON.stringify({ x: 'start', id, name: meta.name, type: meta.type, size: meta.size, ...(direct && { to: 1 }) });
}

export function encodeTransferEnd(id: string, aborted = false): string {
  return JSON.stringify({ x: aborted ? 'abort' : 'end', id });
}

/** The receiver's answer to an offer: go ahead, or refused (also sent to cut a transfer off). */
export function encodeTransferAnswer(id: string, refused?: RefuseReason): string {
  return JSON.stringify(refused ? { x: 'refuse', id, why: refused } : { x: 'accept', id });
}

/** Header for a transfer chunk; the payload follows it in the same frame. */
export function transferChunkHeader(id: string): Uint8Array {
  const header = new Uint8Array(1 + TRANSFER_ID_BYTES);
  header[0] = 2;
  for (let i = 0; i < TRANSFER_ID_BYTES; i++) header[1 + i] = parseInt(id.slice(i * 2, i * 2 + 2), 16);
  return header;
}

export function decodeContent(raw: unknown): ContentFrame | null {
  if (typeof raw === 'string') {
    if (raw.length > MAX_CONTENT_FRAME || !nestsWithin(raw, MAX_CONTENT_DEPTH)) return null;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return null;
    }
    if (!isObject(value) || (value.to !== undefined && value.to !== 1)) return null;
    if ('d' in value && value.x === undefined)
      return hasOnly(value, ['d', 'to']) ? { kind: 'json', data: value.d, direct: value.to === 1 } : null;
    if (!isTransferId(value.id)) return null;
    const id = value.id as string;
    if (value.x === 'end' || value.x === 'abort' || value.x === 'accept') return hasOnly(value, ['x', 'id']) ? { kind: value.x, id } : null;
    if (value.x === 'refuse') {
      return hasOnly(value, ['x', 'id', 'why']) && REFUSE_REASONS.includes(value.why as string)
        ? { kind: 'refuse', id, why: value.why as RefuseReason }
        : null;
    }
    if (
      value.x === 'start' &&
      hasOnly(value, ['x', 'id', 'name', 'type', 'size', 'to']) &&
      isString(256)(value.name) &&
      isString(128)(value.type) &&
      isCount(value.size) &&
      (value.size as number) <= MAX_TRANSFER_SIZE
    ) {
      return {
        kind: 'start',
        id,
        name: value.name as string,
        type: value.type as string,
        size: value.size as number,
        direct: value.to === 1,
      };
    }
    return null;
  }
  if (raw instanceof ArrayBuffer) {
    if (raw.byteLength < 1 || raw.byteLength > MAX_CONTENT_FRAME + 1) return null;
    const head = new Uint8Array(raw, 0, 1)[0];
    if (head === 0 || head === 1) return { kind: 'binary', data: raw.slice(1), direct: head === 1 };
    if (head === 2 && raw.byteLength > 1 + TRANSFER_ID_BYTES) {
      let id = '';
      for (const b of new Uint8Array(raw, 1, TRANSFER_ID_BYTES)) id += b.toString(16).padStart(2, '0');
      return { kind: 'chunk', id, data: raw.slice(1 + TRANSFER_ID_BYTES) };
    }
    return null;
  }
  return null;
}
