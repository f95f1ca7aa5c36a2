// The one shape a participant has wherever the public API shows one.
import type { PeerKind, RosterEntry } from './protocol.js';

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
}

/** A roster entry as the page sees it, given who this peer is, who coordinates and who hosts. */
export function describe(
  entry: RosterEntry,
  roles: { selfId: string; coordinatorId: string | null; hostId: string | null; fingerprint: string | null },
): Participant {
  return {
    id: entry.id,
    name: entry.name,
    kind: entry.kind,
    self: entry.id === roles.selfId,
    coordinator: entry.id === roles.coordinatorId,
    host: entry.id === roles.hostId,
    audio: entry.audio,
    video: entry.video,
    screen: entry.screen,
    fingerprint: roles.fingerprint,
  };
}
