// The host layer. Moderation belongs to the peer that proves the credential the room link
// committed, never to whoever coordinates. Every peer verifies every command itself, over
// its own direct link to the signer, so a coordinator can relay commands but not forge or
// redirect them.
import { KibitzError } from '../errors.js';
import {
  ReplayGuard,
  createHostCommand,
  normalizeFingerprint,
  signHostCommand,
  verifyHostCommand,
  type HostCommandRejection,
  type HostOp,
  type SignedHostCommand,
} from '../crypto/command.js';
import { decodeHostPublicKey, unsealHostKey } from '../crypto/host-key.js';
import { normalizeRoomName } from '../crypto/room-keys.js';
import type { Clock } from './clock.js';
import { Emitter } from './emitter.js';
import type { GateDecision, Participant, Room } from './room.js';
import type { RoomState } from './protocol.js';

export interface HostCredential {
  /** Committed P-256 public key (base64url); enables signed moderation. */
  hostKey?: string;
  /** The host's private key sealed under the host passphrase. */
  hostSeal?: string;
  /** Soft tier: whoever joins under this name is host (spoofable). Ignored when a key is committed. */
  hostName?: string;
}

export type HostTier = 'none' | 'key' | 'name';

/** How long a command waits for the verifier's own link to its signer to open. */
const LINK_WAIT_MS = 10_000;

export interface ModerationEvents {
  host: { id: string | null };
  kick: { peer: Participant | { id: string }; self: boolean };
  knock: { peer: { id: string; name: string } };
  lock: { locked: boolean };
  lobby: { on: boolean };
  rejected: { reason: HostCommandRejection | 'no-host' | 'unexpected'; from: string };
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
  private readonly publicKey: Uint8Array | null;
  private secretKey: Uint8Array | null = null;
  private readonly seen = new ReplayGuard();
  /** Signing is asynchronous: commands are signed one at a time, so peers get them in issue order. */
  private issuing: Promise<unknown> = Promise.resolve();
  /** Verifying is asynchronous: verdicts come back in the order the commands were checked. */
  private verifying: Promise<unknown> = Promise.resolve();
  private lastState: RoomState;
  private readonly nameKey: string;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly room: Room,
    private readonly credential: HostCredential,
    private readonly clock: Clock,
    /** This peer's own DTLS fingerprint (one certificate for every link), bound into its commands. */
    private readonly localFingerprint: string | null,
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
    this.lastState = { ...room.state };
    room.gate = (hello) => this.gate(hello);
    this.unsubscribe.push(
      room.on('host', ({ from, cmd }) => void this.onCommand(from, cmd)),
      room.on('roomstate', ({ state }) => this.onState(state)),
      room.on('join', ({ peer }) => this.onJoin(peer)),
      room.on('leave', ({ peer }) => {
        if (peer.id === this.room.hostId) this.setHost(null);
      }),
      room.on('coordinator', () => this.reprove()),
      room.on('participants', () => this.refreshNameHost()),
    );
  }

  get isHost(): boolean {
    return this.room.hostId !== null && this.room.hostId === this.room.selfId;
  }

  get holdsKey(): boolean {
    return this.secretKey !== null;
  }

  detach(): void {
    for (const off of this.unsubscribe) off();
    if (this.room.gate) this.room.gate = null;
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
    if (this.room.status === 'joined') await this.issue('claim', this.room.selfId);
  }

  /** The signed claim a host sends with its hello, so the gate lets it past lock and lobby. */
  async helloProof(): Promise<SignedHostCommand | null> {
    try {
      return await this.sign('claim', this.room.selfId);
    } catch {
      // Without a proof the host joins as a guest would; it re-proves once in.
      return null;
    }
  }

  /** Issue a moderation command as the host: signed, sent to every peer, applied here. */
  async command(op: Exclude<HostOp, 'claim'>, target = ''): Promise<void> {
    if (this.tier === 'none') throw new KibitzError('ERR_NO_HOST', 'this is an open room: it has no host');
    if (!this.isHost) throw new KibitzError('ERR_NOT_HOST', 'only the verified host can do that');
    if (this.room.status !== 'joined') throw new KibitzError('ERR_NOT_JOINED', 'join the room first');
    if (op === 'kick' && (!target || target === this.room.selfId)) {
      throw new KibitzError('ERR_UNKNOWN_PEER', 'kick needs another participant id');
    }
    if ((op === 'admit' || op === 'deny') && !this.room.state.knocks.some((k) => k.id === target)) {
      throw new KibitzError('ERR_UNKNOWN_PEER', `${target} is not waiting`);
    }
    if (op === 'kick' && !this.room.participants.some((p) => p.id === target)) {
      throw new KibitzError('ERR_UNKNOWN_PEER', `no participant ${target}`);
    }
    await this.issue(op, target);
  }

  private issue(op: HostOp, target: string): Promise<void> {
    if (this.tier === 'name') {
      const cmd: NamedCommand = { named: 1, room: normalizeRoomName(this.room.room), op, target };
      this.room.broadcastHostFrame(cmd);
      void this.apply(op, target, this.room.selfId);
      return Promise.resolve();
    }
    const run = this.issuing.then(async () => {
      const signed = await this.sign(op, target);
      if (!signed) throw new KibitzError('ERR_NOT_HOST', 'claim the host key first');
      this.seen.remember(signed.id, signed.iat);
      this.room.broadcastHostFrame(signed);
      void this.apply(op, target, this.room.selfId);
    });
    this.issuing = run.catch(() => undefined);
    return run;
  }

  /** Prove the claim again in the background; should signing fail, peers simply see no claim. */
  private reclaim(): void {
    this.issue('claim', this.room.selfId).catch(() => undefined);
  }

  private async sign(op: HostOp, target: string): Promise<SignedHostCommand | null> {
    if (!this.secretKey || !this.localFingerprint || !this.credential.hostKey) return null;
    const cmd = createHostCommand({ room: this.room.room, op, target, fp: this.localFingerprint, now: this.clock.now() });
    return signHostCommand(cmd, this.secretKey, this.credential.hostKey);
  }

  // ---- verifying --------------------------------------------------------------------------

  private reject(reason: ModerationEvents['rejected']['reason'], from: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    this.emit('rejected', { reason, from });
  }

  private async onCommand(from: string, cmd: unknown): Promise<void> {
    if (this.tier === 'none') return this.reject('no-host', from);
    if (this.tier === 'name') {
      const named = cmd as Partial<NamedCommand> | null;
      const valid = typeof named === 'object' && named !== null && named.named === 1 &&
        named.room === normalizeRoomName(this.room.room) && typeof named.op === 'string' && typeof named.target === 'string';
      if (!valid || from !== this.nameHost()) return this.reject('signature', from);
      return this.apply(named.op as HostOp, named.target as string, from);
    }
    // Bind to the live fingerprint of *our own* link to the claimed signer. A command can
    // outrun that link's handshake (a newcomer hears the host's claim via the coordinator),
    // so wait a little for a rostered signer's link to come up.
    const liveFingerprint = await this.liveFingerprint(from);
    const verdict = this.verifying.then(() =>
      verifyHostCommand(cmd, {
        hostKey: this.credential.hostKey!,
        room: this.room.room,
        liveFingerprint,
        now: this.clock.now(),
        seen: this.seen,
      }),
    );
    this.verifying = verdict;
    const result = await verdict;
    if (!result.ok) return this.reject(result.reason, from);
    const { op, target } = result.command;
    if (op === 'claim' && target !== from) return this.reject('unexpected', from);
    if (op !== 'claim' && from !== this.room.hostId) {
      // A valid signature from a peer we have not seen claim: it holds the key, so it is the host.
      this.setHost(from);
    }
    await this.apply(op, target, from);
  }

  private async liveFingerprint(peerId: string): Promise<string | null> {
    const deadline = this.clock.now() + LINK_WAIT_MS;
    for (;;) {
      const fingerprint = await this.room.fingerprintOf(peerId);
      if (fingerprint || this.clock.now() >= deadline || !this.room.participants.some((p) => p.id === peerId)) return fingerprint;
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 100));
    }
  }

  /** The coordinator's gate: bans, then a host's proof, then lock and lobby. */
  private async gate(hello: { id: string; name: string; fingerprint: string | null; proof: unknown }): Promise<GateDecision> {
    const { bans } = this.room.state;
    const fingerprint = hello.fingerprint ? normalizeFingerprint(hello.fingerprint) : '';
    if (bans.includes(hello.id) || (fingerprint && bans.includes(fingerprint))) return { admit: false, wait: false, reason: 'banned' };
    if (await this.isHostProof(hello)) return { admit: true };
    // Read after the proof check: lock and lobby may have changed while it ran.
    const { locked, lobby } = this.room.state;
    if (locked) return { admit: false, wait: false, reason: 'locked' };
    if (lobby) return { admit: false, wait: true };
    return { admit: true };
  }

  private async isHostProof(hello: { id: string; name: string; fingerprint: string | null; proof: unknown }): Promise<boolean> {
    if (this.tier === 'name') return hello.name.normalize('NFC').trim().toLowerCase() === this.nameKey;
    if (this.tier !== 'key' || hello.proof === undefined) return false;
    const result = await verifyHostCommand(hello.proof, {
      hostKey: this.credential.hostKey!,
      room: this.room.room,
      liveFingerprint: hello.fingerprint,
      now: this.clock.now(),
      seen: this.seen,
    });
    return result.ok && result.command.op === 'claim' && result.command.target === hello.id;
  }

  // ---- applying ---------------------------------------------------------------------------

  private async apply(op: HostOp, target: string, signer: string): Promise<void> {
    const room = this.room;
    switch (op) {
      case 'claim':
        this.setHost(signer);
        return;
      case 'lock':
      case 'unlock':
        room.updateState({ locked: op === 'lock' });
        return;
      case 'lobby-on':
      case 'lobby-off':
        room.updateState({ lobby: op === 'lobby-on' });
        return;
      case 'admit':
        if (room.isCoordinator) room.admitGuest(target);
        return;
      case 'deny':
        if (room.isCoordinator) room.refuseGuest(target, 'denied');
        return;
      case 'reset':
        room.updateState({ locked: false, lobby: false, bans: [] });
        return;
      case 'kick':
        return this.kick(target);
    }
  }

  private async kick(target: string): Promise<void> {
    const room = this.room;
    if (!target) return;
    if (target === room.selfId) {
      this.emit('kick', { peer: room.participants.find((p) => p.self) ?? { id: target }, self: true });
      room.endAs('kicked', 'the host removed you from the call');
      return;
    }
    const peer = room.participants.find((p) => p.id === target) ?? { id: target };
    // Ban the certificate as well as the id: a reload or a new tab brings the same certificate back.
    const fingerprint = await room.fingerprintOf(target);
    const bans = new Set(room.state.bans);
    bans.add(target);
    if (fingerprint) bans.add(normalizeFingerprint(fingerprint));
    room.updateState({ bans: [...bans] });
    room.expel(target, 'kicked');
    this.emit('kick', { peer, self: false });
  }

  private setHost(id: string | null): void {
    if (this.room.hostId === id) return;
    this.room.hostId = id;
    this.emit('host', { id });
  }

  // ---- following the room -----------------------------------------------------------------

  private onJoin(peer: Participant): void {
    // A newcomer has not seen our claim: prove it again (one signed frame per join).
    if (!peer.self && this.isHost && this.secretKey) this.reclaim();
    if (peer.self && this.secretKey) this.reclaim();
  }

  /** The host re-proves after a coordinator change, while it still holds the key. */
  private reprove(): void {
    if (this.secretKey && this.room.status === 'joined') this.reclaim();
  }

  private nameHost(): string | null {
    if (this.tier !== 'name') return null;
    return this.room.participants.find((p) => p.name.normalize('NFC').trim().toLowerCase() === this.nameKey)?.id ?? null;
  }

  private refreshNameHost(): void {
    if (this.tier === 'name') this.setHost(this.nameHost());
  }

  private onState(state: RoomState): void {
    const before = this.lastState;
    this.lastState = { ...state };
    if (before.locked !== state.locked) this.emit('lock', { locked: state.locked });
    if (before.lobby !== state.lobby) this.emit('lobby', { on: state.lobby });
    for (const knock of state.knocks) {
      if (!before.knocks.some((k) => k.id === knock.id)) this.emit('knock', { peer: { ...knock } });
    }
  }
}
