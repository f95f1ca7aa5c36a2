// What a peer does only while it coordinates: guests at the door (hello → gate → admit, wait
// or refuse), knocks, roster fan-out, reaping silent members and relaying handshakes and host
// frames between members. It authors nothing: moderation decisions come from the host layer.
import type { SignalingEndpoint } from '../signaling/transport.js';
import type { Clock } from './clock.js';
import type { Link } from './link.js';
import type { Mesh } from './mesh.js';
import {
  MAX_CREDENTIAL_CHARS,
  MAX_ROSTER,
  cleanName,
  encodeControl,
  type ControlFrame,
  type Departure,
  type LeaveReason,
  type MediaFlags,
  type PeerKind,
  type RosterEntry,
  type SignalData,
} from './protocol.js';
import type { Roster, RosterFrame } from './roster.js';

/** A gate decides on a hello before the joiner is rostered. */
export type GateDecision = { admit: true } | { admit: false; wait: true } | { admit: false; wait: false; reason: string };
export interface GateRequest {
  id: string;
  name: string;
  fingerprint: string | null;
  proof: unknown;
  /** The admission credential the hello carried (see engine/gatekeeper.ts). */
  credential: unknown;
}
export type Gate = (hello: GateRequest) => GateDecision | Promise<GateDecision>;

/** How long a refused guest keeps its link, so the refusal reaches it before the close. */
const REFUSAL_LINGER_MS = 300;
/** Rosters a new coordinator repeats on its next ticks, for members that missed the first. */
const TAKEOVER_REBROADCASTS = 3;

type Hello = Extract<ControlFrame, { t: 'hello' }>;

interface Guest {
  id: string;
  link: Link;
  since: number;
  hello: Hello | null;
  /** The slot endpoint the guest's handshake arrived on, where answers go back. */
  via: SignalingEndpoint;
}

/** What the coordinator needs from the room; it calls nothing else. */
export interface CoordinatorHost {
  readonly selfId: string;
  readonly clock: Clock;
  readonly timing: { reapMs: number; linkOpenMs: number };
  readonly roster: Roster;
  readonly mesh: Mesh;
  /** A link for a guest: it sees and hears nothing until admitted. */
  guestLink(id: string, signal: (link: Link, data: SignalData) => void): Link;
  /** Send a handshake to a guest through the broker slot it came in on. */
  sealTo(id: string, data: SignalData, via: SignalingEndpoint): void;
  /** A handshake on an admitted link travels over the mesh. */
  relay(link: Link, data: SignalData): void;
  gate(request: GateRequest): Promise<GateDecision>;
  /** A guest became a member on `link`. */
  admitted(entry: RosterEntry, link: Link): void;
  /** Lock, lobby, bans or knocks changed here. */
  controlChanged(): void;
  /** A member leaves the roster here (the room reports it). */
  removeMember(id: string, reason: LeaveReason, lingerMs?: number): void;
  dropped(reason: 'malformed' | 'unauthorised'): void;
  /** Whether member `id` is granted the others' names (`roster`). */
  seesNames(id: string): boolean;
  /** The kind the joiner's credential gave it at the door, if it says one. */
  doorKind(id: string): PeerKind | null;
}

export class Coordinator {
  private readonly guests = new Map<string, Guest>();
  private rebroadcasts = TAKEOVER_REBROADCASTS;

  constructor(private readonly host: CoordinatorHost) {}

  get guestCount(): number {
    return this.guests.size;
  }

  isGuestLink(link: Link): boolean {
    return this.guests.get(link.remoteId)?.link === link;
  }

  // ---- the door ---------------------------------------------------------------------------

  /** A sealed handshake from a joiner arrived on our slot. */
  async slotSignal(endpoint: SignalingEndpoint, src: string, signal: SignalData): Promise<void> {
    const isOffer = 'description' in signal && signal.description.type === 'offer';
    if (this.host.roster.has(src)) {
      // A member just admitted may still answer (or trickle) through the slot what was sent
      // to it there before it knew: hand that to its link. An offer would be a second entry.
      const link = this.host.mesh.link(src);
      if (link && !isOffer) return link.handleSignal(signal);
      this.host.dropped('unauthorised');
      return;
    }
    const existing = this.guests.get(src);
    if (!existing && !isOffer) return;
    if (!existing && this.guests.size >= MAX_ROSTER) return;
    // A new offer from an id we already link with: the joiner restarted; start over.
    if (existing && isOffer && existing.link.isOpen) this.dropGuest(existing);
    let guest = this.guests.get(src);
    if (!guest) {
      const link = this.host.guestLink(src, (l, data) =>
        this.guests.get(src)?.link === l ? this.host.sealTo(src, data, endpoint) : this.host.relay(l, data),
      );
      guest = { id: src, link, since: this.host.clock.now(), hello: null, via: endpoint };
      this.guests.set(src, guest);
    }
    await guest.link.handleSignal(signal);
  }

  /** A guest introduced itself: bans, then the gate, decide. */
  onHello(link: Link, frame: Hello): void {
    const guest = this.guests.get(link.remoteId);
    if (!guest || guest.link !== link || frame.id !== guest.id) {
      this.host.dropped('unauthorised');
      return;
    }
    // The name a guest knocks with is the name the host admits: a second hello changes nothing.
    if (guest.hello) return;
    guest.hello = { ...frame, name: cleanName(frame.name) };
    // An oversized credential is refused before any work is spent on it.
    if (frame.cred !== undefined && JSON.stringify(frame.cred).length > MAX_CREDENTIAL_CHARS) {
      this.refuse(guest.id, 'bad-credential');
      return;
    }
    void link.fingerprint().then(async (fingerprint) => {
      if (this.guests.get(guest.id) !== guest) return;
      const decision = await this.host.gate({
        id: guest.id,
        name: guest.hello!.name,
        fingerprint,
        proof: frame.proof,
        credential: frame.cred,
      });
      if (this.guests.get(guest.id) !== guest) return;
      if (decision.admit) return this.admit(guest);
      if (!decision.wait) return void this.refuse(guest.id, decision.reason);
      link.sendControl(encodeControl({ t: 'wait' }));
      const { knocks } = this.host.roster.shared;
      if (!knocks.some((k) => k.id === guest.id)) this.setControl({ knocks: [...knocks, { id: guest.id, name: guest.hello!.name }] });
    });
  }

  /** Admit a waiting guest (the host said so). */
  admitWaiting(id: string): boolean {
    const guest = this.guests.get(id);
    if (!guest?.hello) return false;
    this.admit(guest);
    return true;
  }

  private admit(guest: Guest): void {
    const hello = guest.hello!;
    const { roster } = this.host;
    this.guests.delete(guest.id);
    this.unknock(guest.id, false);
    const entry: RosterEntry = {
      id: guest.id,
      name: hello.name,
      // An invite's kind, as checked at this door, outranks what the joiner says of itself.
      kind: this.host.doorKind(guest.id) ?? hello.kind,
      order: roster.nextOrder(),
      audio: hello.media.audio,
      video: hello.media.video,
      screen: hello.media.screen,
    };
    roster.add(entry);
    this.host.mesh.touch(entry.id, this.host.clock.now());
    this.host.mesh.attach(entry.id, guest.link);
    this.broadcastRoster([]);
    this.host.admitted(entry, guest.link);
  }

  refuse(id: string, reason: string): boolean {
    const guest = this.guests.get(id);
    if (!guest) return false;
    guest.link.sendControl(encodeControl({ t: 'refused', reason }));
    this.dropGuest(guest, REFUSAL_LINGER_MS);
    return true;
  }

  /** Drop the guest on `link` (its link closed, or it flooded); false when it is no guest. */
  dropGuestOn(link: Link): boolean {
    const guest = this.guests.get(link.remoteId);
    if (guest?.link !== link) return false;
    this.dropGuest(guest);
    return true;
  }

  dropGuestById(id: string): void {
    const guest = this.guests.get(id);
    if (guest) this.dropGuest(guest);
  }

  private dropGuest(guest: Guest, delayMs = 0): void {
    this.guests.delete(guest.id);
    this.unknock(guest.id, true);
    if (delayMs) this.host.clock.setTimeout(() => guest.link.close(), delayMs);
    else guest.link.close();
  }

  private unknock(id: string, replicate: boolean): void {
    const { knocks } = this.host.roster.shared;
    if (!knocks.some((k) => k.id === id)) return;
    if (replicate) this.setControl({ knocks: knocks.filter((k) => k.id !== id) });
    else {
      this.host.roster.shared = { ...this.host.roster.shared, knocks: knocks.filter((k) => k.id !== id) };
      this.host.controlChanged();
    }
  }

  private setControl(change: { knocks: { id: string; name: string }[] }): void {
    this.host.roster.shared = { ...this.host.roster.shared, ...change };
    this.broadcastRoster([]);
    this.host.controlChanged();
  }

  // ---- the roster -------------------------------------------------------------------------

  broadcastRoster(gone: Departure[]): void {
    const frame = this.host.roster.frame(gone);
    const full = encodeControl(frame);
    for (const [id, link] of this.host.mesh.entries()) {
      // A member not granted the names gets the ids alone (its own name stays its own).
      link.sendControl(this.host.seesNames(id) ? full : encodeControl(withoutNames(frame, id)));
    }
  }

  /** Relay a frame to every member but `except`. */
  fanOut(frame: ControlFrame, except: string): void {
    const encoded = encodeControl(frame);
    for (const [id, link] of this.host.mesh.entries()) if (id !== except) link.sendControl(encoded);
  }

  /** A member reported its own media state; only the three flags are taken. */
  onMedia(id: string, media: MediaFlags): void {
    const entry = this.host.roster.get(id);
    if (!entry) return;
    entry.audio = media.audio;
    entry.video = media.video;
    entry.screen = media.screen;
    this.broadcastRoster([]);
  }

  /** A member renamed itself. */
  onName(id: string, raw: string): void {
    const name = cleanName(raw);
    const entry = this.host.roster.get(id);
    if (!entry || entry.name === name) return;
    entry.name = name;
    this.broadcastRoster([]);
  }

  /** Relay a handshake between two members; the sender is the link it came from, never what it claims. */
  relaySignal(from: string, frame: Extract<ControlFrame, { t: 'signal' }>): void {
    const target = this.host.mesh.link(frame.to);
    if (!this.host.roster.has(from) || !target || frame.to === from) {
      this.host.dropped('unauthorised');
      return;
    }
    target.sendControl(encodeControl({ t: 'signal', to: frame.to, from, data: frame.data }));
  }

  // ---- presence ---------------------------------------------------------------------------

  /** One presence tick: ping members, reap the silent, time out guests that never said hello. */
  tick(now: number, ping: string): void {
    const { roster, mesh, timing } = this.host;
    const gone: Departure[] = [];
    for (const entry of roster.others()) {
      if (mesh.silentFor(entry.id, now) > timing.reapMs) {
        this.host.removeMember(entry.id, 'timeout');
        gone.push({ id: entry.id, reason: 'timeout' });
      } else mesh.sendControl(entry.id, ping);
    }
    if (gone.length || this.rebroadcasts > 0) {
      this.rebroadcasts = Math.max(0, this.rebroadcasts - 1);
      this.broadcastRoster(gone);
    }
    for (const guest of [...this.guests.values()]) {
      if (!guest.hello && now - guest.since > timing.linkOpenMs) this.dropGuest(guest);
    }
  }

  /** This peer stops coordinating: every guest goes. */
  close(): void {
    for (const guest of this.guests.values()) guest.link.close();
    this.guests.clear();
  }
}

/** A roster frame with every name but `keep`'s blanked, the waiting guests' too. */
function withoutNames(frame: RosterFrame, keep: string): RosterFrame {
  return {
    ...frame,
    peers: frame.peers.map((e) => (e.id === keep ? e : { ...e, name: '' })),
    state: { ...frame.state, knocks: frame.state.knocks.map((k) => ({ ...k, name: '' })) },
  };
}
