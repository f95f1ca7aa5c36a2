// The one shape a participant has wherever the public API shows one.
import type { PeerKind, RosterEntry } from './protocol.js';
import type { Identity } from './gatekeeper.js';
import type { Trust } from './safety.js';
import type { Grant } from './grants.js';

export interface Participant {
  id: string;
  name: string;
  kind: PeerKind;
  self: boolean;
  coordinator: boolean;
  host: boolean;
  audio: boolean;
  video: boolean;
  screen: boolean;
  /** The peer's DTLS certificate fingerprint read from the live connection (null for self or before connect). */
  fingerprint: string | null;
  /** The code this pair's two people compare aloud (five groups of three digits); null for self and until the pair derived it. */
  safetyCode: string | null;
  /** `verified` once its code was confirmed on this device (pinned), `changed` when its name was confirmed on another device; self is `verified`. */
  trust: Trust;
  /** Who the peer proved to be at the room's gate, as this peer checked it; null in a room without a gate. */
  identity: Identity | null;
  /** What the peer may perceive and do, as this peer enforces it. */
  grant: Grant;
}

/** A roster entry as the page sees it, given who this peer is, who coordinates and who hosts. */
export function describe(
  entry: RosterEntry,
  roles: {
    selfId: string;
    coordinatorId: string | null;
    hostId: string | null;
    fingerprint: string | null;
    safetyCode: string | null;
    trust: Trust;
    identity: Identity | null;
    kind: PeerKind;
    grant: Grant;
  },
): Participant {
  return {
    id: entry.id,
    name: entry.name,
    kind: roles.kind,
    self: entry.id === roles.selfId,
    coordinator: entry.id === roles.coordinatorId,
    host: entry.id === roles.hostId,
    audio: entry.audio,
    video: entry.video,
    screen: entry.screen,
    fingerprint: roles.fingerprint,
    safetyCode: roles.safetyCode,
    trust: roles.trust,
    identity: roles.identity,
    grant: roles.grant,
  };
}
