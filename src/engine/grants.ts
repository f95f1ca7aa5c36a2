// Least privilege, enforced by every peer: what each participant may perceive and do, as this
// peer works it out. The host's signed room-state record holds grants by device fingerprint;
// a device without one has its kind's default. Senders enforce `perceive` (they withhold media,
// messages and names), receivers enforce `act` (they drop what a peer had no grant to send).
import { ACT, PERCEIVE, type Act, type Perceive } from '../crypto/acts.js';
import type { Grant } from '../crypto/room-state.js';
import type { PeerKind } from './protocol.js';

export type { Act, Grant, Perceive };
export { ACT, PERCEIVE };

/** A person perceives and does everything. */
export const PERSON_GRANT: Readonly<Grant> = Object.freeze({ perceive: [...PERCEIVE], act: [...ACT] });
/** An agent reads the chat, messages to it and the names, and does nothing until the host widens it. */
export const AGENT_GRANT: Readonly<Grant> = Object.freeze({ perceive: ['chat', 'direct', 'roster'] as Perceive[], act: [] as Act[] });

/** The default grant of a kind of participant. */
export const defaultGrant = (kind: PeerKind): Grant => {
  const g = kind === 'agent' ? AGENT_GRANT : PERSON_GRANT;
  return { perceive: [...g.perceive], act: [...g.act] };
};

/** Which `act` a media slot needs from its sender, and which `perceive` from its receiver. */
export const SLOT_ACT = { audio: 'speak', video: 'camera', screen: 'screen' } as const satisfies Record<string, Act>;
export const SLOT_PERCEIVE = { audio: 'audio', video: 'camera', screen: 'screen' } as const satisfies Record<string, Perceive>;

export interface GrantsPort {
  readonly selfId: string;
  /** The grants of the record in force (signed by the host), by normalised fingerprint. */
  granted(): Readonly<Record<string, Grant>>;
  /** The device fingerprint of `peerId` as this peer reads it (its own for itself); null until known. */
  fingerprintOf(peerId: string): string | null;
  /** What `peerId` is, as far as this peer can tell; null when it cannot tell yet (fail closed). */
  kindOf(peerId: string): PeerKind | null;
}

const same = (a: Grant, b: Grant) =>
  a.perceive.length === b.perceive.length &&
  a.act.length === b.act.length &&
  a.perceive.every((p, i) => p === b.perceive[i]) &&
  a.act.every((x, i) => x === b.act[i]);

export class Grants {
  /** The grant last reported for each participant, to report only changes. */
  private readonly known = new Map<string, Grant>();

  constructor(private readonly port: GrantsPort) {}

  /**
   * The grant in force for `peerId`: the host's, for its device, else its kind's default.
   * While a device the record might name is not yet known, or its kind cannot be told, it
   * gets nothing (and `refresh` reports the real grant once it is known).
   */
  of(peerId: string): Grant {
    const kind = this.port.kindOf(peerId);
    const granted = this.port.granted();
    const fp = this.port.fingerprintOf(peerId);
    const set = fp ? granted[fp] : undefined;
    if (set) return { perceive: [...set.perceive], act: [...set.act] };
    // Nothing, while what it is granted cannot be known yet.
    if (kind === null || (!fp && Object.keys(granted).length > 0)) return { perceive: [], act: [] };
    return defaultGrant(kind);
  }

  /** What `peerId` is, as this peer tells it (null: it cannot tell yet). */
  kindOf(peerId: string): PeerKind | null {
    return this.port.kindOf(peerId);
  }

  perceives(peerId: string, what: Perceive): boolean {
    return this.of(peerId).perceive.includes(what);
  }

  acts(peerId: string, what: Act): boolean {
    return this.of(peerId).act.includes(what);
  }

  /**
   * Work every listed participant's grant out again: returns those whose grant changed, and
   * those seen for the first time (`before` null), so their media can be put right.
   */
  refresh(ids: readonly string[]): { peerId: string; grant: Grant; before: Grant | null }[] {
    const changed: { peerId: string; grant: Grant; before: Grant | null }[] = [];
    for (const id of [...this.known.keys()]) if (!ids.includes(id)) this.known.delete(id);
    for (const peerId of ids) {
      const grant = this.of(peerId);
      const before = this.known.get(peerId) ?? null;
      if (before && same(before, grant)) continue;
      this.known.set(peerId, grant);
      changed.push({ peerId, grant, before });
    }
    return changed;
  }

  clear(): void {
    this.known.clear();
  }
}
