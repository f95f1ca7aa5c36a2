// The roster: who is in the room, in join order, and which coordinator speaks for it. Pure:
// no links, no timers, no I/O. What guarantees one coordinator lives here together: the
// acceptance rule for roster frames, the deterministic election and pending successor claims.
import { cleanName, type ControlFrame, type Departure, type LeaveReason, type RosterEntry, type RosterState } from './protocol.js';

export type RosterFrame = Extract<ControlFrame, { t: 'roster' }>;

export const initialShared = (): RosterState => ({ nextOrder: 0, knocks: [], record: null });

/** What the caller knows when judging a roster frame. */
export interface JudgeContext {
  now: number;
  /** Silence after which a peer is considered gone (a live coordinator speaks far more often). */
  reapMs: number;
  /** Whether this peer is itself coordinating. */
  coordinating: boolean;
  /** Whether this peer has an open link to a member (unreachable members cannot be elected). */
  reachable(id: string): boolean;
}

export interface RosterChange {
  joined: RosterEntry[];
  left: { entry: RosterEntry; reason: LeaveReason }[];
  coordinatorChanged: boolean;
}

export class Roster {
  /** What is replicated with the roster: join order, knocks and the host's record (unverified here). */
  shared: RosterState = initialShared();
  epoch = 0;
  coordinatorId: string | null = null;
  /** When the coordinator was last heard from. */
  coordinatorSeen = 0;
  /** When this peer last ran an election. */
  electedAt = 0;
  private seq = 0;
  private entries = new Map<string, RosterEntry>();
  /** A successor's roster that arrived before this peer saw the old coordinator go. */
  private pendingClaim: RosterFrame | null = null;

  constructor(readonly selfId: string) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): RosterEntry | undefined {
    return this.entries.get(id);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** Everyone, in join order. */
  sorted(): RosterEntry[] {
    return [...this.entries.values()].sort((a, b) => a.order - b.order);
  }

  /** Everyone but this peer. */
  others(): RosterEntry[] {
    return [...this.entries.values()].filter((e) => e.id !== this.selfId);
  }

  get isCoordinator(): boolean {
    return this.coordinatorId === this.selfId;
  }

  /** A fresh room holding only this peer, which coordinates it. */
  found(self: Omit<RosterEntry, 'order'>): void {
    this.entries.clear();
    this.shared = { ...this.shared, nextOrder: 0, knocks: [] };
    this.add({ ...self, order: this.shared.nextOrder++ } as RosterEntry);
  }

  /** Take over as coordinator (a fresh room, or a successor's election). */
  takeOver(): void {
    this.coordinatorId = this.selfId;
    this.epoch += 1;
  }

  /** The join order the next admitted peer gets. */
  nextOrder(): number {
    return this.shared.nextOrder++;
  }

  add(entry: RosterEntry): void {
    this.entries.set(entry.id, entry);
  }

  remove(id: string): RosterEntry | undefined {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    return entry;
  }

  clear(): void {
    this.entries.clear();
    this.coordinatorId = null;
    this.pendingClaim = null;
  }

  /**
   * The acceptance rule. A roster counts only from the coordinator this peer follows, from the
   * coordinator it is joining through (`viaEntry`), or from the successor its own election
   * picks — and that one only once the coordinator has gone quiet here too (a live coordinator
   * pings every ping interval), so the next in line cannot take a healthy room. A coordinator
   * never hands the room over on another's word: if it was frozen, its own stalled timers make
   * it rejoin. A claim that comes too early is kept and honoured if the election agrees later.
   */
  judge(frame: RosterFrame, sender: string, viaEntry: boolean, ctx: JudgeContext): boolean {
    if (frame.coordinator !== sender || sender === this.selfId) return false;
    if (viaEntry || sender === this.coordinatorId) return true;
    const coordinatorAlive =
      ctx.coordinating ||
      (this.coordinatorId !== null && this.entries.has(this.coordinatorId) && ctx.now - this.coordinatorSeen < ctx.reapMs / 2);
    if (frame.epoch <= this.epoch || this.successor(ctx.reachable) !== sender || coordinatorAlive) {
      if (frame.epoch > this.epoch) this.pendingClaim = frame;
      return false;
    }
    return true;
  }

  /** Adopt an accepted roster frame from `sender`; reports who came and went. */
  adopt(frame: RosterFrame, sender: string, now: number): RosterChange {
    this.pendingClaim = null;
    this.epoch = frame.epoch;
    this.shared = { ...frame.state, knocks: frame.state.knocks.map((k) => ({ ...k, name: cleanName(k.name) })) };
    const previous = this.entries;
    const gone = new Map(frame.gone.map((d) => [d.id, d.reason]));
    this.entries = new Map(frame.peers.map((entry) => [entry.id, { ...entry, name: cleanName(entry.name) }]));
    const left = [...previous.values()]
      .filter((e) => !this.entries.has(e.id))
      .map((entry) => ({ entry, reason: gone.get(entry.id) ?? 'left' }));
    const joined = [...this.entries.values()].filter((e) => !previous.has(e.id));
    const coordinatorChanged = this.coordinatorId !== sender;
    this.coordinatorId = sender;
    this.coordinatorSeen = now;
    return { joined, left, coordinatorChanged };
  }

  /** The roster frame this peer sends as coordinator. */
  frame(gone: Departure[]): RosterFrame {
    return {
      t: 'roster',
      epoch: this.epoch,
      seq: ++this.seq,
      coordinator: this.selfId,
      peers: [...this.entries.values()].map((e) => ({ ...e })),
      gone,
      state: this.shared,
    };
  }

  /**
   * The deterministic successor: the earliest-joined person still reachable (or this peer);
   * an agent only when no person is left, since the coordinator sees every name.
   */
  successor(reachable: (id: string) => boolean, exclude?: string): string | null {
    const candidates = this.sorted().filter(
      (e) => e.id !== exclude && e.id !== this.coordinatorId && (e.id === this.selfId || reachable(e.id)),
    );
    return (candidates.find((e) => e.kind !== 'agent') ?? candidates[0])?.id ?? null;
  }

  /** Elect a successor to the departed coordinator: returns it and any claim it already made. */
  elect(reachable: (id: string) => boolean, now: number): { successor: string | null; claim: RosterFrame | null } {
    const successor = this.successor(reachable);
    this.electedAt = now;
    const claim = this.pendingClaim;
    this.pendingClaim = null;
    if (successor && successor !== this.selfId) {
      this.coordinatorId = successor;
      this.coordinatorSeen = now;
    }
    return { successor, claim: claim && claim.coordinator === successor ? claim : null };
  }
}
