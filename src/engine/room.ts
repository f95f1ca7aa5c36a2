// The room: the front of the engine. It owns the lifecycle (state machine, generation guard,
// enter/rejoin/teardown/fail), wires the parts together and turns what they report into
// RoomEvents. The parts: entry (getting in through the broker), coordinator (only while this
// peer coordinates), roster (pure: members, acceptance rule, election), mesh (one link per
// member), moderation (the host layer) and the flood budget. No DOM and no lit.
import { KibitzError, toKibitzError, type KibitzErrorCode } from '../errors.js';
import { randomBytes, toHex } from '../crypto/bytes.js';
import { randomRoomName } from '../crypto/room-keys.js';
import { isGateReason } from '../crypto/gate.js';
import { inviteLink } from '../crypto/room-link.js';
import type { SignalingTransport } from '../signaling/transport.js';
import { systemClock, type Clock } from './clock.js';
import type { Content } from './content.js';
import type { Coordinator } from './coordinator.js';
import { Emitter } from './emitter.js';
import type { Entry, Slot } from './entry.js';
import type { Gatekeeper } from './gatekeeper.js';
import { ACT, PERCEIVE, SLOT_ACT, SLOT_PERCEIVE, type Grant, type Grants } from './grants.js';
import { readGrant } from '../crypto/room-state.js';
import { normalizeFingerprint } from '../crypto/command.js';
import { MEDIA_SLOTS, type Link, type LinkFactory, type LinkOptions, type LocalTracks, type MediaSlot } from './link.js';
import { KICK_LINGER_MS, type Membership } from './membership.js';
import type { Mesh } from './mesh.js';
import type { HostTier, Moderation, ModerationOp } from './moderation.js';
import { assemble } from './parts.js';
import { describe, type Participant } from './participant.js';
import {
  MAX_NAME_LENGTH,
  cleanName,
  PROTOCOL_VERSION,
  encodeControl,
  type AuditedAct,
  type Departure,
  type MediaFlags,
  type PeerKind,
  type RoomControl,
  type RosterEntry,
  type SignalData,
} from './protocol.js';
import { DEFAULT_TIMING, type RoomEvents, type RoomInspection, type RoomOptions, type RoomState, type RoomTiming } from './room-types.js';
import type { Roster } from './roster.js';
import type { Safety } from './safety.js';
import type { Payload, TransferOptions } from './transfer.js';

export type { RoomEvents, RoomInspection, RoomOptions, RoomState, RoomTiming } from './room-types.js';
export { DEFAULT_TIMING } from './room-types.js';
export type { Participant } from './participant.js';
export type { GateDecision, GateRequest } from './coordinator.js';
export type { GateCredential, GateReport, Identity } from './gatekeeper.js';
export { AGENT_GRANT, PERSON_GRANT, defaultGrant, type Act, type Grant, type Perceive } from './grants.js';
export type { HostCredential, HostTier, ModerationOp, ReplayStore } from './moderation.js';
export { MemoryPinStore, type Pin, type PinStore, type SafetyAlarm, type Trust } from './safety.js';
export { FLOOD_BUDGET, type FloodLimits } from './flood-budget.js';
export { SLOT_COUNT } from './entry.js';
export {
  DEFAULT_FILE_LIMITS,
  type AcceptFiles,
  type FileLimits,
  type FileOffer,
  type IncomingFile,
  type OfferOutcome,
} from './transfer.js';

/** A receiver reports a peer's ungranted sends of one kind to the host at most this often. */
const AUDIT_EVERY_MS = 5000;

const newPeerId = (random: (length: number) => Uint8Array) => 'p' + toHex(random(8));

export class Room extends Emitter<RoomEvents> {
  readonly room: string;
  readonly selfId: string;
  name: string;
  readonly kind: PeerKind;
  state: RoomState = 'idle';
  /** Frames dropped by validation, by reason; rogue or broken peers show up here. */
  readonly dropped = { malformed: 0, unauthorised: 0, flooded: 0 };

  private readonly transport: SignalingTransport;
  private readonly makeLink: LinkFactory;
  private readonly clock: Clock;
  private readonly timing: RoomTiming;
  private readonly wantsMedia: boolean;
  private tracks: LocalTracks;
  private media: MediaFlags;
  private readonly roster: Roster;
  private readonly mesh: Mesh;
  private readonly entry: Entry;
  private readonly moderation: Moderation;
  private readonly membership: Membership;
  private readonly safety: Safety;
  /** Exists only while this peer coordinates. */
  private coordinator: Coordinator | null = null;
  private generation = 0;
  private tickTimer: unknown = null;
  private lastTick = 0;
  private pingCount = 0;
  private joinWaiters: { resolve: () => void; reject: (err: KibitzError) => void }[] = [];
  private readonly content: Content;
  private readonly gatekeeper: Gatekeeper;
  private readonly gateText: string;
  private readonly grants: Grants;
  /** When each (peer, act) drop was last reported to the host: at most one report per AUDIT_EVERY_MS. */
  private readonly audits = new Map<string, number>();
  private readonly linkTracks = new WeakMap<Link, [MediaSlot, MediaStreamTrack][]>();
  /** The slots of each link whose media this peer shows (reported with `track`). */
  private readonly shownTracks = new WeakMap<Link, Set<MediaSlot>>();
  private readonly makeCoordinator: () => Coordinator;

  constructor(options: RoomOptions) {
    super();
    const random = options.random ?? randomBytes;
    this.room = options.room?.trim() ? options.room : randomRoomName(random);
    this.name = cleanName(options.name ?? '');
    this.kind = options.kind ?? 'person';
    this.selfId = options.selfId ?? newPeerId(random);
    this.transport = options.transport;
    this.makeLink = options.links;
    this.clock = options.clock ?? systemClock;
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.tracks = { ...options.tracks };
    this.wantsMedia = options.media ?? Boolean(this.tracks.audio || this.tracks.video);
    this.media = { audio: Boolean(this.tracks.audio), video: Boolean(this.tracks.video), screen: false };
    const parts = assemble(
      {
        selfId: this.selfId,
        room: this.room,
        clock: this.clock,
        timing: this.timing,
        transport: this.transport,
        dropped: this.dropped,
        state: () => this.state,
        coordinating: () => this.isCoordinator,
        coordinator: () => (this.isCoordinator ? this.coordinator : null),
        generation: () => this.generation,
        participants: () => this.participants,
        tracks: () => this.tracks,
        tracksFor: (peerId) => this.tracksFor(peerId),
        spawnLink: (init, own) => this.spawnLink(init, own),
        sendHello: (link) => this.sendHello(link),
        onLinkClosed: (link, reason) => this.onLinkClosed(link, reason),
        becomeCoordinator: (slot, fresh, gone) => this.becomeCoordinator(slot, fresh, gone),
        restart: (slot) => this.restart(slot),
        rejoin: () => this.rejoin(),
        end: (state, reason) => this.end(state, reason),
        setState: (state) => this.setState(state),
        resolveJoin: () => this.resolveJoin(),
        targets: (to) => this.targets(to),
        describe: (entry) => this.describe(entry),
        emit: (type, detail) => this.emit(type, detail),
        emitJoin: (peer) => this.emitJoin(peer),
        emitCoordinator: (peerId) => this.emitCoordinator(peerId),
        emitControl: () => this.emitControl(),
        emitParticipants: () => this.emitParticipants(),
        broadcastHostFrame: (cmd) => this.broadcastHostFrame(cmd),
        fingerprintOf: (peerId) => this.fingerprintOf(peerId),
        kind: () => this.kind,
        regrant: () => this.regrant(),
        showTracks: (peerId, link) => this.showTracks(peerId, link),
        unshow: (link) => void this.shownTracks.delete(link),
        blocked: (peerId, act) => this.blocked(peerId, act),
        audited: (reporter, peer, act) => this.audited(reporter, peer, act),
      },
      options,
      random,
    );
    ({ roster: this.roster, mesh: this.mesh, entry: this.entry, moderation: this.moderation } = parts);
    ({
      content: this.content,
      safety: this.safety,
      membership: this.membership,
      gatekeeper: this.gatekeeper,
      gateText: this.gateText,
      grants: this.grants,
    } = parts);
    // An invite says what its holder is; only without one does the declared kind hold.
    this.kind = parts.invitedAs ?? this.kind;
    this.makeCoordinator = parts.makeCoordinator;
    // Whoever reports a departure, the verified host's ends its verification here (`host` with null).
    this.on('leave', ({ peer }) => this.moderation.handleLeave(peer));
  }

  // ---- public surface ---------------------------------------------------------------------

  get isCoordinator(): boolean {
    return this.roster.isCoordinator && this.state === 'joined';
  }

  get coordinatorId(): string | null {
    return this.roster.coordinatorId;
  }

  /** Lock, lobby and bans as the host's verified record says; knocks as the coordinator reports them. */
  get control(): RoomControl {
    return { ...this.moderation.control, knocks: this.roster.shared.knocks.map((k) => ({ ...k })) };
  }

  /** The broker id prefix this room uses (opaque hash of the room name). */
  get signalingId(): string | null {
    return this.entry.signalingId;
  }

  /** The coordinator slot this peer holds at the broker (null unless coordinating with a slot). */
  get slotIndex(): number | null {
    return this.entry.slotIndex;
  }

  get participants(): Participant[] {
    return this.roster.sorted().map((e) => this.describe(e));
  }

  get knocks(): { id: string; name: string }[] {
    return this.roster.shared.knocks.map((k) => ({ ...k }));
  }

  /** The verified host's id (never taken from the coordinator's word), or null. */
  get hostId(): string | null {
    return this.moderation.hostId;
  }

  get isHost(): boolean {
    return this.moderation.isHost;
  }

  get hostTier(): HostTier {
    return this.moderation.tier;
  }

  /** Host commands this peer refused, by reason. */
  get rejectedCommands(): Readonly<Record<string, number>> {
    return this.moderation.rejected;
  }

  /** The link to one member: its `sendControl` puts raw frames on the wire, its stats are live. */
  link(peerId: string): Link | null {
    return this.mesh.link(peerId);
  }

  inspect(): RoomInspection {
    const mesh = this.mesh.counts();
    return {
      members: this.roster.size,
      guests: this.coordinator?.guestCount ?? 0,
      links: mesh.links,
      unsent: mesh.unsent,
      cutOff: mesh.cutOff,
      fingerprints: mesh.fingerprints,
      oldSlots: this.entry.oldSlotCount(),
      transfers: this.content.pending,
      transferBytes: this.content.bufferedBytes,
      listeners: this.listenerCount(),
    };
  }

  /** Join the room; resolves once this peer is in the roster. */
  join(): Promise<void> {
    if (this.state === 'joined') return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => this.joinWaiters.push({ resolve, reject }));
    if (['idle', 'left', 'failed', 'refused', 'kicked'].includes(this.state)) {
      // A kicked peer may still be lingering on its old links: those go first.
      if (this.state === 'kicked') this.teardown(false);
      this.generation++;
      this.setState('connecting');
      void this.enter(this.generation);
    }
    return promise;
  }

  /** Leave at once, telling everyone (also used on pagehide). */
  leave(): void {
    if (this.state === 'idle' || this.state === 'left') return;
    // A kicked peer says no goodbye: the others already know why it is gone.
    this.teardown(this.state !== 'kicked');
    this.setState('left');
    this.rejectJoin(new KibitzError('ERR_LEFT', 'left before joining'));
  }

  /** Send to every other participant, or to one. Not echoed to the sender. */
  send(data: unknown, to?: string): void {
    this.content.send(data, to);
  }

  /**
   * Send a large binary payload (Blob, ArrayBuffer, typed array) to everyone or one peer, in
   * chunks under backpressure. Resolves with the transfer id once every byte is handed over.
   */
  sendFile(payload: Payload, to?: string, options: TransferOptions = {}): Promise<string> {
    return this.content.sendFile(payload, to, options);
  }

  async setTrack(slot: MediaSlot, track: MediaStreamTrack | null): Promise<void> {
    this.tracks[slot] = track;
    await Promise.all(this.mesh.entries().map(([peerId, link]) => link.setTrack(slot, this.tracksFor(peerId)[slot] ?? null)));
  }

  /**
   * The tracks a link to `peerId` may carry now: none while verified-only holds it, and only
   * the media its grant lets it perceive (the sender withholds the rest, on that link alone).
   */
  private tracksFor(peerId: string): LocalTracks {
    if (!this.gatekeeper.isClear(peerId)) return {};
    const out: LocalTracks = {};
    for (const slot of MEDIA_SLOTS) if (this.grants.perceives(peerId, SLOT_PERCEIVE[slot])) out[slot] = this.tracks[slot];
    return out;
  }

  /** Update this peer's advertised media state (shown on every roster). */
  setMediaFlags(flags: Partial<MediaFlags>): void {
    this.media = { ...this.media, ...flags };
    const self = this.roster.get(this.selfId);
    if (!self) return;
    Object.assign(self, this.media);
    if (this.isCoordinator) this.coordinator!.broadcastRoster([]);
    else this.membership.toCoordinator({ t: 'media', media: this.media });
    this.emitParticipants();
  }

  /** Change this peer's display name; in a call the new name reaches everyone. */
  setName(name: string): void {
    if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) {
      throw new KibitzError('ERR_BAD_ATTRIBUTE', `name: at most ${MAX_NAME_LENGTH} characters`);
    }
    name = cleanName(name);
    this.name = name;
    const self = this.roster.get(this.selfId);
    if (!self || self.name === name || this.state !== 'joined') return;
    self.name = name;
    if (this.isCoordinator) this.coordinator!.broadcastRoster([]);
    else this.membership.toCoordinator({ t: 'name', name });
    this.emitParticipants();
  }

  async getStats(peerId: string): Promise<RTCStatsReport | null> {
    return (await this.mesh.link(peerId)?.getStats()) ?? null;
  }

  /** The live fingerprint of the link to `peerId`, as this peer sees it. */
  async fingerprintOf(peerId: string): Promise<string | null> {
    return (await this.mesh.link(peerId)?.fingerprint()) ?? null;
  }

  /** This peer's own DTLS fingerprint (its certificate's), what others see on their links to it; null without one. */
  get selfFingerprint(): string | null {
    return this.safety.selfFingerprint;
  }

  /**
   * Say whether the safety code of the pair with `peerId` matched when the two people compared
   * it. A match pins that peer's device (with its name) in the pin store: `verified`, here and
   * after a reload. No match raises the `mismatch` alarm and unpins it. Throws ERR_UNKNOWN_PEER,
   * or ERR_NO_SAFETY_CODE before the pair's code is ready.
   */
  confirmSafetyCode(peerId: string, matches: boolean): Promise<void> {
    return this.safety.confirm(peerId, matches);
  }

  /** Unseal the committed host key with the passphrase and prove it to the room. */
  claimHost(passphrase: string): Promise<void> {
    return this.moderation.claimHost(passphrase);
  }

  /**
   * A personal invite link for `name`, signed with the host key (this peer must hold it: the
   * host of a room whose gate is `invite`). `base` is the page the link opens (default: this
   * page); `expiresIn` milliseconds, default a week.
   */
  createInvite(name: string, options: { expiresIn?: number; base?: string; kind?: 'person' | 'agent' } = {}): Promise<string> {
    if (this.gatekeeper.method !== 'invite') return Promise.reject(new KibitzError('ERR_BAD_GATE', "this room's gate is not invite"));
    const base = options.base ?? (typeof location === 'undefined' ? '' : location.href);
    return this.moderation.withHostKey((secretKey, hostKey) =>
      inviteLink(base, { room: this.room, 'host-key': hostKey, gate: this.gateText }, secretKey, {
        name,
        expiresIn: options.expiresIn,
        kind: options.kind,
        now: this.clock.now(),
      }),
    );
  }

  /** Issue a signed moderation command as the verified host. */
  moderate(op: ModerationOp, target = ''): Promise<void> {
    return this.moderation.command(op, target);
  }

  /**
   * As the host, set what `peerId`'s device may perceive and do. The grant goes into the
   * signed room-state record under the device's certificate fingerprint, so every peer
   * enforces it, a reload keeps it, and it outlives the host. Throws ERR_BAD_GRANT,
   * ERR_UNKNOWN_PEER (no such participant, or its link is not up yet), ERR_NOT_HOST.
   */
  async setGrant(peerId: string, grant: Grant): Promise<void> {
    const checked = readGrant(grant);
    if (!checked) throw new KibitzError('ERR_BAD_GRANT', `a grant is { perceive: [${PERCEIVE}], act: [${ACT}] } (subsets)`);
    await this.moderation.grant(this.deviceOf(peerId), checked);
  }

  /** As the host, put `peerId`'s device back on its kind's default grant. */
  async resetGrant(peerId: string): Promise<void> {
    await this.moderation.grant(this.deviceOf(peerId), null);
  }

  /** What `peerId` may perceive and do, as this peer enforces it. */
  grantOf(peerId: string): Grant {
    return this.grants.of(peerId);
  }

  private deviceOf(peerId: string): string {
    if (!this.roster.has(peerId)) throw new KibitzError('ERR_UNKNOWN_PEER', `no participant ${String(peerId)}`);
    const fp = normalizeFingerprint((peerId === this.selfId ? this.safety.selfFingerprint : this.mesh.fingerprintOf(peerId)) ?? '');
    if (!fp) throw new KibitzError('ERR_UNKNOWN_PEER', `${peerId} is not connected yet: its device is not known`);
    return fp;
  }

  private targets(to?: string): string[] {
    if (this.state !== 'joined') throw new KibitzError('ERR_NOT_JOINED', 'join the room before sending');
    // Under verified-only, nothing goes to a peer this peer has not verified; broadcasts only
    // to those granted the chat, a direct send only to one granted messages to it.
    if (to === undefined)
      return this.roster
        .others()
        .map((e) => e.id)
        .filter((id) => this.gatekeeper.isClear(id) && this.grants.perceives(id, 'chat'));
    if (to === this.selfId || !this.roster.has(to)) throw new KibitzError('ERR_UNKNOWN_PEER', `no participant ${String(to)}`);
    if (!this.gatekeeper.isClear(to)) throw new KibitzError('ERR_SEND', `${to} is not verified yet (verified-only)`);
    if (!this.grants.perceives(to, 'direct')) throw new KibitzError('ERR_SEND', `${to} is not granted direct messages`);
    return [to];
  }

  // ---- wiring -----------------------------------------------------------------------------

  /** A link whose frames, tracks and faults flow into this room; the caller picks its signaling path. */
  private spawnLink(
    init: Pick<LinkOptions, 'remoteId' | 'dialer' | 'polite' | 'tracks'>,
    own: { signal(link: Link, data: SignalData): void; open(link: Link): void; close?(link: Link, reason: 'closed' | 'failed'): void },
  ): Link {
    const link: Link = this.makeLink({
      ...init,
      media: this.wantsMedia,
      handlers: {
        signal: (data) => own.signal(link, data),
        open: () => own.open(link),
        close: (reason) => (own.close ? own.close(link, reason) : this.onLinkClosed(link, reason)),
        control: (raw) => this.membership.onControl(link, raw),
        content: (raw) => this.onContent(link, raw),
        track: (slot, track) => this.onTrack(link, slot, track),
        state: (state) => this.emit('connection', { peerId: link.remoteId, state }),
        fault: (code, message) => this.onLinkFault(link, code, message),
      },
    });
    return link;
  }

  private async sendHello(link: Link): Promise<void> {
    const [proof, own] = await Promise.all([this.moderation.helloProof(), this.gatekeeper.prepare()]);
    const cred = 'cred' in own ? own.cred : null;
    link.sendControl(
      encodeControl({
        t: 'hello',
        v: PROTOCOL_VERSION,
        id: this.selfId,
        name: this.name,
        kind: this.kind,
        media: this.media,
        ...(proof !== null && { proof }),
        ...(cred !== null && { cred }),
      }),
    );
  }

  private becomeCoordinator(slot: Slot | null, fresh: boolean, gone: Departure[] = []): void {
    this.roster.takeOver();
    if (fresh) this.roster.found({ id: this.selfId, name: this.name, kind: this.kind, ...this.media });
    // Replicate the record this peer verified, never one a former coordinator merely sent.
    this.roster.shared = { ...this.roster.shared, record: this.moderation.record };
    const now = this.clock.now();
    for (const entry of this.roster.others()) this.mesh.touch(entry.id, now);
    this.coordinator = this.makeCoordinator();
    if (slot) this.entry.hold(slot, fresh);
    else void this.entry.claim();
    this.setState('joined');
    this.coordinator.broadcastRoster(gone);
    this.emitCoordinator(this.selfId);
    if (fresh) this.emitJoin(this.describe(this.roster.get(this.selfId)!));
    this.emitParticipants();
    this.resolveJoin();
  }

  /** Send a host frame: the coordinator relays it to everyone; a coordinator sends it to all. */
  private broadcastHostFrame(cmd: unknown): void {
    if (this.isCoordinator) this.coordinator!.fanOut({ t: 'host', from: this.selfId, cmd }, this.selfId);
    else this.membership.toCoordinator({ t: 'host', cmd });
  }

  // ---- inbound frames ---------------------------------------------------------------------

  private onContent(link: Link, raw: unknown): void {
    const member = this.mesh.memberOf(link);
    if (!member || this.state !== 'joined' || !this.gatekeeper.isClear(member)) {
      this.dropped.unauthorised++;
      return;
    }
    this.content.receive(member, raw);
  }

  private onTrack(link: Link, slot: MediaSlot, track: MediaStreamTrack): void {
    const seen = this.linkTracks.get(link) ?? [];
    seen.push([slot, track]);
    this.linkTracks.set(link, seen);
    // Under verified-only a track is held until its sender is verified here (see cleared), and
    // media its sender has no grant to send is not shown (see regrant). A sender not rostered
    // yet (the coordinator's guest) is judged once it is.
    const sender = this.mesh.memberOf(link);
    if (!sender) {
      if (!this.gatekeeper.isClear(link.remoteId)) return;
      this.shownOn(link).add(slot);
      this.emit('track', { peerId: link.remoteId, slot, track });
      return;
    }
    // A new track in a slot already shown is shown anew.
    this.shownOn(link).delete(slot);
    this.showTracks(sender, link);
  }

  // ---- departures -------------------------------------------------------------------------

  private onLinkClosed(link: Link, reason: 'closed' | 'failed' = 'closed'): void {
    // A kicked peer's lingering links closing change nothing: its membership is over.
    if (this.state === 'kicked') return;
    if (this.coordinator?.dropGuestOn(link)) return;
    if (this.entry.dialling(link)) return;
    // The coordinator we waited with went away: knock again.
    if (this.entry.lobbyClosed(link)) return void this.rejoin();
    const member = this.mesh.memberOf(link);
    // A closed connection is a departure; only a failed transport counts as lost.
    if (member) this.membership.lose(member, reason === 'closed' ? 'left' : 'timeout');
  }

  /**
   * A link cannot work as configured (relay-only without a reachable TURN server). Joining
   * fails at once with that error, since every other link would fail the same way; in a call
   * the error is reported and the link closes like a failed one.
   */
  private onLinkFault(link: Link, code: KibitzErrorCode, message: string): void {
    if (this.entry.abandon(link)) return this.fail(new KibitzError(code, message));
    this.emit('error', { code, message });
  }

  // ---- presence ---------------------------------------------------------------------------

  private startTicking(): void {
    this.clock.clearTimeout(this.tickTimer);
    this.lastTick = this.clock.now();
    const tick = () => {
      const now = this.clock.now();
      const gap = now - this.lastTick;
      this.lastTick = now;
      this.tickTimer = this.clock.setTimeout(tick, this.timing.pingMs);
      // Our own timers stalled (a frozen or suspended page): the room has moved on without us.
      if (gap > this.timing.reapMs && this.state === 'joined') return void this.rejoin();
      this.presence(now);
    };
    this.tickTimer = this.clock.setTimeout(tick, this.timing.pingMs);
  }

  private presence(now: number): void {
    if (this.state !== 'joined') return;
    if (this.isCoordinator) {
      this.coordinator!.tick(now, encodeControl({ t: 'ping', n: ++this.pingCount }));
      this.entry.tend(this.pingCount);
      return;
    }
    this.membership.watchCoordinator(now);
  }

  // ---- lifecycle --------------------------------------------------------------------------

  private async enter(generation: number, preferSlot = 0): Promise<void> {
    try {
      const method = this.gatekeeper.method;
      if (method) {
        this.emit('gate', { state: 'checking', method });
        // A credential known to be wrong here (a code that does not open the link's commitment,
        // an invite for another room) never reaches the door.
        const own = await this.gatekeeper.prepare();
        if (generation !== this.generation) return;
        if ('reason' in own) return this.end('refused', own.reason);
      }
      this.startTicking();
      await this.entry.enter(generation, preferSlot);
    } catch (err) {
      if (generation === this.generation) this.fail(toKibitzError(err, 'ERR_SIGNALING'));
    }
  }

  /** Another coordinator already serves this room: give up ours and join theirs. */
  private restart(slot: number): void {
    this.teardown(false);
    this.generation++;
    this.setState('connecting');
    void this.enter(this.generation, slot);
  }

  private async rejoin(): Promise<void> {
    if (this.state === 'left' || this.state === 'kicked' || this.state === 'refused') return;
    const departed = this.participants.filter((p) => !p.self);
    this.teardown(false);
    for (const peer of departed) this.emit('leave', { peer, reason: 'timeout' });
    this.generation++;
    this.setState('connecting');
    await this.enter(this.generation);
  }

  private teardown(sayBye: boolean): void {
    this.generation++;
    this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.entry.close();
    this.mesh.clear(sayBye ? encodeControl({ t: 'bye' }) : undefined);
    this.coordinator?.close();
    this.coordinator = null;
    this.content.clear();
    this.roster.clear();
    this.grants.clear();
    this.audits.clear();
    this.emitParticipants();
  }

  private fail(err: KibitzError): void {
    this.teardown(false);
    this.setState('failed');
    this.emit('error', { code: err.code, message: err.message });
    this.rejectJoin(err);
  }

  /** This peer's membership ends: refused at the door, or kicked by a verified command. */
  private end(state: 'kicked' | 'refused', reason: string): void {
    if (state === 'kicked' && this.state === 'joined') {
      // Verified our own kick: stop sending and go quiet, but keep the links a moment so each
      // peer hears the kick from the host before our links drop (else it sees us just leave).
      this.clock.clearTimeout(this.tickTimer);
      this.tickTimer = null;
      for (const [, link] of this.mesh.entries()) for (const slot of MEDIA_SLOTS) void link.setTrack(slot, null);
      const generation = this.generation;
      this.clock.setTimeout(() => {
        if (this.generation === generation) this.teardown(false);
      }, KICK_LINGER_MS);
    } else {
      this.teardown(false);
    }
    this.setState(state);
    if (state === 'refused') {
      const method = this.gatekeeper.method;
      if (method && isGateReason(reason)) this.emit('gate', { state: 'refused', method, reason });
      this.emit('refused', { reason });
    }
    this.rejectJoin(
      new KibitzError(
        state === 'kicked' ? 'ERR_KICKED' : 'ERR_REFUSED',
        state === 'kicked' ? reason : `the room refused to admit this peer: ${reason}`,
      ),
    );
  }

  private setState(state: RoomState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', { state });
    const method = this.gatekeeper.method;
    if (state === 'joined' && method) this.emit('gate', { state: 'admitted', method });
  }

  private resolveJoin(): void {
    const waiters = this.joinWaiters;
    this.joinWaiters = [];
    for (const w of waiters) w.resolve();
  }

  private rejectJoin(err: KibitzError): void {
    const waiters = this.joinWaiters;
    this.joinWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  // ---- reporting --------------------------------------------------------------------------

  private describe(entry: RosterEntry): Participant {
    return describe(entry, {
      selfId: this.selfId,
      coordinatorId: this.roster.coordinatorId,
      hostId: this.moderation.hostId,
      fingerprint: this.mesh.fingerprintOf(entry.id),
      safetyCode: this.safety.codeOf(entry.id),
      trust: this.safety.trustOf(entry.id),
      identity: this.gatekeeper.identityOf(entry.id),
      kind: this.grants.kindOf(entry.id) ?? entry.kind,
      grant: this.grants.of(entry.id),
    });
  }

  // ---- grants -----------------------------------------------------------------------------

  /**
   * Work every grant out again (a record, a fingerprint, a credential or the roster changed)
   * and apply what changed: the media this peer sends on that link, the media it shows from
   * that peer, the names the coordinator sends it; and say so (`grant`).
   */
  private regrant(): void {
    const changes = this.grants.refresh(this.roster.sorted().map((e) => e.id));
    let names = false;
    for (const { peerId, grant, before } of changes) {
      const entry = this.roster.get(peerId);
      if (!entry) continue;
      const link = peerId === this.selfId ? null : this.mesh.link(peerId);
      if (link) {
        const tracks = this.tracksFor(peerId);
        for (const slot of MEDIA_SLOTS) void link.setTrack(slot, tracks[slot] ?? null);
        this.showTracks(peerId, link);
      }
      if (!before) continue;
      names ||= before.perceive.includes('roster') !== grant.perceive.includes('roster');
      this.emit('grant', { peer: this.describe(entry), grant });
    }
    if (names && this.isCoordinator) this.coordinator!.broadcastRoster([]);
  }

  private shownOn(link: Link): Set<MediaSlot> {
    let shown = this.shownTracks.get(link);
    if (!shown) this.shownTracks.set(link, (shown = new Set()));
    return shown;
  }

  /**
   * Show what `peerId` sends on `link` that this peer may show now (verified-only, and its
   * grant to send it), and stop showing what it may no longer.
   */
  private showTracks(peerId: string, link: Link): void {
    const shown = this.shownOn(link);
    // The latest track of each slot (a renegotiation can bring a newer one).
    const latest = new Map(this.linkTracks.get(link) ?? []);
    for (const [slot, track] of latest) {
      const show = this.gatekeeper.isClear(peerId) && this.grants.acts(peerId, SLOT_ACT[slot]);
      if (show) {
        if (!shown.has(slot)) this.emit('track', { peerId, slot, track });
        shown.add(slot);
      } else if (shown.delete(slot)) {
        this.emit('untrack', { peerId, slot });
      }
    }
  }

  /** This peer dropped what `peerId` had no grant to send: tell the host (at most once per AUDIT_EVERY_MS per kind). */
  private blocked(peerId: string, act: AuditedAct): void {
    this.dropped.unauthorised++;
    const key = `${peerId} ${act}`;
    const now = this.clock.now();
    if (now - (this.audits.get(key) ?? -Infinity) < AUDIT_EVERY_MS) return;
    this.audits.set(key, now);
    if (this.isHost) return this.audited(this.selfId, peerId, act);
    const host = this.moderation.hostId;
    if (host && host !== peerId) this.mesh.sendControl(host, encodeControl({ t: 'audit', peer: peerId, blocked: act }));
  }

  /** A member (or this host itself) dropped something `peer` sent without the grant. */
  private audited(reporter: string, peer: string, act: AuditedAct): void {
    const entry = this.roster.get(peer);
    if (!this.isHost || !entry || !this.roster.has(reporter)) return;
    this.emit('audit', { peer: this.describe(entry), blocked: act, reporter });
  }

  private emitJoin(peer: Participant): void {
    this.emit('join', { peer });
    this.moderation.handleJoin(peer);
  }

  private emitCoordinator(peerId: string): void {
    this.emit('coordinator', { peerId });
    this.moderation.handleCoordinator();
  }

  private emitControl(): void {
    this.emit('control', { control: this.control });
    this.moderation.handleKnocks(this.roster.shared.knocks);
  }

  private emitParticipants(): void {
    this.mesh.learnFingerprints(() => {
      this.moderation.handleLinks();
      this.regrant();
      this.emit('participants', { participants: this.participants });
    });
    this.moderation.handleParticipants();
    // A link opening comes here too (see parts.ts): a host claim held for it is judged now.
    this.moderation.handleLinks();
    const ids = this.roster.sorted().map((e) => e.id);
    this.safety.sync(ids);
    this.gatekeeper.sync(ids);
    this.regrant();
    this.emit('participants', { participants: this.participants });
  }
}
