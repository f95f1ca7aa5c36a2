// Safety codes per pair, and trust on first confirm. Once a member's link is open, its two
// ends run commit-then-reveal over that link's own control channel (never relayed), each
// reading the other's fingerprint from the live transport; the code they derive is what two
// people compare out of band. A confirmed peer's fingerprint is pinned with the name it had;
// the same name on another fingerprint later is `changed`. The manager holds no Room: input
// arrives through `sync`/`receive`/`confirm`, output leaves through its port.
import { KibitzError } from '../errors.js';
import { fromBase64Url, toBase64Url } from '../crypto/bytes.js';
import { normalizeFingerprint } from '../crypto/command.js';
import { SAFETY_NONCE_BYTES, deriveSafetyCode, opensCommitment, safetyCommitment } from '../crypto/safety-code.js';
import type { Clock } from './clock.js';
import { readFingerprint, type Link } from './link.js';
import { encodeControl, type ControlFrame, type SafetyStep } from './protocol.js';

/** `verified`: this device was confirmed here before; `changed`: someone by this name was confirmed on another device. */
export type Trust = 'unverified' | 'verified' | 'changed';
/** `commitment`: a reveal did not open its commitment (or the exchange broke its order); `mismatch`: the people said the codes differ; `changed`: see Trust. */
export type SafetyAlarm = 'commitment' | 'mismatch' | 'changed';

export type SafetyFrame = Extract<ControlFrame, { t: 'safety' }>;

/** A confirmed device: its DTLS fingerprint, and the name it had when the code was confirmed. */
export interface Pin {
  fingerprint: string;
  name: string;
  pinnedAt: number;
}

/** Where pins live: IndexedDB per browser profile in the element, memory by default. */
export interface PinStore {
  load(): Promise<Pin[]>;
  /** Add or replace the pin of `pin.fingerprint`. */
  save(pin: Pin): Promise<void>;
  remove(fingerprint: string): Promise<void>;
}

/** Pins for this process only (the engine's default, and unit tests' stand-in for a browser profile). */
export class MemoryPinStore implements PinStore {
  private readonly pins = new Map<string, Pin>();

  async load(): Promise<Pin[]> {
    return [...this.pins.values()].map((p) => ({ ...p }));
  }

  async save(pin: Pin): Promise<void> {
    this.pins.set(pin.fingerprint, { ...pin });
  }

  async remove(fingerprint: string): Promise<void> {
    this.pins.delete(fingerprint);
  }
}

/** Names compare the way people read them: NFKC, case and outer space ignored. */
const nameKey = (name: string) => name.normalize('NFKC').trim().toLowerCase();

// ---- one exchange ----------------------------------------------------------------------

export interface ExchangeOptions {
  /** This end commits first (its id is the lower of the pair). */
  committer: boolean;
  /** This end's own certificate fingerprint. */
  own: string;
  /** The remote fingerprint, read from the live transport. */
  seen: string;
  /** The normalised room name. */
  room: string;
  random(length: number): Uint8Array;
  send(frame: SafetyFrame): void;
}

/**
 * The protocol of one pair on one link, with no room around it (a test's man in the middle
 * runs it too). Every frame must come in its turn, once: anything else fails the exchange for
 * good. `code` is set once both nonces are in and the reveal opened the commitment.
 */
export class SafetyExchange {
  code: string | null = null;
  failed = false;
  private step: 'idle' | 'committed' | 'answered' | 'done' = 'idle';
  private nonce: Uint8Array | null = null;
  private commitment: Uint8Array | null = null;

  constructor(private readonly options: ExchangeOptions) {}

  /** The committer's opening move. */
  async start(): Promise<void> {
    if (!this.options.committer || this.step !== 'idle' || this.failed) return;
    this.step = 'committed';
    this.nonce = this.options.random(SAFETY_NONCE_BYTES);
    const commitment = await safetyCommitment(this.nonce, this.options.own, this.options.seen);
    this.send('commit', commitment);
  }

  /** Take one frame from the other end; resolves false when it broke the exchange. */
  async receive(frame: SafetyFrame): Promise<boolean> {
    if (this.failed) return false;
    const value = fromBase64Url(frame.v);
    const expected: SafetyStep = this.options.committer ? 'nonce' : this.step === 'idle' ? 'commit' : 'reveal';
    const inTurn = this.options.committer ? this.step === 'committed' : this.step === 'idle' || this.step === 'answered';
    if (!value || value.length !== SAFETY_NONCE_BYTES || frame.step !== expected || !inTurn) return this.fail();
    const { own, seen, room } = this.options;
    if (this.options.committer) {
      this.step = 'done';
      this.send('reveal', this.nonce!);
      this.code = await deriveSafetyCode({
        committerNonce: this.nonce!,
        responderNonce: value,
        room,
        committerFingerprint: own,
        responderFingerprint: seen,
      });
      return true;
    }
    if (this.step === 'idle') {
      this.step = 'answered';
      this.commitment = value;
      this.nonce = this.options.random(SAFETY_NONCE_BYTES);
      this.send('nonce', this.nonce);
      return true;
    }
    this.step = 'done';
    // The committer bound its nonce to its own fingerprint and the one it saw: they must be the
    // ones this end sees and has, or someone in between answered each side as the other.
    if (!(await opensCommitment(this.commitment!, value, seen, own))) return this.fail();
    this.code = await deriveSafetyCode({
      committerNonce: value,
      responderNonce: this.nonce!,
      room,
      committerFingerprint: seen,
      responderFingerprint: own,
    });
    return true;
  }

  private fail(): false {
    this.failed = true;
    this.code = null;
    return false;
  }

  private send(step: SafetyStep, bytes: Uint8Array): void {
    this.options.send({ t: 'safety', step, v: toBase64Url(bytes) });
  }
}

// ---- the manager -----------------------------------------------------------------------

export interface SafetyReport {
  peerId: string;
  code: string | null;
  trust: Trust;
  alarm?: SafetyAlarm;
}

/** What the manager needs from the room; it calls nothing else. */
export interface SafetyPort {
  readonly selfId: string;
  /** The normalised room name: both ends know it, the broker does not. */
  readonly room: string;
  /** This peer's own certificate fingerprint; without one there are no codes. */
  readonly localFingerprint: string | null;
  readonly clock: Clock;
  readonly pins: PinStore;
  random(length: number): Uint8Array;
  /** The current link to a member, or null. */
  linkOf(peerId: string): Link | null;
  /** A member's current name, or null when it is not in the roster. */
  nameOf(peerId: string): string | null;
  report(detail: SafetyReport): void;
}

interface Pair {
  peerId: string;
  /** The remote fingerprint as this end reads it live; null until read. */
  seen: string | null;
  exchange: SafetyExchange | null;
  /** Frames in order: each waits for the one before (and for the fingerprints). */
  queue: Promise<unknown>;
  trust: Trust | null;
  /** The code last reported, so a report goes out only on a change. */
  reported: string | null;
}

export class Safety {
  private readonly pairs = new WeakMap<Link, Pair>();
  private pins: Pin[] = [];
  private readonly pinsLoaded: Promise<void>;

  constructor(private readonly port: SafetyPort) {
    this.pinsLoaded = port.pins.load().then(
      (pins) => void (this.pins = pins.filter((p) => normalizeFingerprint(p.fingerprint))),
      () => undefined,
    );
  }

  get selfFingerprint(): string | null {
    return this.port.localFingerprint ? normalizeFingerprint(this.port.localFingerprint) || null : null;
  }

  /** The code for the pair with `peerId` on its current link, once both ends derived it. */
  codeOf(peerId: string): string | null {
    return this.pairOf(peerId)?.exchange?.code ?? null;
  }

  trustOf(peerId: string): Trust {
    if (peerId === this.port.selfId) return 'verified';
    return this.pairOf(peerId)?.trust ?? 'unverified';
  }

  /**
   * Start the exchange on every open member link that has none, and re-judge trust (a rename
   * can make a name collide with a pin). Called whenever the roster or a link changes.
   */
  sync(members: readonly string[]): void {
    for (const peerId of members) {
      if (peerId === this.port.selfId) continue;
      const link = this.port.linkOf(peerId);
      if (!link?.isOpen) continue;
      const pair = this.pairs.get(link);
      if (!pair) this.begin(peerId, link);
      else if (pair.seen) this.judge(pair);
    }
  }

  /** A safety frame that arrived on `link`, the current link of member `peerId`. */
  receive(peerId: string, link: Link, frame: SafetyFrame): void {
    const pair = this.pairs.get(link) ?? this.begin(peerId, link);
    pair.queue = pair.queue.then(async () => {
      const exchange = pair.exchange;
      if (!exchange) return;
      if (exchange.failed) return;
      const ok = await exchange.receive(frame);
      if (!ok) return this.alarm(pair, 'commitment');
      this.announce(pair);
    });
  }

  /**
   * The people compared the code of the pair with `peerId`: matching pins the peer's device
   * with its current name; not matching unpins it and raises the `mismatch` alarm.
   */
  async confirm(peerId: string, matches: boolean): Promise<void> {
    const link = this.port.linkOf(peerId);
    const pair = link ? this.pairs.get(link) : undefined;
    const name = this.port.nameOf(peerId);
    if (!pair || name === null) throw new KibitzError('ERR_UNKNOWN_PEER', `no participant ${String(peerId)} with a link`);
    if (!pair.exchange?.code || !pair.seen) {
      throw new KibitzError('ERR_NO_SAFETY_CODE', `no safety code with ${peerId} yet: wait for participants[].safetyCode`);
    }
    await this.pinsLoaded;
    const fingerprint = pair.seen;
    this.pins = this.pins.filter((p) => p.fingerprint !== fingerprint);
    if (matches) {
      const pin = { fingerprint, name, pinnedAt: this.port.clock.now() };
      this.pins.push(pin);
      this.judge(pair, true);
      await this.port.pins.save(pin);
    } else {
      pair.trust = this.trustFor(fingerprint, name);
      this.alarm(pair, 'mismatch');
      await this.port.pins.remove(fingerprint);
    }
  }

  private pairOf(peerId: string): Pair | null {
    const link = this.port.linkOf(peerId);
    return (link && this.pairs.get(link)) ?? null;
  }

  private begin(peerId: string, link: Link): Pair {
    const pair: Pair = { peerId, seen: null, exchange: null, queue: Promise.resolve(), trust: null, reported: null };
    this.pairs.set(link, pair);
    const own = this.selfFingerprint;
    if (!own) return pair;
    pair.queue = readFingerprint(link, this.port.clock).then(async (seen) => {
      if (!seen || link.isClosed) return;
      pair.seen = seen;
      await this.pinsLoaded;
      const committer = this.port.selfId < peerId;
      pair.exchange = new SafetyExchange({
        committer,
        own,
        seen,
        room: this.port.room,
        random: (n) => this.port.random(n),
        send: (frame) => link.sendControl(encodeControl(frame)),
      });
      this.judge(pair);
      if (committer) await pair.exchange.start();
    });
    return pair;
  }

  private trustFor(fingerprint: string, name: string): Trust {
    if (this.pins.some((p) => p.fingerprint === fingerprint)) return 'verified';
    const key = nameKey(name);
    // A nameless guest collides with nobody.
    if (key && this.pins.some((p) => nameKey(p.name) === key)) return 'changed';
    return 'unverified';
  }

  /** Re-judge a pair's trust; a change is reported (`changed` with its alarm). */
  private judge(pair: Pair, force = false): void {
    const name = this.port.nameOf(pair.peerId);
    if (!pair.seen || name === null) return;
    const trust = this.trustFor(pair.seen, name);
    if (trust === pair.trust && !force) return;
    const first = pair.trust === null;
    pair.trust = trust;
    // A first look that finds nothing to say waits for the code.
    if (first && trust === 'unverified') return;
    if (trust === 'changed') this.alarm(pair, 'changed');
    else this.report(pair);
  }

  /** The code became known (or was lost): tell the room once. */
  private announce(pair: Pair): void {
    const code = pair.exchange?.code ?? null;
    if (code === pair.reported) return;
    this.report(pair);
  }

  private alarm(pair: Pair, alarm: SafetyAlarm): void {
    this.report(pair, alarm);
  }

  private report(pair: Pair, alarm?: SafetyAlarm): void {
    const code = pair.exchange?.code ?? null;
    pair.reported = code;
    this.port.report({ peerId: pair.peerId, code, trust: pair.trust ?? 'unverified', ...(alarm && { alarm }) });
  }
}
