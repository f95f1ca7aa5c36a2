// This peer's membership once it is in: control frames on member links (within their flood
// budgets), following the coordinator's rosters, handshakes relayed between members,
// departures, elections, and watching the coordinator for silence. The coordinator's own duties
// live in coordinator.ts; this is what every member does.
import type { Clock } from './clock.js';
import type { Coordinator } from './coordinator.js';
import type { Entry } from './entry.js';
import type { FloodBudget } from './flood-budget.js';
import { frameSize } from './flood-budget.js';
import type { Link } from './link.js';
import type { Mesh } from './mesh.js';
import type { Participant } from './participant.js';
import {
  decodeControl,
  encodeControl,
  type AuditedAct,
  type ControlFrame,
  type Departure,
  type LeaveReason,
  type RosterEntry,
  type SignalData,
} from './protocol.js';
import type { RoomEvents, RoomState } from './room-types.js';
import type { Roster, RosterFrame } from './roster.js';
import type { SafetyFrame } from './safety.js';

/** How long kicked peers keep their links, to verify the signed kick before they are cut off. */
export const KICK_LINGER_MS = 5000;
/** A participant redials a dropped pair link after this, once the coordinator had time to say whether the peer left. */
const REDIAL_MS = 1000;

/** What membership needs from the room; it calls nothing else. */
export interface MembershipHost {
  readonly selfId: string;
  readonly clock: Clock;
  readonly timing: { reapMs: number; pingMs: number };
  readonly roster: Roster;
  readonly mesh: Mesh;
  readonly entry: Entry;
  readonly flood: FloodBudget<Link>;
  readonly dropped: { malformed: number; unauthorised: number; flooded: number };
  state(): RoomState;
  coordinating(): boolean;
  /** The coordinator part, while this peer coordinates. */
  coordinator(): Coordinator | null;
  /** Take over as coordinator; `gone` names the departed one. */
  takeOver(gone: Departure[]): void;
  rejoin(): void;
  /** The first roster arrived: this peer is in. */
  admitted(): void;
  /** The coordinator put this peer in the waiting room. */
  waiting(): void;
  end(state: 'refused', reason: string): void;
  /** A host frame authored by `from`, for the host layer to verify. */
  command(from: string, cmd: unknown): void;
  /** Whether a host frame is fit to relay (the coordinator's check, in arrival order). */
  screen(cmd: unknown): Promise<boolean>;
  /** Forget a departed member's unfinished transfers. */
  forget(peerId: string): void;
  /** A safety-code frame on member `member`'s own link. */
  safety(link: Link, member: string, frame: SafetyFrame): void;
  /** A member's admission credential on its own link. */
  credential(link: Link, member: string, cred: unknown): void;
  /** Member `reporter` dropped something `peer` had no grant to send. */
  audited(reporter: string, peer: string, blocked: AuditedAct): void;
  /** Forget which media of `link` was shown, so it is judged and announced anew. */
  unshow(link: Link): void;
  report<K extends 'leave' | 'track' | 'connection'>(type: K, detail: RoomEvents[K]): void;
  describe(entry: RosterEntry): Participant;
  participants(): Participant[];
  joined(peer: Participant): void;
  coordinatorChanged(peerId: string): void;
  controlChanged(): void;
  participantsChanged(): void;
}

export class Membership {
  /** A check of the coordinator's silence is due before the next presence tick. */
  private recheck = false;

  constructor(private readonly host: MembershipHost) {}

  /** Remove a member at once (kick): closes the link here and, on the coordinator, updates the roster. */
  expel(peerId: string, reason: LeaveReason): void {
    if (peerId === this.host.selfId) return;
    this.host.coordinator()?.dropGuestById(peerId);
    if (!this.host.roster.has(peerId)) return;
    // A kicked peer keeps its links a moment longer, so it can verify the signed kick itself.
    this.removeMember(peerId, reason, reason === 'kicked' ? KICK_LINGER_MS : 0);
    if (this.host.coordinating()) this.host.coordinator()!.broadcastRoster([{ id: peerId, reason }]);
  }

  toCoordinator(frame: ControlFrame): void {
    const id = this.host.roster.coordinatorId;
    if (!id || id === this.host.selfId) return;
    this.host.mesh.sendControl(id, encodeControl(frame));
  }

  private applyRoster(link: Link, frame: RosterFrame): void {
    const viaEntry = this.host.entry.carries(link);
    const sender = viaEntry ? frame.coordinator : link.remoteId;
    const context = {
      now: this.host.clock.now(),
      reapMs: this.host.timing.reapMs,
      coordinating: this.host.coordinating(),
      reachable: (id: string) => this.host.mesh.isOpen(id),
    };
    if (!this.host.roster.judge(frame, sender, viaEntry, context)) {
      this.host.dropped.unauthorised++;
      return;
    }
    if (!frame.peers.some((p) => p.id === this.host.selfId)) {
      if (viaEntry) return;
      if (frame.gone.some((d) => d.id === this.host.selfId && d.reason === 'kicked')) {
        // Only a kick we verify ourselves ends our membership; if none comes, knock again.
        this.host.clock.setTimeout(() => {
          if (this.host.state() === 'joined' && !this.host.roster.has(this.host.selfId)) this.host.rejoin();
        }, KICK_LINGER_MS * 2);
        this.host.roster.remove(this.host.selfId);
        return;
      }
      // The coordinator no longer lists us: we were reaped while unreachable. Come back.
      this.host.rejoin();
      return;
    }
    if (viaEntry) {
      this.host.entry.admitted();
      link.remoteId = sender;
      // Tracks on this link were announced under the coordinator's slot id: once the roster is
      // in, they are judged (and announced) again under its id.
      this.host.unshow(link);
    }
    const wasJoined = this.host.state() === 'joined';
    const now = this.host.clock.now();
    const previous = this.host.participants();
    const change = this.host.roster.adopt(frame, sender, now);
    this.host.controlChanged();
    for (const { entry } of change.left) {
      if (this.host.mesh.link(entry.id) === link) this.host.mesh.detach(entry.id);
      this.host.mesh.remove(entry.id);
      this.host.forget(entry.id);
    }
    if (this.host.mesh.link(sender) !== link) this.host.mesh.attach(sender, link);
    for (const entry of change.joined) this.host.mesh.touch(entry.id, now);
    for (const { entry, reason } of change.left) {
      this.host.report('leave', { peer: previous.find((p) => p.id === entry.id) ?? this.host.describe(entry), reason });
    }
    if (!wasJoined) this.host.admitted();
    for (const entry of wasJoined ? change.joined : frame.peers.map((p) => this.host.roster.get(p.id)!))
      this.host.joined(this.host.describe(entry));
    if (change.coordinatorChanged) this.host.coordinatorChanged(sender);
    this.host.mesh.up();
    this.host.participantsChanged();
  }

  /** Handshakes between two participants always go through the coordinator, also later ones:
   * an ICE restart must not depend on the very link whose transport failed. */
  relaySignal(link: Link, data: SignalData): void {
    const frame: ControlFrame = { t: 'signal', to: link.remoteId, data };
    if (this.host.coordinating() || link.remoteId === this.host.roster.coordinatorId) link.sendControl(encodeControl(frame));
    else this.toCoordinator(frame);
  }

  private onSignalFrame(link: Link, frame: Extract<ControlFrame, { t: 'signal' }>): void {
    const from = link.remoteId;
    if (this.host.coordinating() && frame.to !== this.host.selfId)
      return this.host.coordinator()!.relaySignal(this.host.mesh.memberOf(link) ?? '', frame);
    const relayed = frame.from !== undefined && frame.from !== from;
    const peerId = relayed ? frame.from! : from;
    const entry = this.host.roster.get(peerId);
    // Only the coordinator relays; the sender is who the coordinator says, or the link itself.
    if (frame.to !== this.host.selfId || (relayed && from !== this.host.roster.coordinatorId) || !entry || peerId === this.host.selfId) {
      this.host.dropped.unauthorised++;
      return;
    }
    if (!this.host.mesh.link(peerId)) {
      const isOffer = 'description' in frame.data && frame.data.description.type === 'offer';
      if (!isOffer || !this.host.mesh.accept(entry)) return;
    }
    void this.host.mesh.link(peerId)?.handleSignal(frame.data);
  }

  onControl(link: Link, raw: unknown): void {
    // A kicked peer lingers on its links only so the others hear of the kick: it takes nothing in.
    if (this.host.state() === 'kicked') return;
    if (!this.withinBudget(link, raw)) return;
    const frame = decodeControl(raw);
    if (!frame) {
      this.host.dropped.malformed++;
      return;
    }
    const member = this.host.mesh.memberOf(link);
    const now = this.host.clock.now();
    if (member) this.host.mesh.touch(member, now);
    if (link.remoteId === this.host.roster.coordinatorId) this.host.roster.coordinatorSeen = now;
    switch (frame.t) {
      case 'hello':
        if (this.host.coordinating()) this.host.coordinator()!.onHello(link, frame);
        else this.host.dropped.unauthorised++;
        return;
      case 'roster':
        return this.applyRoster(link, frame);
      case 'wait':
        if (this.host.entry.waiting(link)) this.host.waiting();
        return;
      case 'refused':
        if (this.host.entry.refused(link)) {
          this.host.end('refused', frame.reason);
          link.close();
        }
        return;
      case 'ping':
        if (link.remoteId === this.host.roster.coordinatorId) link.sendControl(encodeControl({ t: 'pong', n: frame.n }));
        return;
      case 'pong':
        return;
      case 'signal':
        return this.onSignalFrame(link, frame);
      case 'media':
      case 'name':
        if (!this.host.coordinating() || !member) return;
        if (frame.t === 'media') this.host.coordinator()!.onMedia(member, frame.media);
        else this.host.coordinator()!.onName(member, frame.name);
        this.host.participantsChanged();
        return;
      case 'bye':
        if (member) this.lose(member, 'left');
        return;
      case 'host':
        return this.onHostFrame(link, member, frame);
      case 'safety':
        // Only the pair's own link carries its exchange: never relayed, never before it is a member's.
        if (member) this.host.safety(link, member, frame);
        else this.host.dropped.unauthorised++;
        return;
      case 'cred':
        // Shown on the pair's own link, so the verifier reads the holder's certificate itself.
        if (member) this.host.credential(link, member, frame.c);
        else this.host.dropped.unauthorised++;
        return;
      case 'audit':
        // A member's own report of what it dropped; only the host hears of it.
        if (member && this.host.roster.has(frame.peer)) this.host.audited(member, frame.peer, frame.blocked);
        else this.host.dropped.unauthorised++;
        return;
    }
  }

  private onHostFrame(link: Link, member: string | null, frame: Extract<ControlFrame, { t: 'host' }>): void {
    if (!member) {
      this.host.dropped.unauthorised++;
      return;
    }
    // Relayed frames name their author; only the coordinator may relay.
    const misattributed = frame.from !== undefined && frame.from !== member && member !== this.host.roster.coordinatorId;
    const judge = () => {
      if (misattributed) this.host.dropped.unauthorised++;
      else void this.host.command(frame.from ?? member, frame.cmd);
    };
    if (!this.host.coordinating()) return judge();
    // Relay only what is well formed and signed for this room: junk stops at the coordinator.
    // The screen runs before this peer judges the frame for itself: judging remembers the
    // command's id, and a screen that read the replay guard after that would take the frame
    // for a replay and not relay it (every other peer then never hears of it).
    void this.host
      .screen(frame.cmd)
      .then((ok) => {
        if (ok) this.host.coordinator()?.fanOut({ t: 'host', from: member, cmd: frame.cmd }, member);
      })
      .catch(() => undefined)
      .then(judge);
  }

  /** Charge one inbound control frame to its link's budget; false when it must be dropped. */
  private withinBudget(link: Link, raw: unknown): boolean {
    // The link to the coordinator is never limited: it relays everyone's handshakes and limits what it relays.
    if (this.host.entry.carries(link)) return true;
    if (!this.host.coordinating() && link.remoteId === this.host.roster.coordinatorId && this.host.mesh.memberOf(link)) return true;
    const verdict = this.host.flood.charge(link, frameSize(raw), this.host.clock.now());
    if (verdict === 'pass') return true;
    this.host.dropped.flooded++;
    if (verdict === 'cut') this.cutOff(link);
    return false;
  }

  /** A sustained flooder: the coordinator expels it for everyone; a participant stops linking with it. */
  private cutOff(link: Link): void {
    if (this.host.coordinator()?.dropGuestOn(link)) return;
    const member = this.host.mesh.memberOf(link);
    if (!member) return link.close();
    if (this.host.coordinating()) return this.expel(member, 'kicked');
    this.host.mesh.cut(member);
  }

  /** A member is gone (bye, closed link or silence). */
  lose(peerId: string, reason: LeaveReason): void {
    if (!this.host.roster.has(peerId) || peerId === this.host.selfId) return;
    if (this.host.coordinating()) {
      this.removeMember(peerId, reason);
      this.host.coordinator()!.broadcastRoster([{ id: peerId, reason }]);
      return;
    }
    if (peerId === this.host.roster.coordinatorId) {
      this.removeMember(peerId, reason);
      this.elect([{ id: peerId, reason }]);
      return;
    }
    // A participant's link dropped: the coordinator decides whether it left; if it is still
    // listed we redial after a moment (the later joiner dials), and the page hears
    // `reconnecting` until the new link reports `connected`.
    const link = this.host.mesh.detach(peerId);
    if (link) {
      link.close();
      this.host.report('connection', { peerId, state: 'reconnecting' });
    }
    this.host.clock.setTimeout(() => this.host.mesh.up(), REDIAL_MS);
  }

  removeMember(peerId: string, reason: LeaveReason, lingerMs = 0): void {
    const peer = this.host.participants().find((p) => p.id === peerId);
    if (!peer) return;
    this.host.roster.remove(peerId);
    this.host.forget(peerId);
    this.host.mesh.remove(peerId, lingerMs);
    this.host.report('leave', { peer, reason });
    this.host.participantsChanged();
  }

  /** `gone`: the departed coordinator, so that everyone hears the same reason from the successor. */
  private elect(gone: Departure[] = []): void {
    const { successor, claim } = this.host.roster.elect((id) => this.host.mesh.isOpen(id), this.host.clock.now());
    if (!successor) return;
    if (successor === this.host.selfId) return this.host.takeOver(gone);
    const link = this.host.mesh.link(successor);
    if (claim && link) this.applyRoster(link, claim);
    // The roster names the successor already, so adopting its claim reports no change: say it here.
    this.host.coordinatorChanged(successor);
    this.host.participantsChanged();
  }

  /** A participant's presence tick: a coordinator silent past the reap interval is gone. */
  watchCoordinator(now: number): void {
    const silent = this.host.roster.coordinatorId;
    const { clock, timing } = this.host;
    const due = this.host.roster.coordinatorSeen + timing.reapMs - now;
    if (!silent || due >= 0) {
      // Silence that passes the reap interval before the next tick is checked the moment it does,
      // not up to a tick later: a crashed coordinator is replaced within reapMs of its last frame.
      if (silent && due < timing.pingMs && !this.recheck) {
        this.recheck = true;
        clock.setTimeout(() => {
          this.recheck = false;
          if (this.host.state() === 'joined' && !this.host.coordinating()) this.watchCoordinator(clock.now());
        }, due + 1);
      }
      return;
    }
    if (now - this.host.roster.electedAt > this.host.timing.reapMs || this.host.roster.has(silent)) {
      this.lose(silent, 'timeout');
      if (this.host.roster.coordinatorId === silent) {
        // The coordinator we elected never spoke: pass over it as well.
        this.host.roster.remove(silent);
        this.host.mesh.detach(silent)?.close();
        this.elect();
      }
    }
  }
}
