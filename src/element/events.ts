// The DOM events of <kibitz-room>: one class per event, each with a typed `detail`.
// Every event bubbles and is composed (it crosses shadow roots), set once in the base class.
// Only `kibitz-file-offer` is cancelable: its default action is the element's own prompt,
// which a page that asks its user itself keeps away with `preventDefault()`.
//
// Naming: an event about a participant carries `peer`, the full Participant as the roster
// knows it; an event that only knows an id carries `peerId`.
import type { KibitzErrorCode } from '../errors.js';
import type { MediaSlot } from '../engine/link.js';
import type { SafetyAlarm, Trust } from '../engine/safety.js';
import type { GateMethod, GateReason } from '../crypto/gate.js';
import type { LeaveReason } from '../engine/protocol.js';
import type { FileOffer, Grant, IncomingFile, Participant, RoomState } from '../engine/room.js';
import type { CallParticipant, LinkQuality, MediaDeviceEntry } from './call-types.js';

export interface KibitzStateDetail {
  /** This peer's connection state. */
  state: RoomState;
}
export interface KibitzJoinDetail {
  /** Who entered the roster; `peer.self` when it is this peer. */
  peer: Participant;
}
export interface KibitzLeaveDetail {
  peer: Participant;
  /** `left` (said goodbye or its connection closed), `timeout` (went silent) or `kicked`. */
  reason: LeaveReason;
}
export interface KibitzMessageDetail {
  /** The sender. */
  peerId: string;
  data: unknown;
  /** This peer's id for a directed message, null for a broadcast. */
  to: string | null;
}
/** The file, as the engine reports it (`IncomingFile`). */
export type KibitzFileDetail = IncomingFile;
/** The engine's offer (`FileOffer`), with the sender as a full participant. */
export interface KibitzFileOfferDetail extends Omit<FileOffer, 'peerId'> {
  /** The sender. */
  peer: Participant;
}
export interface KibitzProgressDetail {
  /** The transfer id. */
  id: string;
  /** The other side: the sender of an inbound transfer, the recipient of an outbound one (null: everyone). */
  peerId: string | null;
  direction: 'in' | 'out';
  bytes: number;
  total: number;
}
export interface KibitzCoordinatorDetail {
  /** The participant now coordinating (possibly this peer). */
  peerId: string;
}
export interface KibitzErrorDetail {
  /** Stable: branch on it, never on `message`. */
  code: KibitzErrorCode;
  message: string;
}
export interface KibitzTrackDetail {
  /** The participant whose stream gained a track (fired once it is in the roster). */
  peer: Participant;
  slot: MediaSlot;
  /** Its camera stream (audio and video) or its screen stream, as `getStream()` returns it. */
  stream: MediaStream;
}
export interface KibitzParticipantsDetail {
  /** Everyone, as the element's `participants` shows them (with `speaking` and `quality`). */
  participants: CallParticipant[];
}
export interface KibitzConnectionDetail {
  peerId: string;
  state: 'connected' | 'reconnecting';
}
export interface KibitzRefusedDetail {
  /** `locked`, `denied` or `banned`. */
  reason: string;
}
export interface KibitzKickDetail {
  /** The participant the host removed. */
  peer: Participant;
  /** Whether it was this peer. */
  self: boolean;
}
export interface KibitzKnockDetail {
  /** The peer waiting to be let in (not in the roster yet). */
  peerId: string;
  name: string;
}
export interface KibitzHostDetail {
  /** The verified host, or null when there is none (or it left). */
  peerId: string | null;
}
export interface KibitzLockDetail {
  locked: boolean;
}
export interface KibitzLobbyDetail {
  on: boolean;
}
export interface KibitzSafetyDetail {
  /** The other end of the pair. */
  peer: Participant;
  /** The pair's safety code (five groups of three digits) to compare aloud; null until derived, or after its exchange failed. */
  code: string | null;
  /** `unverified`, `verified` (its code was confirmed on this browser profile) or `changed` (its name was confirmed on another device). */
  trust: Trust;
  /** `commitment`: the exchange was tampered with; `mismatch`: the people said the codes differ; `changed`: see `trust`. */
  alarm?: SafetyAlarm;
}

/** The base of every `kibitz-*` event: bubbles, composed, not cancelable unless it has a default action. */
export abstract class KibitzEvent<D> extends CustomEvent<D> {
  constructor(type: keyof KibitzEventMap, detail: D, cancelable = false) {
    super(type, { detail, bubbles: true, composed: true, cancelable });
  }
}

/** The connection state changed. */
export class KibitzStateEvent extends KibitzEvent<KibitzStateDetail> {
  constructor(detail: KibitzStateDetail) {
    super('kibitz-state', detail);
  }
}
/** A participant entered the roster (this peer included). */
export class KibitzJoinEvent extends KibitzEvent<KibitzJoinDetail> {
  constructor(detail: KibitzJoinDetail) {
    super('kibitz-join', detail);
  }
}
/** A participant left the roster. */
export class KibitzLeaveEvent extends KibitzEvent<KibitzLeaveDetail> {
  constructor(detail: KibitzLeaveDetail) {
    super('kibitz-leave', detail);
  }
}
/** Data from another participant arrived. */
export class KibitzMessageEvent extends KibitzEvent<KibitzMessageDetail> {
  constructor(detail: KibitzMessageDetail) {
    super('kibitz-message', detail);
  }
}
/** A file sent with sendFile() arrived whole. */
export class KibitzFileEvent extends KibitzEvent<KibitzFileDetail> {
  constructor(detail: KibitzFileDetail) {
    super('kibitz-file', detail);
  }
}
/**
 * A participant offers a file; nothing of it is sent before `accept()`. Decide in the
 * listener, or call `preventDefault()` and decide later; otherwise the element's own prompt
 * asks (in `headless` mode, nobody can: the offer is declined at once).
 */
export class KibitzFileOfferEvent extends KibitzEvent<KibitzFileOfferDetail> {
  constructor(detail: KibitzFileOfferDetail) {
    super('kibitz-file-offer', detail, true);
  }
}
/** A file transfer moved on. */
export class KibitzProgressEvent extends KibitzEvent<KibitzProgressDetail> {
  constructor(detail: KibitzProgressDetail) {
    super('kibitz-progress', detail);
  }
}
/** Another participant (or this one) became coordinator. */
export class KibitzCoordinatorEvent extends KibitzEvent<KibitzCoordinatorDetail> {
  constructor(detail: KibitzCoordinatorDetail) {
    super('kibitz-coordinator', detail);
  }
}
/** Something failed. */
export class KibitzErrorEvent extends KibitzEvent<KibitzErrorDetail> {
  constructor(detail: KibitzErrorDetail) {
    super('kibitz-error', detail);
  }
}
/** A participant's stream gained a track. */
export class KibitzTrackEvent extends KibitzEvent<KibitzTrackDetail> {
  constructor(detail: KibitzTrackDetail) {
    super('kibitz-track', detail);
  }
}
/** The roster, or someone's media or fingerprint, changed. */
export class KibitzParticipantsEvent extends KibitzEvent<KibitzParticipantsDetail> {
  constructor(detail: KibitzParticipantsDetail) {
    super('kibitz-participants', detail);
  }
}
/** A direct link is reconnecting, or connected again. */
export class KibitzConnectionEvent extends KibitzEvent<KibitzConnectionDetail> {
  constructor(detail: KibitzConnectionDetail) {
    super('kibitz-connection', detail);
  }
}
/** The room did not let this peer in. */
export class KibitzRefusedEvent extends KibitzEvent<KibitzRefusedDetail> {
  constructor(detail: KibitzRefusedDetail) {
    super('kibitz-refused', detail);
  }
}
/** The host removed a participant. */
export class KibitzKickEvent extends KibitzEvent<KibitzKickDetail> {
  constructor(detail: KibitzKickDetail) {
    super('kibitz-kick', detail);
  }
}
/** Someone is waiting to be let in. */
export class KibitzKnockEvent extends KibitzEvent<KibitzKnockDetail> {
  constructor(detail: KibitzKnockDetail) {
    super('kibitz-knock', detail);
  }
}
/** The verified host changed. */
export class KibitzHostEvent extends KibitzEvent<KibitzHostDetail> {
  constructor(detail: KibitzHostDetail) {
    super('kibitz-host', detail);
  }
}
/** The room was locked or unlocked. */
export class KibitzLockEvent extends KibitzEvent<KibitzLockDetail> {
  constructor(detail: KibitzLockDetail) {
    super('kibitz-lock', detail);
  }
}
/** The waiting room was turned on or off. */
export class KibitzLobbyEvent extends KibitzEvent<KibitzLobbyDetail> {
  constructor(detail: KibitzLobbyDetail) {
    super('kibitz-lobby', detail);
  }
}
/** A pair's safety code became known, its trust changed, or an alarm went off. */
export class KibitzSafetyEvent extends KibitzEvent<KibitzSafetyDetail> {
  constructor(detail: KibitzSafetyDetail) {
    super('kibitz-safety', detail);
  }
}

/** This peer at the room's gate, or (with `peer`) a member whose credential did not verify here. */
export interface KibitzGateDetail {
  /** `needed`: the gate asks for something not given yet; then `checking`, and `admitted` or `refused`. */
  state: 'needed' | 'checking' | 'admitted' | 'refused';
  method: GateMethod;
  reason?: GateReason;
  /** Set on an alarm: the admitted member whose credential failed this peer's own check. */
  peer?: Participant;
}
/** This peer at the room's gate, or an alarm about a member whose credential did not verify here. */
export class KibitzGateEvent extends KibitzEvent<KibitzGateDetail> {
  constructor(detail: KibitzGateDetail) {
    super('kibitz-gate', detail);
  }
}

/** A participant's grant changed. */
export interface KibitzGrantDetail {
  peer: Participant;
  /** What it may now perceive and do, as this browser enforces it. */
  grant: Grant;
}
/** A participant's grant changed (the host's signed record, or what this browser learned of it). */
export class KibitzGrantEvent extends KibitzEvent<KibitzGrantDetail> {
  constructor(detail: KibitzGrantDetail) {
    super('kibitz-grant', detail);
  }
}

/** On the host only: an honest member dropped what a participant had no grant to send. */
export interface KibitzAuditDetail {
  /** The participant that sent without the grant. */
  peer: Participant;
  /** What was dropped: `chat` (a message) or `files` (a file offer). */
  blocked: 'chat' | 'files';
  /** The id of the member that dropped it (the host's own id when it was the host). */
  reporter: string;
}
/** On the host only: an honest member dropped what a participant had no grant to send. */
export class KibitzAuditEvent extends KibitzEvent<KibitzAuditDetail> {
  constructor(detail: KibitzAuditDetail) {
    super('kibitz-audit', detail);
  }
}

/** A chat message from another participant (the built-in chat, or `sendChat()`). */
export interface KibitzChatDetail {
  /** The sender. */
  peer: Participant;
  text: string;
  /** When it arrived here (milliseconds since the epoch, this browser's clock). */
  at: number;
}
/** A chat message arrived; chat never fires `kibitz-message`. */
export class KibitzChatEvent extends KibitzEvent<KibitzChatDetail> {
  constructor(detail: KibitzChatDetail) {
    super('kibitz-chat', detail);
  }
}

/** The devices this browser offers, or the one selected for a kind, changed. */
export interface KibitzDevicesDetail {
  /** Every camera, microphone and speaker, as `devices` lists them (`selected` marks the one in use or chosen). */
  devices: MediaDeviceEntry[];
}
/** The device list or the selection changed (a device was plugged in or out, chosen, opened or lost). */
export class KibitzDevicesEvent extends KibitzEvent<KibitzDevicesDetail> {
  constructor(detail: KibitzDevicesDetail) {
    super('kibitz-devices', detail);
  }
}

/** A participant started or stopped speaking. */
export interface KibitzSpeakingDetail {
  /** The participant (possibly this peer, `peer.self`), as `participants` shows it. */
  peer: CallParticipant;
  speaking: boolean;
}
/** A participant started or stopped speaking, as this browser hears it. */
export class KibitzSpeakingEvent extends KibitzEvent<KibitzSpeakingDetail> {
  constructor(detail: KibitzSpeakingDetail) {
    super('kibitz-speaking', detail);
  }
}

/** The quality of the direct link to a participant changed. */
export interface KibitzQualityDetail {
  /** The participant at the other end of the link, as `participants` shows it. */
  peer: CallParticipant;
  /** `good`, `fair` or `poor`, from round-trip time and packet loss. */
  quality: LinkQuality;
}
/** The quality of the direct link to a participant changed. */
export class KibitzQualityEvent extends KibitzEvent<KibitzQualityDetail> {
  constructor(detail: KibitzQualityDetail) {
    super('kibitz-quality', detail);
  }
}

/** Every `kibitz-*` event by name. */
export interface KibitzEventMap {
  'kibitz-state': KibitzStateEvent;
  'kibitz-join': KibitzJoinEvent;
  'kibitz-leave': KibitzLeaveEvent;
  'kibitz-message': KibitzMessageEvent;
  'kibitz-file': KibitzFileEvent;
  'kibitz-file-offer': KibitzFileOfferEvent;
  'kibitz-progress': KibitzProgressEvent;
  'kibitz-coordinator': KibitzCoordinatorEvent;
  'kibitz-error': KibitzErrorEvent;
  'kibitz-track': KibitzTrackEvent;
  'kibitz-participants': KibitzParticipantsEvent;
  'kibitz-connection': KibitzConnectionEvent;
  'kibitz-refused': KibitzRefusedEvent;
  'kibitz-kick': KibitzKickEvent;
  'kibitz-knock': KibitzKnockEvent;
  'kibitz-host': KibitzHostEvent;
  'kibitz-lock': KibitzLockEvent;
  'kibitz-lobby': KibitzLobbyEvent;
  'kibitz-safety': KibitzSafetyEvent;
  'kibitz-gate': KibitzGateEvent;
  'kibitz-grant': KibitzGrantEvent;
  'kibitz-audit': KibitzAuditEvent;
  'kibitz-devices': KibitzDevicesEvent;
  'kibitz-speaking': KibitzSpeakingEvent;
  'kibitz-quality': KibitzQualityEvent;
  'kibitz-chat': KibitzChatEvent;
}

// The events bubble, so any element or document listener sees them typed.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merged into the DOM's own map
  interface GlobalEventHandlersEventMap extends KibitzEventMap {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merged into the DOM's own map
  interface HTMLElementEventMap extends KibitzEventMap {}
}
