// The Room's public types: its state, events, options and timing.
import type { KibitzErrorCode } from '../errors.js';
import type { SignalingTransport } from '../signaling/transport.js';
import type { Clock } from './clock.js';
import type { FloodLimits } from './flood-budget.js';
import type { GateDescriptor, GateMethod, GateReason } from '../crypto/gate.js';
import type { GateCredential } from './gatekeeper.js';
import type { LinkFactory, LocalTracks, MediaSlot } from './link.js';
import type { HostCredential, ModerationEvents, ReplayStore } from './moderation.js';
import type { Participant } from './participant.js';
import type { AuditedAct, LeaveReason, PeerKind, RoomControl } from './protocol.js';
import type { Grant } from './grants.js';
import type { AcceptFiles, FileLimits, FileOffer, IncomingFile } from './transfer.js';
import type { PinStore, SafetyAlarm, Trust } from './safety.js';

/** The connection state of this peer. */
export type RoomState = 'idle' | 'connecting' | 'joined' | 'waiting' | 'refused' | 'kicked' | 'left' | 'failed';

export interface RoomEvents {
  state: { state: RoomState };
  join: { peer: Participant };
  leave: { peer: Participant; reason: LeaveReason };
  /** Data from `peerId`; `to` is this peer's id for a directed message, null for a broadcast. */
  message: { peerId: string; data: unknown; to: string | null };
  coordinator: { peerId: string };
  error: { code: KibitzErrorCode; message: string };
  track: { peerId: string; slot: MediaSlot; track: MediaStreamTrack };
  participants: { participants: Participant[] };
  connection: { peerId: string; state: 'connected' | 'reconnecting' };
  refused: { reason: string };
  /** A member offers a file (with `acceptFiles: 'ask'`); call `accept()` or `reject()`, or it expires. */
  offer: FileOffer;
  file: IncomingFile;
  progress: { id: string; peerId: string | null; direction: 'in' | 'out'; bytes: number; total: number };
  /** The replicated room control state changed (lock, lobby, bans, knocks). */
  control: { control: RoomControl };
  host: ModerationEvents['host'];
  kick: ModerationEvents['kick'];
  knock: ModerationEvents['knock'];
  lock: ModerationEvents['lock'];
  lobby: ModerationEvents['lobby'];
  /** A host command this peer refused (forged, replayed, stale, wrongly bound, or no host). */
  rejected: ModerationEvents['rejected'];
  /** A pair's safety code became known, its trust changed, or an alarm went off. */
  safety: { peer: Participant; code: string | null; trust: Trust; alarm?: SafetyAlarm };
  /**
   * This peer at the room's gate (`checking`, then `admitted` or `refused` with a reason); or,
   * with `peer`, a member whose credential did not verify here (`refused`: an alarm).
   */
  gate: { state: 'checking' | 'admitted' | 'refused'; method: GateMethod; reason?: GateReason; peer?: Participant };
  /** A participant's grant changed (the host's signed record, or what this peer knows of it). */
  grant: { peer: Participant; grant: Grant };
  /** On the host only: an honest member (`reporter`) dropped what `peer` had no grant to send. */
  audit: { peer: Participant; blocked: AuditedAct; reporter: string };
  /** Media from `peerId` in `slot` is no longer to be shown (its sender lost the grant). */
  untrack: { peerId: string; slot: MediaSlot };
}

export interface RoomTiming {
  /** Coordinator → participant heartbeat interval. */
  pingMs: number;
  /** Silence after which a peer (or the coordinator) is considered gone. */
  reapMs: number;
  /** How long a joiner waits for a coordinator slot to answer before trying the next. */
  answerMs: number;
  /** How long a link may take to open before it is abandoned and redialled. */
  linkOpenMs: number;
  /** Overall deadline for join(). */
  joinMs: number;
}

export const DEFAULT_TIMING: RoomTiming = { pingMs: 500, reapMs: 3000, answerMs: 1500, linkOpenMs: 12_000, joinMs: 30_000 };

export interface RoomOptions {
  room?: string;
  name?: string;
  kind?: PeerKind;
  transport: SignalingTransport;
  links: LinkFactory;
  clock?: Clock;
  timing?: Partial<RoomTiming>;
  selfId?: string;
  /** Local media captured before join (tracks may be absent). */
  tracks?: LocalTracks;
  /** Whether this peer wants media transceivers on its links. */
  media?: boolean;
  /** Source of random bytes for ids and generated room names (injected for deterministic tests). */
  random?: (length: number) => Uint8Array;
  /** The host credential the room link committed (none: an open room). Throws ERR_BAD_ATTRIBUTE when malformed. */
  host?: HostCredential;
  /** This peer's own DTLS fingerprint, bound into the host commands it signs and into safety codes (none: no codes). */
  localFingerprint?: string | null;
  /** Where confirmed peers are pinned (trust on first confirm); default: in memory, forgotten with the Room. */
  pins?: PinStore;
  /** A host key unsealed before the room existed (claimHost before join). */
  hostSecret?: Uint8Array | null;
  /** Where recent host command ids are kept across reloads (the element uses localStorage). */
  replayStore?: ReplayStore | null;
  /** The per-link control-frame budget (see FLOOD_BUDGET). */
  floodBudget?: FloodLimits;
  /** Who decides on incoming files: `ask` (default: `offer` events), `all` or `none`. Throws ERR_BAD_ATTRIBUTE otherwise. */
  acceptFiles?: AcceptFiles;
  /** Size, memory and time limits for incoming files (see DEFAULT_FILE_LIMITS). Throws ERR_BAD_ATTRIBUTE when malformed. */
  fileLimits?: Partial<FileLimits>;
  /** The room's admission gate, as the link carries it (descriptor or its JSON text). Throws ERR_BAD_GATE when malformed. */
  gate?: GateDescriptor | string | null;
  /** What this peer shows at the gate: its invite, the join code, or an ID token. */
  credential?: GateCredential;
  /** Hold content and media from and to every peer until this peer has verified its credential itself. */
  verifiedOnly?: boolean;
}

/** Bookkeeping sizes, for leak checks: after everyone else left, all but `members` return to zero. */
export interface RoomInspection {
  members: number;
  guests: number;
  links: number;
  unsent: number;
  cutOff: number;
  fingerprints: number;
  oldSlots: number;
  /** Incoming offers and transfers, and outgoing ones, not yet finished. */
  transfers: number;
  /** Bytes unfinished incoming transfers hold. */
  transferBytes: number;
  listeners: number;
}
