// The room: the front of the engine. It owns the lifecycle (state machine, generation guard,
// enter/rejoin/teardown/fail), wires the parts together and turns what they report into
// RoomEvents. The parts: entry (getting in through the broker), coordinator (only while this
// peer coordinates), roster (pure: members, acceptance rule, election), mesh (one link per
// member), moderation (the host layer) and the flood budget. No DOM and no lit.
import { KibitzError, toKibitzError, type KibitzErrorCode } from '../errors.js';
import { randomBytes, toHex } from '../crypto/bytes.js';
import { randomRoomName } from '../crypto/room-keys.js';
import type { SignalingTransport } from '../signaling/transport.js';
import { systemClock, type Clock } from './clock.js';
import { Coordinator, type GateDecision, type GateRequest } from './coordinator.js';
import { Emitter } from './emitter.js';
import { Entry, type Slot } from './entry.js';
import { FLOOD_BUDGET, FloodBudget, frameSize, type FloodLimits } from './flood-budget.js';
import { MEDIA_SLOTS, type Link, type LinkFactory, type LinkOptions, type LocalTracks, type MediaSlot } from './link.js';
import { Mesh } from './mesh.js';
import { Moderation, type HostCredential, type HostTier, type ModerationEvents, type ModerationOp } from './moderation.js';
import { describe, type Participant } from './participant.js';
import {
  MAX_CONTENT_DEPTH,
  MAX_CONTENT_FRAME,
  MAX_NAME_LENGTH,
  PROTOCOL_VERSION,
  decodeContent,
  decodeControl,
  encodeContentBinary,
  encodeContentJson,
  encodeControl,
  nestsWithin,
  type ControlFrame,
  type Departure,
  type LeaveReason,
  type MediaFlags,
  type PeerKind,
  type RoomControl,
  type RosterEntry,
  type SignalData,
} from './protocol.js';
import { Roster, type RosterFrame } from './roster.js';
import { Inbound, newTransferId, sendTransfer, type IncomingFile, type Payload, type TransferOptions } from './transfer.js';

export type { Participant } from './participant.js';
export type { GateDecision, GateRequest } from './coordinator.js';
export type { HostCredential, HostTier, ModerationOp } from './moderation.js';
export { FLOOD_BUDGET, type FloodLimits } from './flood-budget.js';
export { SLOT_COUNT } from './entry.js';

/** The connection state of this peer. */
export type RoomState = 'idle' | 'connecting' | 'joined' | 'waiting' | 'refused' | 'kicked' | 'left' | 'failed';

export interface RoomEvents {
  state: { state: RoomState };
  join: { peer: Participant };
  leave: { peer: Participant; reason: LeaveReason };
  /** Data from `peerId`; `to` is this peer's id for a directed message, null for a broadcast. */
  message: { peerId: string; data: unknown; to: string | null };
  coordinator: { peerId: string };
  error: { code: KibitzErrorCode; message: string };
  track: { peerId: string; slot: MediaSlot; track: MediaStreamTrack };
  participants: { participants: Participant[] };
  connection: { peerId: string; state: 'connected' | 'reconnecting' };
  refused: { reason: string };
  file: IncomingFile;
  progress: { id: string; peerId: string | null; direction: 'in' | 'out'; bytes: number; total: number };
  /** The replicated room control state changed (lock, lobby, bans, knocks). */
  control: { control: RoomControl };
  host: ModerationEvents['host'];
  kick: ModerationEvents['kick'];
  knock: ModerationEvents['knock'];
  lock: ModerationEvents['lock'];
  lobby: ModerationEvents['lobby'];
  /** A host command this peer refused (forged, replayed, stale, wrongly bound, or no host). */
  rejected: ModerationEvents['rejected'];
}

export interface RoomTiming {
  /** Coordinator → participant heartbeat interval. */
  pingMs: number;
  /** Silence after which a peer (or the coordinator) is considered gone. */
  reapMs: number;
  /** How long a joiner waits for a coordinator slot to answer before trying the next. */
  answerMs: number;
  /** How long a link may take to open before it is abandoned and redialled. */
  linkOpenMs: number;
  /** Overall deadline for join(). */
  joinMs: number;
}

export const DEFAULT_TIMING: RoomTiming = { pingMs: 500, reapMs: 3000, answerMs: 1500, linkOpenMs: 12_000, joinMs: 30_000 };

/** How long kicked peers keep their links, to verify the signed kick before they are cut off. */
const KICK_LINGER_MS = 1500;
/** A participant redials a dropped pair link after this, once the coordinator had time to say whether the peer left. */
const REDIAL_MS = 1000;
/** Outbound transfer progress is reported at most this often. */
const PROGRESS_EVERY_MS = 100;

export interface RoomOptions {
  room?: string;
  name?: string;
  kind?: PeerKind;
  transport: SignalingTransport;
  links: LinkFactory;
  clock?: Clock;
  timing?: Partial<RoomTiming>;
  selfId?: string;
  /** Local media captured before join (tracks may be absent). */
  tracks?: LocalTracks;
  /** Whether this peer wants media transceivers on its links. */
  media?: boolean;
  /** Source of random bytes for ids and generated room names (injected for deterministic tests). */
  random?: (length: number) => Uint8Array;
  /** The host credential the room link committed (none: an open room). Throws ERR_BAD_ATTRIBUTE when malformed. */
  host?: HostCredential;
  /** This peer's own DTLS fingerprint, bound into the host commands it signs. */
  localFingerprint?: string | null;
  /** A host key unsealed before the room existed (claimHost before join). */
  hostSecret?: Uint8Array | null;
  /** The per-link control-frame budget (see FLOOD_BUDGET). */
  floodBudget?: FloodLimits;
}

/** Bookkeeping sizes, for leak checks: after everyone else left, all but `members` return to zero. */
export interface RoomInspection {
  members: number;
  guests: number;
  links: number;
  unsent: number;
  cutOff: number;
  fingerprints: number;
  oldSlots: number;
  transfers: number;
  listeners: number;
}

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
  private readonly flood: FloodBudget<Link>;
  /** Exists only while this peer coordinates. */
  private coordinator: Coordinator | null = null;
  private generation = 0;
  private tickTimer: unknown = null;
  private lastTick = 0;
  private pingCount = 0;
  private joinWaiters: { resolve: () => void; reject: (err: KibitzError) => void }[] = [];
  private readonly inbound = new Inbound();
  private readonly linkTracks = new WeakMap<Link, [MediaSlot, MediaStreamTrack][]>();
  /** Live fingerprints, filled as links open. */
  private readonly fingerprints = new Map<string, string>();

  constructor(options: RoomOptions) {
    super();
    const random = options.random ?? randomBytes;
    this.room = options.room?.trim() ? options.room : randomRoomName(random);
    this.name = options.name ?? '';
    this.kind = options.kind ?? 'person';
    this.selfId = options.selfId ?? newPeerId(random);
    this.transport = options.transport;
    this.makeLink = options.links;
    this.clock = options.clock ?? systemClock;
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.tracks = { ...options.tracks };
    this.wantsMedia = options.media ?? Boolean(this.tracks.audio || this.tracks.video);
    this.media = { audio: Boolean(this.tracks.audio), video: Boolean(this.tracks.video), screen: false };
    this.flood = new FloodBudget(options.floodBudget ?? FLOOD_BUDGET);
    this.roster = new Roster(this.selfId);
    this.mesh = new Mesh({
      selfId: this.selfId,
      clock: this.clock,
      linkOpenMs: this.timing.linkOpenMs,
      roster: () => this.roster.sorted(),
      makeLink: (remoteId, dialer) =>
        this.spawnLink(
          { remoteId, dialer, polite: this.selfId < remoteId, tracks: this.tracks },
          { signal: (l, data) => this.relaySignal(l, data), open: () => this.emitParticipants() },
        ),
    });
    this.entry = new Entry(
      {
        selfId: this.selfId,
        transport: this.transport,
        clock: this.clock,
        timing: this.timing,
        generation: () => this.generation,
        dialLink: (remoteId, handlers) => this.spawnLink({ remoteId, dialer: true, polite: true, tracks: this.tracks }, handlers),
        relay: (link, data) => this.relaySignal(link, data),
        hello: (link) => void this.sendHello(link),
        linkClosed: (link, reason) => this.onLinkClosed(link, reason),
        claimed: (slot) => this.becomeCoordinator(slot, true),
        slotSignal: (endpoint, src, signal) => void this.coordinator?.slotSignal(endpoint, src, signal),
        coordinating: () => this.isCoordinator,
        company: () => ({ members: this.roster.size, guests: this.coordinator?.guestCount ?? 0 }),
        defer: (slot) => this.restart(slot),
        dropped: (reason) => this.dropped[reason]++,
      },
      this.room,
    );
    this.moderation = new Moderation(
      {
        selfId: this.selfId,
        room: this.room,
        joined: () => this.state === 'joined',
        coordinating: () => this.isCoordinator,
        control: () => this.roster.control,
        participants: () => this.participants,
        fingerprintOf: (peerId) => this.fingerprintOf(peerId),
        broadcast: (cmd) => this.broadcastHostFrame(cmd),
      },
      options.host ?? {},
      this.clock,
      options.localFingerprint ?? null,
    );
    if (options.hostSecret) this.moderation.adoptKey(options.hostSecret);
    this.wireModeration();
  }

  // ---- public surface ---------------------------------------------------------------------

  get isCoordinator(): boolean {
    return this.roster.isCoordinator && this.state === 'joined';
  }

  get coordinatorId(): string | null {
    return this.roster.coordinatorId;
  }

  /** Lock, lobby, bans and knocks as this peer last verified or heard them. */
  get control(): RoomControl {
    return this.roster.control;
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
    return this.roster.control.knocks.map((k) => ({ ...k }));
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
      fingerprints: this.fingerprints.size,
      oldSlots: this.entry.oldSlotCount(),
      transfers: this.inbound.pending,
      listeners: this.listenerCount(),
    };
  }

  /** Join the room; resolves once this peer is in the roster. */
  join(): Promise<void> {
    if (this.state === 'joined') return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => this.joinWaiters.push({ resolve, reject }));
    if (['idle', 'left', 'failed', 'refused', 'kicked'].includes(this.state)) {
      this.generation++;
      this.setState('connecting');
      void this.enter(this.generation);
    }
    return promise;
  }

  /** Leave at once, telling everyone (also used on pagehide). */
  leave(): void {
    if (this.state === 'idle' || this.state === 'left') return;
    this.teardown(true);
    this.setState('left');
    this.rejectJoin(new KibitzError('ERR_LEFT', 'left before joining'));
  }

  /** Send to every other participant, or to one. Not echoed to the sender. */
  send(data: unknown, to?: string): void {
    const targets = this.targets(to);
    const frame = encodeContentFrame(data, to !== undefined);
    // A rostered peer whose link is still being made gets the message once it exists.
    for (const id of targets) this.mesh.sendContent(id, frame);
  }

  /**
   * Send a large binary payload (Blob, ArrayBuffer, typed array) to everyone or one peer, in
   * chunks under backpressure. Resolves with the transfer id once every byte is handed over.
   */
  async sendFile(payload: Payload, to?: string, options: TransferOptions = {}): Promise<string> {
    const links = this.targets(to).flatMap((id) => this.mesh.link(id) ?? []);
    let lastReport = 0;
    const id = options.id ?? newTransferId();
    return sendTransfer(links, payload, to !== undefined, {
      ...options,
      id,
      onProgress: (sent, total) => {
        options.onProgress?.(sent, total);
        const now = this.clock.now();
        if (sent === total || now - lastReport >= PROGRESS_EVERY_MS) {
          lastReport = now;
          this.emit('progress', { id, peerId: to ?? null, direction: 'out', bytes: sent, total });
        }
      },
    });
  }

  async setTrack(slot: MediaSlot, track: MediaStreamTrack | null): Promise<void> {
    this.tracks[slot] = track;
    await Promise.all(this.mesh.entries().map(([, link]) => link.setTrack(slot, track)));
  }

  /** Update this peer's advertised media state (shown on every roster). */
  setMediaFlags(flags: Partial<MediaFlags>): void {
    this.media = { ...this.media, ...flags };
    const self = this.roster.get(this.selfId);
    if (!self) return;
    Object.assign(self, this.media);
    if (this.isCoordinator) this.coordinator!.broadcastRoster([]);
    else this.toCoordinator({ t: 'media', media: this.media });
    this.emitParticipants();
  }

  /** Change this peer's display name; in a call the new name reaches everyone. */
  setName(name: string): void {
    if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH) {
      throw new KibitzError('ERR_BAD_ATTRIBUTE', `name: at most ${MAX_NAME_LENGTH} characters`);
    }
    this.name = name;
    const self = this.roster.get(this.selfId);
    if (!self || self.name === name || this.state !== 'joined') return;
    self.name = name;
    if (this.isCoordinator) this.coordinator!.broadcastRoster([]);
    else this.toCoordinator({ t: 'name', name });
    this.emitParticipants();
  }

  async getStats(peerId: string): Promise<RTCStatsReport | null> {
    return (await this.mesh.link(peerId)?.getStats()) ?? null;
  }

  /** The live fingerprint of the link to `peerId`, as this peer sees it. */
  async fingerprintOf(peerId: string): Promise<string | null> {
    return (await this.mesh.link(peerId)?.fingerprint()) ?? null;
  }

  /** Unseal the committed host key with the passphrase and prove it to the room. */
  claimHost(passphrase: string): Promise<void> {
    return this.moderation.claimHost(passphrase);
  }

  /** Issue a signed moderation command as the verified host. */
  moderate(op: ModerationOp, target = ''): Promise<void> {
    return this.moderation.command(op, target);
  }

  private targets(to?: string): string[] {
    if (this.state !== 'joined') throw new KibitzError('ERR_NOT_JOINED', 'join the room before sending');
    if (to === undefined) return this.roster.others().map((e) => e.id);
    if (to === this.selfId || !this.roster.has(to)) throw new KibitzError('ERR_UNKNOWN_PEER', `no participant ${String(to)}`);
    return [to];
  }

  // ---- wiring -----------------------------------------------------------------------------

  private wireModeration(): void {
    const m = this.moderation;
    m.on('control', ({ change }) => this.updateControl(change));
    m.on('admit', ({ peerId }) => this.coordinator?.admitWaiting(peerId));
    m.on('deny', ({ peerId }) => this.coordinator?.refuse(peerId, 'denied'));
    m.on('expel', ({ peerId }) => this.expel(peerId, 'kicked'));
    m.on('ended', ({ reason }) => this.end('kicked', reason));
    for (const type of ['host', 'kick', 'knock', 'lock', 'lobby', 'rejected'] as const) {
      m.on(type, (detail) => this.emit(type, detail as never));
    }
  }

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
        control: (raw) => this.onControl(link, raw),
        content: (raw) => this.onContent(link, raw),
        track: (slot, track) => this.onTrack(link, slot, track),
        state: (state) => this.emit('connection', { peerId: link.remoteId, state }),
        fault: (code, message) => this.onLinkFault(link, code, message),
      },
    });
    return link;
  }

  private coordinatorHost() {
    return {
      selfId: this.selfId,
      clock: this.clock,
      timing: this.timing,
      roster: this.roster,
      mesh: this.mesh,
      guestLink: (id: string, signal: (link: Link, data: SignalData) => void) =>
        this.spawnLink({ remoteId: id, dialer: false, polite: false, tracks: {} }, { signal, open: () => undefined }),
      sealTo: (id: string, data: SignalData, via: Parameters<Entry['sealTo']>[2]) => void this.entry.sealTo(id, data, via),
      relay: (link: Link, data: SignalData) => this.relaySignal(link, data),
      gate: (request: GateRequest): Promise<GateDecision> => this.moderation.gate(request),
      admitted: (entry: RosterEntry, link: Link) => {
        for (const slot of MEDIA_SLOTS) if (this.tracks[slot]) void link.setTrack(slot, this.tracks[slot] ?? null);
        this.emitJoin(this.describe(entry));
        this.emitParticipants();
      },
      controlChanged: () => this.emitControl(),
      removeMember: (id: string, reason: LeaveReason, lingerMs?: number) => this.removeMember(id, reason, lingerMs),
      dropped: (reason: 'malformed' | 'unauthorised') => void this.dropped[reason]++,
    };
  }

  private async sendHello(link: Link): Promise<void> {
    const proof = await this.moderation.helloProof();
    link.sendControl(
      encodeControl({
        t: 'hello', v: PROTOCOL_VERSION, id: this.selfId, name: this.name, kind: this.kind, media: this.media,
        ...(proof !== null && { proof }),
      }),
    );
  }

  private becomeCoordinator(slot: Slot | null, fresh: boolean, gone: Departure[] = []): void {
    this.roster.takeOver();
    if (fresh) this.roster.found({ id: this.selfId, name: this.name, kind: this.kind, ...this.media });
    const now = this.clock.now();
    for (const entry of this.roster.others()) this.mesh.touch(entry.id, now);
    this.coordinator = new Coordinator(this.coordinatorHost());
    if (slot) this.entry.hold(slot, fresh);
    else void this.entry.claim();
    this.setState('joined');
    this.coordinator.broadcastRoster(gone);
    this.emitCoordinator(this.selfId);
    if (fresh) this.emitJoin(this.describe(this.roster.get(this.selfId)!));
    this.emitParticipants();
    this.resolveJoin();
  }

  /** Replace room control (host layer) and replicate it. */
  private updateControl(change: Partial<RoomControl>): void {
    this.roster.control = { ...this.roster.control, ...change };
    if (this.isCoordinator) this.coordinator!.broadcastRoster([]);
    this.emitControl();
  }

  /** Send a host frame: the coordinator relays it to everyone; a coordinator sends it to all. */
  private broadcastHostFrame(cmd: unknown): void {
    if (this.isCoordinator) this.coordinator!.fanOut({ t: 'host', from: this.selfId, cmd }, this.selfId);
    else this.toCoordinator({ t: 'host', cmd });
  }

  /** Remove a member at once (kick): closes the link here and, on the coordinator, updates the roster. */
  private expel(peerId: string, reason: LeaveReason): void {
    if (peerId === this.selfId) return;
    this.coordinator?.dropGuestById(peerId);
    if (!this.roster.has(peerId)) return;
    // A kicked peer keeps its links a moment longer, so it can verify the signed kick itself.
    this.removeMember(peerId, reason, reason === 'kicked' ? KICK_LINGER_MS : 0);
    if (this.isCoordinator) this.coordinator!.broadcastRoster([{ id: peerId, reason }]);
  }

  // ---- following the coordinator ----------------------------------------------------------

  private toCoordinator(frame: ControlFrame): void {
    const id = this.roster.coordinatorId;
    if (!id || id === this.selfId) return;
    this.mesh.sendControl(id, encodeControl(frame));
  }

  private applyRoster(link: Link, frame: RosterFrame): void {
    const viaEntry = this.entry.carries(link);
    const sender = viaEntry ? frame.coordinator : link.remoteId;
    const context = { now: this.clock.now(), reapMs: this.timing.reapMs, coordinating: this.isCoordinator, reachable: (id: string) => this.mesh.isOpen(id) };
    if (!this.roster.judge(frame, sender, viaEntry, context)) {
      this.dropped.unauthorised++;
      return;
    }
    if (!frame.peers.some((p) => p.id === this.selfId)) {
      if (viaEntry) return;
      if (frame.gone.some((d) => d.id === this.selfId && d.reason === 'kicked')) {
        // Only a kick we verify ourselves ends our membership; if none comes, knock again.
        this.clock.setTimeout(() => {
          if (this.state === 'joined' && !this.roster.has(this.selfId)) void this.rejoin();
        }, KICK_LINGER_MS * 2);
        this.roster.remove(this.selfId);
        return;
      }
      // The coordinator no longer lists us: we were reaped while unreachable. Come back.
      void this.rejoin();
      return;
    }
    if (viaEntry) {
      this.entry.admitted();
      link.remoteId = sender;
      // Tracks on this link were announced under the coordinator's slot id: announce them again.
      for (const [slot, track] of this.linkTracks.get(link) ?? []) this.emit('track', { peerId: sender, slot, track });
    }
    const wasJoined = this.state === 'joined';
    const now = this.clock.now();
    const previous = this.participants;
    const change = this.roster.adopt(frame, sender, now);
    this.emitControl();
    for (const { entry } of change.left) {
      if (this.mesh.link(entry.id) === link) this.mesh.detach(entry.id);
      this.mesh.remove(entry.id);
    }
    if (this.mesh.link(sender) !== link) this.mesh.attach(sender, link);
    for (const entry of change.joined) this.mesh.touch(entry.id, now);
    for (const { entry, reason } of change.left) {
      this.emit('leave', { peer: previous.find((p) => p.id === entry.id) ?? this.describe(entry), reason });
    }
    if (!wasJoined) {
      this.setState('joined');
      this.resolveJoin();
    }
    for (const entry of wasJoined ? change.joined : frame.peers) this.emitJoin(this.describe(entry));
    if (change.coordinatorChanged) this.emitCoordinator(sender);
    this.mesh.up();
    this.emitParticipants();
  }

  /** Handshakes between two participants always go through the coordinator, also later ones:
   * an ICE restart must not depend on the very link whose transport failed. */
  private relaySignal(link: Link, data: SignalData): void {
    const frame: ControlFrame = { t: 'signal', to: link.remoteId, data };
    if (this.isCoordinator || link.remoteId === this.roster.coordinatorId) link.sendControl(encodeControl(frame));
    else this.toCoordinator(frame);
  }

  private onSignalFrame(link: Link, frame: Extract<ControlFrame, { t: 'signal' }>): void {
    const from = link.remoteId;
    if (this.isCoordinator && frame.to !== this.selfId) return this.coordinator!.relaySignal(this.mesh.memberOf(link) ?? '', frame);
    const relayed = frame.from !== undefined && frame.from !== from;
    const peerId = relayed ? frame.from! : from;
    const entry = this.roster.get(peerId);
    // Only the coordinator relays; the sender is who the coordinator says, or the link itself.
    if (frame.to !== this.selfId || (relayed && from !== this.roster.coordinatorId) || !entry || peerId === this.selfId) {
      this.dropped.unauthorised++;
      return;
    }
    if (!this.mesh.link(peerId)) {
      const isOffer = 'description' in frame.data && frame.data.description.type === 'offer';
      if (!isOffer || !this.mesh.accept(entry)) return;
    }
    void this.mesh.link(peerId)?.handleSignal(frame.data);
  }

  // ---- inbound frames ---------------------------------------------------------------------

  private onControl(link: Link, raw: unknown): void {
    if (!this.withinBudget(link, raw)) return;
    const frame = decodeControl(raw);
    if (!frame) {
      this.dropped.malformed++;
      return;
    }
    const member = this.mesh.memberOf(link);
    const now = this.clock.now();
    if (member) this.mesh.touch(member, now);
    if (link.remoteId === this.roster.coordinatorId) this.roster.coordinatorSeen = now;
    switch (frame.t) {
      case 'hello':
        if (this.isCoordinator) this.coordinator!.onHello(link, frame);
        else this.dropped.unauthorised++;
        return;
      case 'roster':
        return this.applyRoster(link, frame);
      case 'wait':
        if (this.entry.waiting(link)) this.setState('waiting');
        return;
      case 'refused':
        if (this.entry.refused(link)) {
          this.end('refused', frame.reason);
          link.close();
        }
        return;
      case 'ping':
        if (link.remoteId === this.roster.coordinatorId) link.sendControl(encodeControl({ t: 'pong', n: frame.n }));
        return;
      case 'pong':
        return;
      case 'signal':
        return this.onSignalFrame(link, frame);
      case 'media':
      case 'name':
        if (!this.isCoordinator || !member) return;
        if (frame.t === 'media') this.coordinator!.onMedia(member, frame.media);
        else this.coordinator!.onName(member, frame.name);
        this.emitParticipants();
        return;
      case 'bye':
        if (member) this.lose(member, 'left');
        return;
      case 'host':
        return this.onHostFrame(link, member, frame);
    }
  }

  private onHostFrame(link: Link, member: string | null, frame: Extract<ControlFrame, { t: 'host' }>): void {
    if (!member) {
      this.dropped.unauthorised++;
      return;
    }
    if (this.isCoordinator) this.coordinator!.fanOut({ t: 'host', from: member, cmd: frame.cmd }, member);
    // Relayed frames name their author; only the coordinator may relay.
    if (frame.from !== undefined && frame.from !== member && member !== this.roster.coordinatorId) {
      this.dropped.unauthorised++;
      return;
    }
    void this.moderation.handleCommand(frame.from ?? member, frame.cmd);
  }

  /** Charge one inbound control frame to its link's budget; false when it must be dropped. */
  private withinBudget(link: Link, raw: unknown): boolean {
    // The link to the coordinator is never limited: it relays everyone's handshakes and limits what it relays.
    if (this.entry.carries(link)) return true;
    if (!this.isCoordinator && link.remoteId === this.roster.coordinatorId && this.mesh.memberOf(link)) return true;
    const verdict = this.flood.charge(link, frameSize(raw), this.clock.now());
    if (verdict === 'pass') return true;
    this.dropped.flooded++;
    if (verdict === 'cut') this.cutOff(link);
    return false;
  }

  /** A sustained flooder: the coordinator expels it for everyone; a participant stops linking with it. */
  private cutOff(link: Link): void {
    if (this.coordinator?.dropGuestOn(link)) return;
    const member = this.mesh.memberOf(link);
    if (!member) return link.close();
    if (this.isCoordinator) return this.expel(member, 'kicked');
    this.mesh.cut(member);
  }

  private onContent(link: Link, raw: unknown): void {
    const member = this.mesh.memberOf(link);
    if (!member || this.state !== 'joined') {
      this.dropped.unauthorised++;
      return;
    }
    const frame = decodeContent(raw);
    if (!frame) {
      this.dropped.malformed++;
      return;
    }
    if (frame.kind === 'json' || frame.kind === 'binary') {
      this.emit('message', { peerId: member, data: frame.data, to: frame.direct ? this.selfId : null });
      return;
    }
    const outcome = this.inbound.handle(member, this.selfId, frame);
    if (!outcome) return;
    if ('file' in outcome) this.emit('file', outcome.file);
    else this.emit('progress', { id: outcome.progress.id, peerId: member, direction: 'in', bytes: outcome.progress.received, total: outcome.progress.total });
  }

  private onTrack(link: Link, slot: MediaSlot, track: MediaStreamTrack): void {
    const seen = this.linkTracks.get(link) ?? [];
    seen.push([slot, track]);
    this.linkTracks.set(link, seen);
    this.emit('track', { peerId: link.remoteId, slot, track });
  }

  // ---- departures -------------------------------------------------------------------------

  private onLinkClosed(link: Link, reason: 'closed' | 'failed' = 'closed'): void {
    if (this.coordinator?.dropGuestOn(link)) return;
    if (this.entry.dialling(link)) return;
    // The coordinator we waited with went away: knock again.
    if (this.entry.lobbyClosed(link)) return void this.rejoin();
    const member = this.mesh.memberOf(link);
    // A closed connection is a departure; only a failed transport counts as lost.
    if (member) this.lose(member, reason === 'closed' ? 'left' : 'timeout');
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

  /** A member is gone (bye, closed link or silence). */
  private lose(peerId: string, reason: LeaveReason): void {
    if (!this.roster.has(peerId) || peerId === this.selfId) return;
    if (this.isCoordinator) {
      this.removeMember(peerId, reason);
      this.coordinator!.broadcastRoster([{ id: peerId, reason }]);
      return;
    }
    if (peerId === this.roster.coordinatorId) {
      this.removeMember(peerId, reason);
      this.elect([{ id: peerId, reason }]);
      return;
    }
    // A participant's link dropped: the coordinator decides whether it left; if it is still
    // listed we redial after a moment (the later joiner dials), and the page hears
    // `reconnecting` until the new link reports `connected`.
    const link = this.mesh.detach(peerId);
    if (link) {
      link.close();
      this.emit('connection', { peerId, state: 'reconnecting' });
    }
    this.clock.setTimeout(() => this.mesh.up(), REDIAL_MS);
  }

  private removeMember(peerId: string, reason: LeaveReason, lingerMs = 0): void {
    const peer = this.participants.find((p) => p.id === peerId);
    if (!peer) return;
    this.roster.remove(peerId);
    this.inbound.forget(peerId);
    this.mesh.remove(peerId, lingerMs);
    this.emit('leave', { peer, reason });
    this.emitParticipants();
  }

  /** `gone`: the departed coordinator, so that everyone hears the same reason from the successor. */
  private elect(gone: Departure[] = []): void {
    const { successor, claim } = this.roster.elect((id) => this.mesh.isOpen(id), this.clock.now());
    if (!successor) return;
    if (successor === this.selfId) return this.becomeCoordinator(null, false, gone);
    const link = this.mesh.link(successor);
    if (claim && link) this.applyRoster(link, claim);
    else this.emitCoordinator(successor);
    this.emitParticipants();
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
    const silent = this.roster.coordinatorId;
    if (!silent || now - this.roster.coordinatorSeen <= this.timing.reapMs) return;
    if (now - this.roster.electedAt > this.timing.reapMs || this.roster.has(silent)) {
      this.lose(silent, 'timeout');
      if (this.roster.coordinatorId === silent) {
        // The coordinator we elected never spoke: pass over it as well.
        this.roster.remove(silent);
        this.mesh.detach(silent)?.close();
        this.elect();
      }
    }
  }

  // ---- lifecycle --------------------------------------------------------------------------

  private async enter(generation: number, preferSlot = 0): Promise<void> {
    try {
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
    this.roster.clear();
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
    this.teardown(false);
    this.setState(state);
    if (state === 'refused') this.emit('refused', { reason });
    this.rejectJoin(new KibitzError(state === 'kicked' ? 'ERR_KICKED' : 'ERR_REFUSED', state === 'kicked' ? reason : `the room refused to admit this peer: ${reason}`));
  }

  private setState(state: RoomState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', { state });
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
      fingerprint: this.fingerprints.get(entry.id) ?? null,
    });
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
    this.emit('control', { control: this.roster.control });
    this.moderation.handleControl(this.roster.control);
  }

  private emitParticipants(): void {
    for (const [id, link] of this.mesh.entries()) {
      if (link.isOpen && !this.fingerprints.has(id)) {
        void link.fingerprint().then((fp) => {
          if (fp && this.mesh.link(id) === link) {
            this.fingerprints.set(id, fp);
            this.emit('participants', { participants: this.participants });
          }
        });
      }
    }
    for (const id of this.fingerprints.keys()) if (!this.roster.has(id)) this.fingerprints.delete(id);
    this.moderation.handleParticipants();
    this.emit('participants', { participants: this.participants });
  }
}

function encodeContentFrame(data: unknown, direct: boolean): string | Uint8Array {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength > MAX_CONTENT_FRAME) {
      throw new KibitzError('ERR_TOO_LARGE', `binary messages are limited to ${MAX_CONTENT_FRAME} bytes; use sendFile for more`);
    }
    return encodeContentBinary(bytes, direct);
  }
  let text: string;
  try {
    text = encodeContentJson(data === undefined ? null : data, direct);
  } catch (err) {
    throw new KibitzError('ERR_SEND', 'message is not JSON-serialisable', { cause: err });
  }
  if (text.length > MAX_CONTENT_FRAME) throw new KibitzError('ERR_TOO_LARGE', `messages are limited to ${MAX_CONTENT_FRAME} bytes`);
  // Receivers drop deeper frames (see MAX_CONTENT_DEPTH); say so here instead of losing it silently.
  if (!nestsWithin(text, MAX_CONTENT_DEPTH)) throw new KibitzError('ERR_SEND', `messages may nest at most ${MAX_CONTENT_DEPTH - 1} levels`);
  return text;
}
