// The room's moderation state (lock, waiting room, bans) as this peer last verified it: the
// host's signed record with the highest sequence, or, in the soft-name tier, the name host's
// unsigned one. Nothing else changes it: a coordinator can replicate a record or withhold a
// newer one, never invent one.
import { createRoomState, MAX_BANS, signRoomState, verifyRoomState, type Grant, type SignedRoomState } from '../crypto/room-state.js';
import { normalizeRoomName } from '../crypto/room-keys.js';

export interface HostControl {
  locked: boolean;
  lobby: boolean;
  /** Banned peer ids and normalised certificate fingerprints. */
  bans: string[];
  /** Grants the host set, by normalised certificate fingerprint (only a signed record carries any). */
  grants: Record<string, Grant>;
}

/** The soft-name tier's record: unsigned, honoured from the peer holding the host name (or, replicated, from the coordinator). It grants nothing. */
interface NamedState extends Omit<HostControl, 'grants'> {
  named: 1;
  kind: 'state';
  room: string;
  seq: number;
}

export type StateVerdict = 'adopted' | 'old' | 'malformed' | 'signature' | 'room';

const isNamedState = (v: unknown): v is NamedState => {
  const o = v as NamedState;
  return (
    typeof v === 'object' &&
    v !== null &&
    o.named === 1 &&
    o.kind === 'state' &&
    typeof o.room === 'string' &&
    Number.isSafeInteger(o.seq) &&
    o.seq >= 0 &&
    typeof o.locked === 'boolean' &&
    typeof o.lobby === 'boolean' &&
    Array.isArray(o.bans) &&
    o.bans.length <= MAX_BANS &&
    o.bans.every((b) => typeof b === 'string' && b.length <= 128)
  );
};

/** Whether a host frame carries a room-state record (of either tier) rather than a command. */
export const isStateRecord = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && ((v as { p?: unknown }).p === 'kibitz-state' || (v as { kind?: unknown }).kind === 'state');

const NO_GRANTS: Readonly<Record<string, Grant>> = Object.freeze({});

export class HostState {
  /** The record in force, to replicate with the roster; null until there is one. */
  record: SignedRoomState | NamedState | null = null;
  private checking: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly tier: 'none' | 'key' | 'name',
    private readonly hostKey: string | undefined,
    private readonly room: string,
  ) {}

  get control(): HostControl {
    const r = this.record;
    if (!r) return { locked: false, lobby: false, bans: [], grants: {} };
    return { locked: r.locked, lobby: r.lobby, bans: [...r.bans], grants: 'grants' in r ? { ...r.grants } : {} };
  }

  /** The grants in force, read as they are (no copy): checked on every message and track. */
  get grants(): Readonly<Record<string, Grant>> {
    const r = this.record;
    return r && 'grants' in r ? r.grants : NO_GRANTS;
  }

  private get seq(): number {
    return this.record?.seq ?? -1;
  }

  /** Verify a record and keep it if it is newer than the one in force. Checked in arrival order. */
  offer(input: unknown): Promise<StateVerdict> {
    const verdict = this.checking.then(() => this.check(input));
    this.checking = verdict.catch(() => undefined);
    return verdict;
  }

  private async check(input: unknown): Promise<StateVerdict> {
    if (this.tier === 'none') return 'signature';
    // Every roster repeats the record in force: that same record needs no second signature check.
    if (this.isInForce(input)) return 'old';
    if (this.tier === 'name') {
      if (!isNamedState(input)) return 'malformed';
      if (input.room !== normalizeRoomName(this.room)) return 'room';
      if (input.seq <= this.seq) return 'old';
      this.record = {
        named: 1,
        kind: 'state',
        room: input.room,
        seq: input.seq,
        locked: input.locked,
        lobby: input.lobby,
        bans: [...input.bans],
      };
      return 'adopted';
    }
    const result = await verifyRoomState(input, { hostKey: this.hostKey!, room: this.room });
    if (!result.ok) return result.reason;
    if (result.record.seq <= this.seq) return 'old';
    this.record = result.record;
    return 'adopted';
  }

  private isInForce(input: unknown): boolean {
    const r = this.record as Record<string, unknown> | null;
    const o = input as Record<string, unknown> | null;
    if (!r || typeof o !== 'object' || o === null || !Array.isArray(o.bans)) return false;
    const same = (key: string) => o[key] === r[key];
    const bans = r.bans as string[];
    return (
      ['seq', 'sig', 'room', 'locked', 'lobby', 'named', 'p', 'v'].every(same) &&
      o.bans.length === bans.length &&
      o.bans.every((b, i) => b === bans[i])
    );
  }

  /**
   * The next record, as the host makes it: the current control with `change` applied, a
   * sequence above everything seen (the clock keeps it rising across a host's reloads).
   * Throws ERR_BANS_FULL past MAX_BANS.
   */
  async next(change: Partial<HostControl>, now: number, key: { secret: Uint8Array; publicKey: string } | null): Promise<unknown> {
    const fields = { ...this.control, ...change, room: this.room, seq: Math.max(this.seq + 1, Math.floor(now)) };
    const record = createRoomState(fields);
    if (this.tier === 'name' || !key) {
      const { grants: _, ...named } = record;
      return { named: 1, kind: 'state', ...named };
    }
    return signRoomState(record, key.secret, key.publicKey);
  }
}
