// The host layer. Moderation belongs to the peer that proves the credential the room link
// committed, never to whoever coordinates. Every peer verifies every command itself, over
// its own direct link to the signer, so a coordinator can relay commands but not forge or
// redirect them; lock, lobby and bans come only from the host's signed room-state record.
import { KibitzError } from '../errors.js';
import type { Grant } from '../crypto/room-state.js';
import {
  ReplayGuard,
  createHostCommand,
  normalizeFingerprint,
  precheckHostCommand,
  signHostCommand,
  verifyHostCommand,
  type HostCommandRejection,
  type HostOp,
  type SignedHostCommand,
} from '../crypto/command.js';
import { decodeHostPublicKey, unsealHostKey } from '../crypto/host-key.js';
import { normalizeRoomName } from '../crypto/room-keys.js';
import { verifyRoomState } from '../crypto/room-state.js';
import type { Clock } from './clock.js';
import { Emitter } from './emitter.js';
import type { GateDecision, GateRequest } from './coordinator.js';
import { HostState, isStateRecord, type HostControl, type StateVerdict } from './host-state.js';
import type { Participant } from './participant.js';

export interface HostCredential {
  /** Committed P-256 public key (base64url); enables signed moderation. */
  hostKey?: string;
  /** The host's private key sealed under the host passphrase. */
  hostSeal?: string;
  /** Soft tier: whoever joins under this name is host (spoofable). Ignored when a key is committed. */
  hostName?: string;
}

export type HostTier = 'none' | 'key' | 'name';
export type ModerationOp = Exclude<HostOp, 'claim'>;

/**
 * How long a command waits for the verifier's own link to its signer to open. A claim still
 * without that link then is held until the link opens (see holdClaim); any other command is
 * refused ('binding').
 */
export const LINK_WAIT_MS = 20_000;
/** How often that wait looks again. */
const LINK_POLL_MS = 100;
/** Claims held for a link that is still not up after that wait: at most this many signers at once. */
const MAX_PENDING_CLAIMS = 8;

/** What moderation reads of the room. It holds no room: it is given these and reports changes. */
export interface ModerationPort {
  readonly selfId: string;
  /** The room name commands are bound to. */
  readonly room: string;
  joined(): boolean;
  coordinating(): boolean;
  /** Who waits at the door, as the coordinator reports it (display only: admitting takes a signed admit). */
  knocks(): { id: string; name: string }[];
  participants(): Participant[];
  /** The live fingerprint of this peer's own link to `peerId`. */
  fingerprintOf(peerId: string): Promise<string | null>;
  /** Send a host frame to every other peer. */
  broadcast(cmd: unknown): void;
  /** Send a host frame to one peer over this peer's own link to it (no relay). */
  sendTo(peerId: string, cmd: unknown): void;
  /** The room's admission gate on a hello, after bans and the host proof: a refusal reason, or null. */
  credentials(hello: GateRequest, isHost: boolean): Promise<string | null>;
}

/** Recent command ids kept across reloads, so a captured command cannot be replayed after one. */
export interface ReplayStore {
  load(): unknown;
  save(entries: [string, number][]): void;
}

export interface ModerationEvents {
  host: { peerId: string | null };
  kick: { peer: Participant; self: boolean };
  knock: { peerId: string; name: string };
  lock: { locked: boolean };
  lobby: { on: boolean };
  /**
   * A host frame this peer refused: forged, replayed, stale, wrongly bound, no host, or one too
   * many waiting. A claim held for this peer's link to its signer is reported only once judged.
   */
  rejected: { reason: HostCommandRejection | 'no-host' | 'unexpected'; from: string };
  /** A newer room-state record is in force: the room replicates it and reports the control view. */
  state: { record: unknown };
  admit: { peerId: string };
  deny: { peerId: string };
  expel: { peerId: string };
  /** This peer was kicked: its membership ends. */
  ended: { reason: string };
}

/** What a soft-name host sends: unsigned, honoured only from the peer holding the name. */
interface NamedCommand {
  named: 1;
  room: string;
  op: HostOp;
  target: string;
}

export class Moderation extends Emitter<ModerationEvents> {
  readonly tier: HostTier;
  /** Commands this peer refused, by reason: attacks show up here. */
  readonly rejected: Record<string, number> = {};
  /** The verified host: the one writer of host state. */
  hostId: string | null = null;
  private readonly publicKey: Uint8Array | null;
  private secretKey: Uint8Array | null = null;
  private readonly seen = new ReplayGuard();
  /** Signing is asynchronous: commands are signed one at a time, so peers get them in issue order. */
  private issuing: Promise<unknown> = Promise.resolve();
  /** Verifying is asynchronous: verdicts come back in the order the commands were checked. */
  private verifying: Promise<unknown> = Promise.resolve();
  private readonly nameKey: string;
  private readonly state: HostState;
  private knownKnocks = new Set<string>();
  /** Senders whose commands wait for this peer's link to them: one wait each, shared by all their commands. */
  private readonly waits = new Map<string, Promise<string | null>>();
  /**
   * Claims whose signer's link was still not up when the wait above ran out, by signer (one
   * each, the latest issued): verified again, in full, once that link is up (see handleLinks).
   */
  private readonly pendingClaims = new Map<string, { cmd: unknown; iat: number }>();
  /** This peer verified its own kick (until it joins again). */
  private kicked = false;
  private screening: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly port: ModerationPort,
    private readonly credential: HostCredential,
    private readonly clock: Clock,
    /** This peer's own DTLS fingerprint (one certificate for every link), bound into its commands. */
    private readonly localFingerprint: string | null,
    private readonly replayStore: ReplayStore | null = null,
  ) {
    super();
    if (credential.hostSeal && !credential.hostKey) {
      throw new KibitzError('ERR_BAD_ATTRIBUTE', 'host-seal: needs the matching host-key');
    }
    try {
      this.publicKey = credential.hostKey ? decodeHostPublicKey(credential.hostKey) : null;
    } catch (err) {
      throw new KibitzError('ERR_BAD_ATTRIBUTE', `host-key: ${(err as Error).message}`, { cause: err });
    }
    this.tier = this.publicKey ? 'key' : credential.hostName?.trim() ? 'name' : 'none';
    this.nameKey = (credential.hostName ?? '').normalize('NFC').trim().toLowerCase();
    this.state = new HostState(this.tier, credential.hostKey, port.room);
    try {
      this.seen.restore(replayStore?.load());
    } catch {
      // Unreadable storage: start with an empty guard, as on a first visit.
    }
  }

  /** Lock, lobby and bans as the record in force says. */
  get control(): HostControl {
    return this.state.control;
  }

  /** The host's grants in force, by device fingerprint. */
  get grants(): Readonly<Record<string, Grant>> {
    return this.state.grants;
  }

  /** The record in force, replicated with every roster. */
  get record(): unknown {
    return this.state.record;
  }

  get isHost(): boolean {
    return this.hostId !== null && this.hostId === this.port.selfId;
  }

  get holdsKey(): boolean {
    return this.secretKey !== null;
  }

  /** Use a host key unsealed before this room existed (claimHost before join). */
  adoptKey(secretKey: Uint8Array): void {
    this.secretKey = secretKey;
  }

  /** Unseal the committed host key with the passphrase and prove it to the room. */
  async claimHost(passphrase: string): Promise<void> {
    if (this.tier !== 'key') throw new KibitzError('ERR_NO_HOST', 'this room has no host key to claim');
    if (!this.credential.hostSeal) throw new KibitzError('ERR_BAD_SEAL', 'this link carries no sealed host key');
    this.secretKey = await unsealHostKey(this.credential.hostSeal, passphrase, this.credential.hostKey);
    if (this.port.joined()) await this.issue('claim', this.port.selfId);
  }

  /** Run `sign` with the host key: only the verified host holding it may (invites, for one). */
  async withHostKey<T>(sign: (secretKey: Uint8Array, publicKey: string) => Promise<T>): Promise<T> {
    if (this.tier !== 'key') throw new KibitzError('ERR_NO_HOST', 'this room has no host key');
    if (!this.secretKey) throw new KibitzError('ERR_NOT_HOST', 'claim host first');
    return sign(this.secretKey, this.credential.hostKey!);
  }

  /** The signed claim a host sends with its hello, so the gate lets it past lock and lobby. */
  async helloProof(): Promise<SignedHostCommand | null> {
    try {
      return await this.sign('claim', this.port.selfId);
    } catch {
      // Without a proof the host joins as a guest would; it re-proves once in.
      return null;
    }
  }

  /** Issue a moderation command as the host: signed, sent to every peer, applied here. */
  async command(op: ModerationOp, target = ''): Promise<void> {
    if (this.tier === 'none') throw new KibitzError('ERR_NO_HOST', 'this is an open room: it has no host');
    if (!this.isHost) throw new KibitzError('ERR_NOT_HOST', 'only the verified host can do that');
    if (!this.port.joined()) throw new KibitzError('ERR_NOT_JOINED', 'join the room first');
    if (op === 'kick' && (!target || target === this.port.selfId)) {
      throw new KibitzError('ERR_UNKNOWN_PEER', 'kick needs another participant id');
    }
    if ((op === 'admit' || op === 'deny') && !this.port.knocks().some((k) => k.id === target)) {
      throw new KibitzError('ERR_UNKNOWN_PEER', `${target} is not waiting`);
    }
    if (op === 'kick' && !this.port.participants().some((p) => p.id === target)) {
      throw new KibitzError('ERR_UNKNOWN_PEER', `no participant ${target}`);
    }
    switch (op) {
      case 'lock':
      case 'unlock':
        return this.publish({ locked: op === 'lock' });
      case 'lobby-on':
      case 'lobby-off':
        return this.publish({ lobby: op === 'lobby-on' });
      case 'reset':
        return this.publish({ locked: false, lobby: false, bans: [] });
      case 'kick': {
        // Ban the certificate as well as the id: a reload or a new tab brings the same certificate back.
        const fingerprint = normalizeFingerprint((await this.port.fingerprintOf(target)) ?? '');
        await this.publish({ bans: [...this.control.bans, target, ...(fingerprint ? [fingerprint] : [])] });
        return this.issue('kick', target);
      }
      default:
        return this.issue(op, target);
    }
  }

  /**
   * Set (or, with null, reset to its kind's default) the grant of the device whose live
   * fingerprint is `fingerprint`, in the next signed record. Only a host with the key can:
   * the soft-name tier has no signature, so it grants nothing.
   */
  async grant(fingerprint: string, grant: Grant | null): Promise<void> {
    if (this.tier === 'none') throw new KibitzError('ERR_NO_HOST', 'this is an open room: it has no host');
    if (this.tier !== 'key') throw new KibitzError('ERR_NOT_HOST', 'grants need a host key (a room made with a host passphrase)');
    if (!this.isHost) throw new KibitzError('ERR_NOT_HOST', 'only the verified host can do that');
    if (!this.port.joined()) throw new KibitzError('ERR_NOT_JOINED', 'join the room first');
    const grants = { ...this.control.grants };
    if (grant) grants[fingerprint] = grant;
    else delete grants[fingerprint];
    await this.publish({ grants });
  }

  /** Sign the next room-state record, put it in force here and send it to everyone. */
  private publish(change: Partial<HostControl>): Promise<void> {
    const run = this.issuing.then(async () => {
      const key = this.secretKey && this.credential.hostKey ? { secret: this.secretKey, publicKey: this.credential.hostKey } : null;
      if (this.tier === 'key' && !key) throw new KibitzError('ERR_NOT_HOST', 'claim the host key first');
      const record = await this.state.next(change, this.clock.now(), key);
      await this.adoptState(record);
      this.port.broadcast(record);
    });
    this.issuing = run.catch(() => undefined);
    return run;
  }

  private issue(op: HostOp, target: string): Promise<void> {
    if (this.tier === 'name') {
      const cmd: NamedCommand = { named: 1, room: normalizeRoomName(this.port.room), op, target };
      this.port.broadcast(cmd);
      void this.apply(op, target, this.port.selfId);
      return Promise.resolve();
    }
    const run = this.issuing.then(async () => {
      const signed = await this.sign(op, target);
      if (!signed) throw new KibitzError('ERR_NOT_HOST', 'claim the host key first');
      this.seen.remember(signed.id, signed.iat);
      this.saveSeen();
      // A kicked peer verifies its kick over its own link to the host, and that link closes
      // soon after: hand it the command directly as well as through the coordinator.
      if (op === 'kick') this.port.sendTo(target, signed);
      this.port.broadcast(signed);
      void this.apply(op, target, this.port.selfId);
    });
    this.issuing = run.catch(() => undefined);
    return run;
  }

  /** Prove the claim again in the background; should signing fail, peers simply see no claim. */
  private reclaim(): void {
    this.issue('claim', this.port.selfId).catch(() => undefined);
  }

  private async sign(op: HostOp, target: string): Promise<SignedHostCommand | null> {
    if (!this.secretKey || !this.localFingerprint || !this.credential.hostKey) return null;
    const cmd = createHostCommand({ room: this.port.room, op, target, fp: this.localFingerprint, now: this.clock.now() });
    return signHostCommand(cmd, this.secretKey, this.credential.hostKey);
  }

  // ---- verifying --------------------------------------------------------------------------

  private reject(reason: ModerationEvents['rejected']['reason'], from: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    this.emit('rejected', { reason, from });
  }

  private saveSeen(): void {
    try {
      this.replayStore?.save(this.seen.entries());
    } catch {
      // Storage full or denied: the in-memory guard still holds for this page.
    }
  }

  /**
   * A host frame from `from` (its author: the link it came on, or the author a coordinator
   * relayed). Everything that needs no connection is checked before anything waits.
   */
  async handleCommand(from: string, cmd: unknown): Promise<void> {
    if (this.tier === 'none') return this.reject('no-host', from);
    if (isStateRecord(cmd)) {
      if (this.tier === 'name' && from !== this.nameHost()) return this.reject('signature', from);
      const verdict = await this.adoptState(cmd);
      if (verdict !== 'adopted' && verdict !== 'old') this.reject(verdict, from);
      return;
    }
    if (this.tier === 'name') {
      const named = cmd as Partial<NamedCommand> | null;
      const valid =
        typeof named === 'object' &&
        named !== null &&
        named.named === 1 &&
        named.room === normalizeRoomName(this.port.room) &&
        typeof named.op === 'string' &&
        typeof named.target === 'string';
      if (!valid || from !== this.nameHost()) return this.reject('signature', from);
      return this.apply(named.op as HostOp, named.target as string, from);
    }
    const ctx = { hostKey: this.credential.hostKey!, room: this.port.room, seen: this.seen };
    const pre = await precheckHostCommand(cmd, { ...ctx, now: this.clock.now() });
    if (!pre.ok) return this.reject(pre.reason, from);
    // Bind to the live fingerprint of *our own* link to the claimed signer. A command can
    // outrun that link's handshake (a newcomer hears the host's claim via the coordinator),
    // so wait a little for a rostered signer's link to come up. Commands that arrive meanwhile
    // (a record, then the kick it bans for) share that one wait rather than being dropped.
    const liveFingerprint = await this.linkWait(from);
    // Our own link to a rostered signer is still not up (a handshake under load can take longer
    // than any fixed wait). A claim that passed every other check is held, not refused:
    // refusing it would leave this peer never knowing the host, since the host proves itself
    // again only when someone joins or the coordinator changes. It is judged again from the
    // start once the link is up (handleLinks), so the binding to the live fingerprint, the
    // freshness and the replay guard all apply then as they would have now. This needs no new
    // frame and no change at the host, and leaves nothing trusted that was not verified. Only
    // a claim naming its own signer is held, one per signer, and only for a rostered signer.
    // A claim that goes stale while held is refused as 'stale' when the link opens; the peer
    // then learns the host from its next claim (a link that slow is restarted many times over
    // first: see linkOpenMs).
    if (!liveFingerprint && this.holdClaim(from, cmd, pre.command)) return;
    const verdict = this.verifying.then(() => verifyHostCommand(cmd, { ...ctx, liveFingerprint, now: this.clock.now() }));
    this.verifying = verdict;
    const result = await verdict;
    // Our kick (its direct copy came first) ended the membership while this waited: nothing to judge.
    if (this.kicked) return;
    if (!result.ok) return this.reject(result.reason, from);
    this.saveSeen();
    const { op, target } = result.command;
    if (op === 'claim' && target !== from) return this.reject('unexpected', from);
    // The signer is proven: a claim of its still held for the link is moot.
    if (op === 'claim') this.pendingClaims.delete(from);
    if (op !== 'claim' && from !== this.hostId) {
      // A valid signature from a peer we have not seen claim: it holds the key, so it is the host.
      this.setHost(from);
    }
    await this.apply(op, target, from);
  }

  /** The live fingerprint of this peer's link to `peerId`, waited for (one wait per peer at a time). */
  private linkWait(peerId: string): Promise<string | null> {
    let wait = this.waits.get(peerId);
    if (!wait) {
      wait = this.liveFingerprint(peerId).finally(() => this.waits.delete(peerId));
      this.waits.set(peerId, wait);
    }
    return wait;
  }

  /** Hold a claim for `from`'s link (see handleCommand): whether it was held. */
  private holdClaim(from: string, cmd: unknown, command: SignedHostCommand): boolean {
    if (command.op !== 'claim' || command.target !== from || this.kicked) return false;
    if (!this.port.participants().some((p) => p.id === from && !p.self)) return false;
    const held = this.pendingClaims.get(from);
    // A claim issued earlier than the one held (a relayed copy, a replay) does not displace it.
    if (held && held.iat > command.iat) return true;
    this.pendingClaims.delete(from);
    if (this.pendingClaims.size >= MAX_PENDING_CLAIMS) this.pendingClaims.delete(this.pendingClaims.keys().next().value!);
    this.pendingClaims.set(from, { cmd, iat: command.iat });
    return true;
  }

  /**
   * Links changed (one opened, or its fingerprint became known) or the roster did: a held
   * claim whose signer's link is up now goes through handleCommand again, so nothing is
   * accepted without every check passing then, the live-fingerprint binding included (a
   * claim bound to another certificate is refused as 'binding', one gone stale as 'stale',
   * one accepted meanwhile as 'replay'). Claims of signers no longer in the room are dropped.
   */
  handleLinks(): void {
    if (this.pendingClaims.size === 0) return;
    const present = new Set(this.port.participants().map((p) => p.id));
    for (const [signer, held] of [...this.pendingClaims]) {
      if (!present.has(signer)) {
        this.pendingClaims.delete(signer);
        continue;
      }
      // A transport may show its certificate a moment after the link opens: look again for a
      // while (the same shared wait a command makes), rather than only at this instant.
      void this.linkWait(signer)
        .catch(() => null)
        .then((fingerprint) => {
          // Another call got here first, or a newer claim took its place: that one is judged instead.
          if (!fingerprint || this.pendingClaims.get(signer) !== held) return;
          this.pendingClaims.delete(signer);
          return this.handleCommand(signer, held.cmd);
        });
    }
  }

  /**
   * Whether a coordinator should relay a host frame: a record or command that is well formed
   * and signed for this room (and fresh), or in the soft tier well formed. Junk stops here.
   */
  screen(cmd: unknown): Promise<boolean> {
    // In arrival order, so a record and the kick that follows it are relayed in that order.
    const verdict = this.screening.then(() => this.screenNow(cmd));
    this.screening = verdict.catch(() => undefined);
    return verdict;
  }

  private async screenNow(cmd: unknown): Promise<boolean> {
    if (this.tier === 'none') return false;
    if (this.tier === 'name') return typeof cmd === 'object' && cmd !== null;
    if (isStateRecord(cmd)) return (await verifyRoomState(cmd, { hostKey: this.credential.hostKey!, room: this.port.room })).ok;
    const pre = await precheckHostCommand(cmd, {
      hostKey: this.credential.hostKey!,
      room: this.port.room,
      now: this.clock.now(),
      seen: this.seen,
    });
    return pre.ok;
  }

  /** A record replicated with a roster (the coordinator's word): kept only if it verifies and is newer. */
  async handleRecord(record: unknown): Promise<void> {
    if (record !== null && record !== undefined && this.tier !== 'none') await this.adoptState(record);
  }

  private async adoptState(record: unknown): Promise<StateVerdict> {
    const before = this.control;
    const verdict = await this.state.offer(record);
    if (verdict !== 'adopted') return verdict;
    const after = this.control;
    this.emit('state', { record: this.state.record });
    if (before.locked !== after.locked) this.emit('lock', { locked: after.locked });
    if (before.lobby !== after.lobby) this.emit('lobby', { on: after.lobby });
    return verdict;
  }

  private async liveFingerprint(peerId: string): Promise<string | null> {
    const deadline = this.clock.now() + LINK_WAIT_MS;
    for (;;) {
      const fingerprint = await this.port.fingerprintOf(peerId);
      if (fingerprint || this.clock.now() >= deadline || !this.port.participants().some((p) => p.id === peerId)) return fingerprint;
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, LINK_POLL_MS));
    }
  }

  /** The coordinator's gate: bans, then a host's proof, then lock and lobby. */
  async gate(hello: GateRequest): Promise<GateDecision> {
    const { bans } = this.control;
    const fingerprint = hello.fingerprint ? normalizeFingerprint(hello.fingerprint) : '';
    if (bans.includes(hello.id) || (fingerprint && bans.includes(fingerprint))) return { admit: false, wait: false, reason: 'banned' };
    const host = await this.isHostProof(hello);
    const refusal = await this.port.credentials(hello, host);
    if (refusal) return { admit: false, wait: false, reason: refusal };
    if (host) return { admit: true };
    // Read after the proof check: lock and lobby may have changed while it ran.
    const { locked, lobby } = this.control;
    if (locked) return { admit: false, wait: false, reason: 'locked' };
    if (lobby) return { admit: false, wait: true };
    return { admit: true };
  }

  private async isHostProof(hello: GateRequest): Promise<boolean> {
    if (this.tier === 'name') return hello.name.normalize('NFC').trim().toLowerCase() === this.nameKey;
    if (this.tier !== 'key' || hello.proof === undefined) return false;
    const result = await verifyHostCommand(hello.proof, {
      hostKey: this.credential.hostKey!,
      room: this.port.room,
      liveFingerprint: hello.fingerprint,
      now: this.clock.now(),
      seen: this.seen,
    });
    return result.ok && result.command.op === 'claim' && result.command.target === hello.id;
  }

  // ---- applying ---------------------------------------------------------------------------

  private async apply(op: HostOp, target: string, signer: string): Promise<void> {
    switch (op) {
      case 'claim':
        this.setHost(signer);
        return;
      case 'lock':
      case 'unlock':
      case 'lobby-on':
      case 'lobby-off':
      case 'reset':
        // Room state travels as the signed record, never as a bare command.
        return this.reject('unexpected', signer);
      case 'admit':
        if (this.port.coordinating()) this.emit('admit', { peerId: target });
        return;
      case 'deny':
        if (this.port.coordinating()) this.emit('deny', { peerId: target });
        return;
      case 'kick':
        return this.kick(target);
    }
  }

  private async kick(target: string): Promise<void> {
    if (!target) return;
    const peer = this.port.participants().find((p) => p.id === target);
    if (target === this.port.selfId) {
      if (peer) this.emit('kick', { peer, self: true });
      this.kicked = true;
      this.emit('ended', { reason: 'the host removed you from the call' });
      return;
    }
    // The ban itself came with the host's record; this removes the peer now.
    this.emit('expel', { peerId: target });
    if (peer) this.emit('kick', { peer, self: false });
  }

  private setHost(id: string | null): void {
    if (this.hostId === id) return;
    this.hostId = id;
    this.emit('host', { peerId: id });
  }

  // ---- following the room -----------------------------------------------------------------

  /** Someone entered the roster. A newcomer has not seen our claim: prove it again (one signed frame per join). */
  handleJoin(peer: Participant): void {
    if (peer.self) {
      this.kicked = false;
      this.pendingClaims.clear();
    }
    if (!peer.self && this.isHost && this.secretKey) this.reclaim();
    if (peer.self && this.secretKey) this.reclaim();
  }

  handleLeave(peer: Participant): void {
    if (peer.id === this.hostId) this.setHost(null);
  }

  /** The host re-proves after a coordinator change, while it still holds the key. */
  handleCoordinator(): void {
    if (this.secretKey && this.port.joined()) this.reclaim();
  }

  /** The roster changed: a soft-name host is whoever holds the name now. */
  handleParticipants(): void {
    if (this.tier === 'name') this.setHost(this.nameHost());
  }

  private nameHost(): string | null {
    if (this.tier !== 'name') return null;
    return this.port.participants().find((p) => p.name.normalize('NFC').trim().toLowerCase() === this.nameKey)?.id ?? null;
  }

  /** The coordinator's waiting list changed: report newcomers to it. */
  handleKnocks(knocks: { id: string; name: string }[]): void {
    for (const knock of knocks) if (!this.knownKnocks.has(knock.id)) this.emit('knock', { peerId: knock.id, name: knock.name });
    this.knownKnocks = new Set(knocks.map((k) => k.id));
  }
}
