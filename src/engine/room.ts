// The room engine: joins a mesh call through a signaling transport, keeps the roster when it
// is coordinator, follows it otherwise, elects a successor when the coordinator goes, and
// carries content between peers. No DOM and no lit: the element wraps it.
import { KibitzError, toKibitzError, type KibitzErrorCode } from '../errors.js';
import { randomBytes, toHex } from '../crypto/bytes.js';
import { deriveRoomKeys, openHandshake, randomRoomName, sealHandshake, type RoomKeys } from '../crypto/room-keys.js';
import type { SignalingEndpoint, SignalingTransport, SignalMessage, SignalType } from '../signaling/transport.js';
import { systemClock, type Clock } from './clock.js';
import { Emitter } from './emitter.js';
import { Inbound, newTransferId, sendTransfer, type IncomingFile, type Payload, type TransferOptions } from './transfer.js';
import { MEDIA_SLOTS, type Link, type LinkFactory, type LinkOptions, type LocalTracks, type MediaSlot } from './link.js';
import {
  MAX_CONTENT_DEPTH,
  MAX_CONTENT_FRAME,
  MAX_ROSTER,
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
  type RoomState,
  type RosterEntry,
  type SignalData,
} from './protocol.js';

export type RoomStatus = 'idle' | 'connecting' | 'joined' | 'waiting' | 'refused' | 'kicked' | 'left' | 'failed';

export interface Participant {
  id: string;
  name: string;
  kind: PeerKind;
  self: boolean;
  coordinator: boolean;
  host: boolean;
  audio: boolean;
  video: boolean;
  screen: boolean;
  /** The peer's DTLS certificate fingerprint read from the live connection (null for self or before connect). */
  fingerprint: string | null;
}

export interface RoomEvents {
  state: { state: RoomStatus };
  join: { peer: Participant };
  leave: { peer: Participant; reason: LeaveReason };
  message: { from: string; data: unknown; to: string | null };
  coordinator: { id: string };
  error: { code: KibitzErrorCode; message: string };
  track: { peerId: string; slot: MediaSlot; track: MediaStreamTrack };
  participants: { participants: Participant[] };
  connection: { peerId: string; state: 'connected' | 'reconnecting' };
  refused: { reason: string };
  file: IncomingFile;
  progress: { id: string; peer: string | null; direction: 'in' | 'out'; bytes: number; total: number };
  /** A control frame of the host layer; the moderation module answers it. */
  host: { from: string; via: string; cmd: unknown };
  /** The replicated room state changed (lock, lobby, bans, knocks). */
  roomstate: { state: RoomState };
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

/**
 * Control-frame budget per link: a token bucket of `burst` tokens refilled at `perSecond`, a
 * frame costing one token per started KiB. Legitimate control traffic (presence, rosters, the
 * relayed handshakes of a full 64-peer room) stays well inside it. Frames over budget are
 * dropped unparsed and counted in `dropped.flooded`. A peer that keeps flooding, `expelAfter`
 * frames over budget faster than the bucket refills, is cut off: the coordinator expels it
 * from the room for everyone (reason `kicked`); a participant closes that pair link and does
 * not redial it (the peer stays in the roster the coordinator keeps). The link to the
 * coordinator is never limited: it relays everyone's handshakes and limits what it relays.
 */
export const FLOOD_BUDGET = { burst: 2000, perSecond: 500, expelAfter: 1000 };

/** How long kicked peers keep their links, to verify the signed kick before they are cut off. */
const KICK_LINGER_MS = 1500;

/** Coordinator slots at the broker: a coordinator that finds slot 0 held by a frozen predecessor takes the next. */
export const SLOT_COUNT = 4;

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
  /** Extra proof sent with this peer's hello (a signed host claim); checked by the coordinator's gate. */
  helloProof?: () => unknown;
}

/** A gate decides on a hello before the joiner is rostered. */
export type GateDecision = { admit: true } | { admit: false; wait: true } | { admit: false; wait: false; reason: string };
export type Gate = (hello: { id: string; name: string; fingerprint: string | null; proof: unknown }) => GateDecision | Promise<GateDecision>;

interface Member {
  entry: RosterEntry;
  link: Link | null;
  lastSeen: number;
  said: 'bye' | null;
  /** Content sent before this member's link existed, delivered when it does. */
  unsent?: (string | Uint8Array)[];
}

interface Guest {
  id: string;
  link: Link;
  since: number;
  hello: Extract<ControlFrame, { t: 'hello' }> | null;
  waiting: boolean;
  /** The slot endpoint the guest's handshake arrived on, where answers go back. */
  via: SignalingEndpoint;
}

const newPeerId = (random: (length: number) => Uint8Array) => 'p' + toHex(random(8));

export class Room extends Emitter<RoomEvents> {
  readonly room: string;
  readonly selfId: string;
  name: string;
  readonly kind: PeerKind;
  status: RoomStatus = 'idle';
  coordinatorId: string | null = null;
  /** Frames dropped by validation, by reason; rogue or broken peers show up here. */
  readonly dropped = { malformed: 0, unauthorised: 0, flooded: 0 };
  /** Extra admission checks (the host layer installs one). */
  gate: Gate | null = null;
  /** The verified host, as the host layer established it (never taken from the coordinator's word). */
  hostId: string | null = null;
  state: RoomState = { nextOrder: 0, locked: false, lobby: false, hostId: null, bans: [], knocks: [] };

  private readonly transport: SignalingTransport;
  private readonly makeLink: LinkFactory;
  private readonly clock: Clock;
  private readonly timing: RoomTiming;
  private readonly wantsMedia: boolean;
  private tracks: LocalTracks;
  private media: MediaFlags;
  private keys: RoomKeys | null = null;
  private members = new Map<string, Member>();
  private guests = new Map<string, Guest>();
  private epoch = 0;
  private seq = 0;
  /** This peer's own broker id, held while it joins; a coordinator answers from its slot instead. */
  private endpoint: SignalingEndpoint | null = null;
  private ownEndpoint: Promise<SignalingEndpoint | null> = Promise.resolve(null);
  private sealing: Promise<void> = Promise.resolve();
  private slot: { index: number; endpoint: SignalingEndpoint } | null = null;
  private oldSlots: SignalingEndpoint[] = [];
  private dial: { target: string; link: Link; settle: (outcome: DialOutcome) => void } | null = null;
  /** The link to the coordinator while this peer waits in the lobby, unrostered. */
  private lobbyLink: Link | null = null;
  private tickTimer: unknown = null;
  private lastTick = 0;
  private pingCount = 0;
  private coordinatorSeen = 0;
  private electedAt = 0;
  private pendingClaim: Extract<ControlFrame, { t: 'roster' }> | null = null;
  private joinWaiters: { resolve: () => void; reject: (err: KibitzError) => void }[] = [];
  private generation = 0;
  private rebroadcasts = 0;
  private claiming = false;
  private readonly inbound = new Inbound();
  private readonly linkTracks = new WeakMap<Link, [MediaSlot, MediaStreamTrack][]>();
  /** Per-link flood budgets (see FLOOD_BUDGET). */
  private readonly budgets = new WeakMap<Link, { tokens: number; at: number; over: number }>();
  /** Peers whose pair link this participant cut for flooding: not redialled while rostered. */
  private readonly cutOff = new Set<string>();
  private readonly helloProof: (() => unknown) | undefined;

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
    this.helloProof = options.helloProof;
  }

  // ---- public surface ---------------------------------------------------------------------

  get isCoordinator(): boolean {
    return this.coordinatorId === this.selfId && this.status === 'joined';
  }

  /** The broker id prefix this room uses (opaque hash of the room name). */
  get signalingId(): string | null {
    return this.keys?.signalingId ?? null;
  }

  get slotIndex(): number | null {
    return this.slot?.index ?? null;
  }

  get participants(): Participant[] {
    return [...this.members.values()]
      .sort((a, b) => a.entry.order - b.entry.order)
      .map((m) => this.describe(m));
  }

  get knocks(): { id: string; name: string }[] {
    return this.state.knocks.map((k) => ({ ...k }));
  }

  link(peerId: string): Link | null {
    return this.members.get(peerId)?.link ?? null;
  }

  /** Join the room; resolves once this peer is in the roster. */
  join(): Promise<void> {
    if (this.status === 'joined') return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => this.joinWaiters.push({ resolve, reject }));
    if (['idle', 'left', 'failed', 'refused', 'kicked'].includes(this.status)) {
      this.generation++;
      this.setStatus('connecting');
      void this.enter(this.generation);
    }
    return promise;
  }

  /** Leave at once, telling everyone (also used on pagehide). */
  leave(): void {
    if (this.status === 'idle' || this.status === 'left') return;
    this.teardown(true);
    this.setStatus('left');
    this.rejectJoin(new KibitzError('ERR_LEFT', 'left before joining'));
  }

  /** Send to every other participant, or to one. Not echoed to the sender. */
  send(data: unknown, to?: string): void {
    if (this.status !== 'joined') throw new KibitzError('ERR_NOT_JOINED', 'join the room before sending');
    if (to !== undefined && (to === this.selfId || !this.members.has(to))) {
      throw new KibitzError('ERR_UNKNOWN_PEER', `no participant ${String(to)}`);
    }
    const direct = to !== undefined;
    const frame = encodeContentFrame(data, direct);
    for (const member of this.targets(to)) {
      // A rostered peer whose link is still being made gets the message once it exists.
      if (member.link) member.link.sendContent(frame);
      else (member.unsent ??= []).push(frame);
    }
  }

  /**
   * Send a large binary payload (Blob, ArrayBuffer, typed array) to everyone or one peer, in
   * chunks under backpressure. Resolves with the transfer id once every byte is handed over.
   */
  async sendFile(payload: Payload, to?: string, options: TransferOptions = {}): Promise<string> {
    if (this.status !== 'joined') throw new KibitzError('ERR_NOT_JOINED', 'join the room before sending');
    if (to !== undefined && (to === this.selfId || !this.members.has(to))) {
      throw new KibitzError('ERR_UNKNOWN_PEER', `no participant ${String(to)}`);
    }
    const links = this.targets(to).flatMap((m) => (m.link ? [m.link] : []));
    let lastReport = 0;
    const id = options.id ?? newTransferId();
    return sendTransfer(links, payload, to !== undefined, {
      ...options,
      id,
      onProgress: (sent, total) => {
        options.onProgress?.(sent, total);
        const now = this.clock.now();
        if (sent === total || now - lastReport >= 100) {
          lastReport = now;
          this.emit('progress', { id, peer: to ?? null, direction: 'out', bytes: sent, total });
        }
      },
    });
  }

  /** Members that a send reaches. */
  targets(to?: string): Member[] {
    if (to !== undefined) {
      const member = this.members.get(to);
      return member && to !== this.selfId ? [member] : [];
    }
    return [...this.members.values()].filter((m) => m.entry.id !== this.selfId);
  }

  async setTrack(slot: MediaSlot, track: MediaStreamTrack | null): Promise<void> {
    this.tracks[slot] = track;
    await Promise.all([...this.members.values()].map((m) => m.link?.setTrack(slot, track)));
  }

  /** Update this peer's advertised media state (shown on every roster). */
  setMediaFlags(flags: Partial<MediaFlags>): void {
    this.media = { ...this.media, ...flags };
    const self = this.members.get(this.selfId);
    if (!self) return;
    Object.assign(self.entry, this.media);
    if (this.isCoordinator) this.broadcastRoster([]);
    else this.toCoordinator({ t: 'media', media: this.media });
    this.emitParticipants();
  }

  setName(name: string): void {
    this.name = name;
  }

  async getStats(peerId: string): Promise<RTCStatsReport | null> {
    return (await this.members.get(peerId)?.link?.getStats()) ?? null;
  }

  /** Send a control frame to one member (the host layer uses it). */
  sendControlTo(peerId: string, frame: ControlFrame): boolean {
    const link = this.members.get(peerId)?.link;
    if (!link) return false;
    link.sendControl(encodeControl(frame));
    return true;
  }

  /** Send a host frame: the coordinator relays it to everyone; a coordinator sends it to all. */
  broadcastHostFrame(cmd: unknown): void {
    if (this.isCoordinator) this.fanOut({ t: 'host', from: this.selfId, cmd }, this.selfId);
    else this.toCoordinator({ t: 'host', cmd });
  }

  /** The live fingerprint of the link to `peerId`, as this peer sees it. */
  async fingerprintOf(peerId: string): Promise<string | null> {
    return (await this.members.get(peerId)?.link?.fingerprint()) ?? null;
  }

  /** Remove a member at once (kick): closes the link here and, on the coordinator, updates the roster. */
  expel(peerId: string, reason: LeaveReason): void {
    if (peerId === this.selfId) return;
    const guest = this.guests.get(peerId);
    if (guest) this.dropGuest(guest, reason);
    if (!this.members.has(peerId)) return;
    // A kicked peer keeps its links a moment longer, so it can verify the signed kick itself.
    this.removeMember(peerId, reason, reason === 'kicked' ? KICK_LINGER_MS : 0);
    if (this.isCoordinator) this.broadcastRoster([{ id: peerId, reason }]);
  }

  /** The coordinator admits a waiting guest (host layer). */
  admitGuest(peerId: string): boolean {
    const guest = this.guests.get(peerId);
    if (!this.isCoordinator || !guest?.hello) return false;
    this.admit(guest);
    return true;
  }

  refuseGuest(peerId: string, reason: string): boolean {
    const guest = this.guests.get(peerId);
    if (!guest) return false;
    guest.link.sendControl(encodeControl({ t: 'refused', reason }));
    this.dropGuest(guest, 'left', 300);
    return true;
  }

  /** Replace room state (host layer) and replicate it. */
  updateState(change: Partial<RoomState>): void {
    this.state = { ...this.state, ...change };
    if (this.isCoordinator) this.broadcastRoster([]);
    this.emit('roomstate', { state: this.state });
  }

  /** Freeze detection for the page: call when the page resumes after being suspended. */
  resumeAfterSuspend(): void {
    if (this.status !== 'joined') return;
    void this.rejoin();
  }

  // ---- entering ---------------------------------------------------------------------------

  private slotId(index: number): string {
    return `${this.keys!.signalingId}s${index}`;
  }

  private async enter(generation: number, preferSlot = 0): Promise<void> {
    try {
      this.keys ??= await deriveRoomKeys(this.room);
      const deadline = this.clock.now() + this.timing.joinMs;
      this.startTicking();
      const ownOpen = this.transport.open(this.selfId).then((endpoint) => {
        // Listen at once: an answer to the early offer below can arrive right after OPEN.
        this.endpoint = endpoint;
        endpoint.onmessage = (m) => void this.onJoinerSignal(m);
        endpoint.onclose = () => {
          if (this.endpoint === endpoint) this.endpoint = null;
        };
        return endpoint;
      });
      this.ownEndpoint = ownOpen.catch(() => null);
      const claim = preferSlot === 0 ? this.transport.open(this.slotId(0)) : Promise.reject(new KibitzError('ERR_ID_TAKEN', 'joining a known slot'));
      // Most joiners find the room already claimed: make the offer while the claim is in flight.
      const early = preferSlot === 0 ? this.dialSlot(this.slotId(0), generation) : null;
      const [own, first] = await Promise.allSettled([ownOpen, claim]);
      if (generation !== this.generation) {
        closeSettled(own);
        closeSettled(first);
        return;
      }
      if (first.status === 'fulfilled') {
        this.dial?.settle('timeout');
        this.becomeCoordinator({ index: 0, endpoint: first.value }, true);
        return;
      }
      if (own.status === 'rejected') throw own.reason;
      if ((first.reason as KibitzError).code !== 'ERR_ID_TAKEN') throw first.reason;
      await this.dialLoop(generation, deadline, preferSlot, early);
    } catch (err) {
      if (generation !== this.generation) return;
      this.fail(toKibitzError(err, 'ERR_SIGNALING'));
    }
  }

  private async dialLoop(generation: number, deadline: number, firstSlot: number, early: Promise<DialOutcome> | null): Promise<void> {
    while (generation === this.generation && this.clock.now() < deadline) {
      for (let step = 0; step < SLOT_COUNT; step++) {
        const index = (firstSlot + step) % SLOT_COUNT;
        const outcome = await (early ?? this.dialSlot(this.slotId(index), generation));
        early = null;
        if (generation !== this.generation) return;
        if (outcome === 'joined' || outcome === 'waiting' || outcome === 'refused') return;
        if (this.clock.now() >= deadline) break;
      }
      // No slot answered: the room may have emptied. Claim it if the first slot is free.
      try {
        const endpoint = await this.transport.open(this.slotId(0));
        if (generation !== this.generation) {
          endpoint.close();
          return;
        }
        this.becomeCoordinator({ index: 0, endpoint }, true);
        return;
      } catch (err) {
        if ((err as KibitzError).code !== 'ERR_ID_TAKEN') throw err;
      }
    }
    if (generation === this.generation) throw new KibitzError('ERR_JOIN_TIMEOUT', 'no coordinator answered in time');
  }

  /** Offer a link to one coordinator slot through the broker and wait for the outcome. */
  private dialSlot(target: string, generation: number): Promise<DialOutcome> {
    return new Promise<DialOutcome>((resolve) => {
      let answered = false;
      let offered = false;
      let timer: unknown = null;
      const settle = (outcome: DialOutcome) => {
        if (this.dial?.link !== link) return;
        this.dial = null;
        this.clock.clearTimeout(timer);
        if (outcome === 'timeout' || outcome === 'expired') link.close();
        resolve(outcome);
      };
      const link = this.spawnLink(
        { remoteId: target, dialer: true, polite: true, tracks: this.tracks },
        {
          // Through the broker until admitted; afterwards over the link itself.
          signal: (l, data) => {
            if (this.dial?.link !== l && this.lobbyLink !== l) return this.relaySignal(l, data);
            // The answer clock starts once the offer leaves: a busy page may take long to make it.
            if (!offered && 'description' in data && data.description.type === 'offer') {
              offered = true;
              void this.sealTo(target, data).then(() => startAnswerClock());
              return;
            }
            void this.sealTo(target, data);
          },
          open: (l) => this.sendHello(l),
          close: (l, reason) => {
            if (this.dial?.link === l) settle('timeout');
            else this.onLinkClosed(l, reason);
          },
        },
      );
      this.dial = {
        target,
        link,
        settle: (outcome) => {
          if (outcome === 'answered') {
            answered = true;
            this.clock.clearTimeout(timer);
            timer = this.clock.setTimeout(() => settle('timeout'), this.timing.linkOpenMs);
            return;
          }
          settle(outcome);
        },
      };
      const startAnswerClock = () => {
        if (answered || this.dial?.link !== link) return;
        this.clock.clearTimeout(timer);
        // Slot 0 answers at once if anyone holds it. A higher slot is taken by a successor only
        // after the old coordinator went silent: the broker holds our offer until then.
        const wait = target === this.slotId(0) ? this.timing.answerMs : this.timing.answerMs + this.timing.reapMs;
        timer = this.clock.setTimeout(() => {
          if (!answered && generation === this.generation) settle('timeout');
        }, wait);
      };
      // Until the offer is out, only a generous bound applies.
      timer = this.clock.setTimeout(() => {
        if (!answered && generation === this.generation) settle('timeout');
      }, this.timing.linkOpenMs);
    });
  }

  /** Sealed handshakes leave in the order they were made: the offer before its candidates. */
  private sealTo(dst: string, data: SignalData): Promise<void> {
    this.sealing = this.sealing.then(() => this.sealNow(dst, data)).catch(() => undefined);
    return this.sealing;
  }

  private async sealNow(dst: string, data: SignalData): Promise<void> {
    const endpoint = this.guests.has(dst) ? this.guests.get(dst)!.via : (this.endpoint ?? (await this.ownEndpoint));
    if (!endpoint || !this.keys) return;
    const type: SignalType = 'candidate' in data ? 'CANDIDATE' : data.description.type === 'offer' ? 'OFFER' : 'ANSWER';
    const sealed = await sealHandshake(this.keys, `${endpoint.id}|${type}`, data);
    endpoint.send(dst, type, sealed);
  }


  private async onJoinerSignal(message: SignalMessage): Promise<void> {
    const dial = this.dial;
    if (!dial || message.src !== dial.target || !this.keys) return;
    if (message.type === 'EXPIRE') {
      dial.settle('expired');
      return;
    }
    const data = await openHandshake(this.keys, `${message.src}|${message.type}`, message.payload);
    const signal = data === null ? null : decodeSignal(data);
    if (!signal) {
      this.dropped.malformed++;
      return;
    }
    if ('description' in signal && signal.description.type === 'answer' && this.dial?.link === dial.link) dial.settle('answered');
    await dial.link.handleSignal(signal);
  }

  private async sendHello(link: Link): Promise<void> {
    const proof = await this.helloProof?.();
    link.sendControl(
      encodeControl({
        t: 'hello', v: PROTOCOL_VERSION, id: this.selfId, name: this.name, kind: this.kind, media: this.media,
        ...(proof !== undefined && proof !== null && { proof }),
      }),
    );
  }

  // ---- coordinator ------------------------------------------------------------------------

  private becomeCoordinator(slot: { index: number; endpoint: SignalingEndpoint } | null, fresh: boolean, gone: Departure[] = []): void {
    this.coordinatorId = this.selfId;
    this.epoch += 1;
    if (fresh) {
      this.members.clear();
      this.state = { ...this.state, nextOrder: 0, knocks: [] };
      this.addMember({ id: this.selfId, name: this.name, kind: this.kind, order: this.state.nextOrder++, ...this.media }, null);
    }
    for (const member of this.members.values()) member.lastSeen = this.clock.now();
    if (slot) this.holdSlot(slot);
    else void this.claimSlot();
    if (fresh && slot) void this.probeHigherSlots(slot.endpoint);
    this.setStatus('joined');
    this.rebroadcasts = 3;
    this.broadcastRoster(gone);
    this.emit('coordinator', { id: this.selfId });
    if (fresh) this.emit('join', { peer: this.describe(this.members.get(this.selfId)!) });
    this.emitParticipants();
    this.resolveJoin();
  }

  private holdSlot(slot: { index: number; endpoint: SignalingEndpoint }): void {
    if (this.slot) this.retireSlot(this.slot.endpoint);
    this.slot = slot;
    slot.endpoint.onmessage = (m) => void this.onCoordinatorSignal(slot.endpoint, m);
    slot.endpoint.onclose = () => {
      if (this.slot?.endpoint !== slot.endpoint) return;
      this.slot = null;
      // The broker went away: keep serving the room and take a slot again when it is back.
    };
    if (this.endpoint) {
      this.endpoint.close();
      this.endpoint = null;
    }
  }

  /** Offers already on their way to an old slot still get answered for a little while. */
  private retireSlot(endpoint: SignalingEndpoint): void {
    this.oldSlots.push(endpoint);
    this.clock.setTimeout(() => {
      endpoint.close();
      this.oldSlots = this.oldSlots.filter((e) => e !== endpoint);
    }, this.timing.answerMs * 2);
  }

  /** Take the lowest free slot; a slot held by a frozen predecessor is skipped and retried later. */
  private async claimSlot(below = SLOT_COUNT): Promise<void> {
    if (this.claiming) return;
    this.claiming = true;
    try {
      await this.claimLowestSlot(below);
    } finally {
      this.claiming = false;
    }
  }

  private async claimLowestSlot(below: number): Promise<void> {
    const generation = this.generation;
    for (let index = 0; index < below; index++) {
      if (!this.isCoordinator || generation !== this.generation) return;
      if (this.slot && this.slot.index <= index) return;
      try {
        const endpoint = await this.transport.open(this.slotId(index));
        if (!this.isCoordinator || generation !== this.generation || (this.slot && this.slot.index <= index)) {
          endpoint.close();
          return;
        }
        this.holdSlot({ index, endpoint });
        return;
      } catch {
        // taken or unreachable: try the next slot
      }
    }
  }

  /**
   * A fresh room on slot 0 might be a room that already lives on a higher slot (its
   * coordinator could not take slot 0 for a moment). Ask; a live coordinator answers
   * `here`, and a room of one then joins it instead.
   */
  private async probeHigherSlots(endpoint: SignalingEndpoint): Promise<void> {
    if (!this.keys) return;
    for (let index = 1; index < SLOT_COUNT; index++) {
      endpoint.send(this.slotId(index), 'CANDIDATE', await sealHandshake(this.keys, `${endpoint.id}|CANDIDATE`, { probe: 1 }));
    }
  }

  /**
   * A coordinator alone on a spare slot may be stranded: its link to the live coordinator
   * broke while both lived, so it elected itself. Ask the lower slots; a live room that
   * answers with company takes it back (see answerProbe).
   */
  private async probeLowerSlots(slot: { index: number; endpoint: SignalingEndpoint }): Promise<void> {
    if (!this.keys) return;
    for (let index = 0; index < slot.index; index++) {
      slot.endpoint.send(this.slotId(index), 'CANDIDATE', await sealHandshake(this.keys, `${slot.endpoint.id}|CANDIDATE`, { probe: 1 }));
    }
  }

  private async answerProbe(endpoint: SignalingEndpoint, message: SignalMessage, value: unknown): Promise<boolean> {
    if (!this.keys || typeof value !== 'object' || value === null) return false;
    if ('probe' in value) {
      const here = { here: 1, n: this.members.size };
      if (this.isCoordinator) endpoint.send(message.src, 'CANDIDATE', await sealHandshake(this.keys, `${endpoint.id}|CANDIDATE`, here));
      return true;
    }
    if ('here' in value) {
      const index = Array.from({ length: SLOT_COUNT }, (_, i) => i).find((i) => this.slotId(i) === message.src);
      const alone = this.members.size === 1 && this.guests.size === 0;
      const company = Number((value as { n?: unknown }).n) >= 2;
      // A lone room on slot 0 joins the room on a higher slot; a lone coordinator stranded on
      // a higher slot joins a room with company on a lower one (never both ways at once).
      const up = index !== undefined && index > 0 && this.slot?.index === 0;
      const down = index !== undefined && this.slot !== null && index < this.slot.index && company;
      if (this.isCoordinator && alone && (up || down)) {
        // Another coordinator already serves this room: give up ours and join theirs.
        this.teardown(false);
        this.generation++;
        this.setStatus('connecting');
        void this.enter(this.generation, index);
      }
      return true;
    }
    return false;
  }

  private guestFor(endpoint: SignalingEndpoint, id: string): Guest {
    let guest = this.guests.get(id);
    if (!guest) {
      // A guest sees and hears nothing until admitted.
      const link = this.spawnLink(
        { remoteId: id, dialer: false, polite: false, tracks: {} },
        {
          signal: (l, data) => (this.guests.get(id)?.link === l ? void this.sealTo(id, data) : this.relaySignal(l, data)),
          open: () => undefined,
        },
      );
      guest = { id, link, since: this.clock.now(), hello: null, waiting: false, via: endpoint };
      this.guests.set(id, guest);
    }
    return guest;
  }

  private async onCoordinatorSignal(endpoint: SignalingEndpoint, message: SignalMessage): Promise<void> {
    if (!this.keys || message.type === 'EXPIRE') return;
    if (message.src === this.selfId) return; // our own early offer, sent before we won the claim
    if (!/^[A-Za-z0-9]{1,64}$/.test(message.src) || this.members.has(message.src)) {
      this.dropped.unauthorised++;
      return;
    }
    const data = await openHandshake(this.keys, `${message.src}|${message.type}`, message.payload);
    if (await this.answerProbe(endpoint, message, data)) return;
    const signal = data === null ? null : decodeSignal(data);
    if (!signal) {
      this.dropped.malformed++;
      return;
    }
    if (!this.isCoordinator) return;
    const existing = this.guests.get(message.src);
    if (!existing && !('description' in signal && signal.description.type === 'offer')) return;
    if (!existing && this.guests.size >= MAX_ROSTER) return;
    if (existing && 'description' in signal && signal.description.type === 'offer' && existing.link.isOpen) {
      // A new offer from an id we already link with: the joiner restarted; start over.
      this.dropGuest(existing, 'left');
    }
    const guest = this.guestFor(endpoint, message.src);
    await guest.link.handleSignal(signal);
  }

  private onHello(link: Link, frame: Extract<ControlFrame, { t: 'hello' }>): void {
    const guest = this.guests.get(link.remoteId);
    if (!guest || guest.link !== link || frame.id !== guest.id || !this.isCoordinator) {
      this.dropped.unauthorised++;
      return;
    }
    guest.hello = frame;
    void link.fingerprint().then(async (fingerprint) => {
      if (this.guests.get(guest.id) !== guest || !this.isCoordinator) return;
      const bannedFp = fingerprint !== null && this.state.bans.includes(fingerprint);
      if (this.state.bans.includes(guest.id) || bannedFp) return this.refuseGuest(guest.id, 'banned');
      const decision: GateDecision = this.gate
        ? await this.gate({ id: guest.id, name: frame.name, fingerprint, proof: frame.proof })
        : this.state.locked
          ? { admit: false, wait: false, reason: 'locked' }
          : { admit: true };
      if (this.guests.get(guest.id) !== guest || !this.isCoordinator) return;
      if (decision.admit) return this.admit(guest);
      if (!decision.wait) return this.refuseGuest(guest.id, decision.reason);
      guest.waiting = true;
      link.sendControl(encodeControl({ t: 'wait' }));
      if (!this.state.knocks.some((k) => k.id === guest.id)) {
        this.updateState({ knocks: [...this.state.knocks, { id: guest.id, name: frame.name }] });
      }
    });
  }

  private admit(guest: Guest): void {
    const hello = guest.hello!;
    this.guests.delete(guest.id);
    if (this.state.knocks.some((k) => k.id === guest.id)) {
      this.state = { ...this.state, knocks: this.state.knocks.filter((k) => k.id !== guest.id) };
      this.emit('roomstate', { state: this.state });
    }
    const entry: RosterEntry = {
      id: guest.id,
      name: hello.name,
      kind: hello.kind,
      order: this.state.nextOrder++,
      audio: hello.media.audio,
      video: hello.media.video,
      screen: hello.media.screen,
    };
    this.addMember(entry, guest.link);
    for (const slot of MEDIA_SLOTS) if (this.tracks[slot]) void guest.link.setTrack(slot, this.tracks[slot] ?? null);
    this.broadcastRoster([]);
    this.emit('join', { peer: this.describe(this.members.get(entry.id)!) });
    this.emitParticipants();
  }

  private dropGuest(guest: Guest, _reason: LeaveReason, delayMs = 0): void {
    this.guests.delete(guest.id);
    if (this.state.knocks.some((k) => k.id === guest.id)) {
      this.updateState({ knocks: this.state.knocks.filter((k) => k.id !== guest.id) });
    }
    if (delayMs) this.clock.setTimeout(() => guest.link.close(), delayMs);
    else guest.link.close();
  }

  private addMember(entry: RosterEntry, link: Link | null): void {
    if (link) link.remoteId = entry.id;
    this.members.set(entry.id, { entry, link, lastSeen: this.clock.now(), said: null });
  }

  private rosterFrame(gone: Departure[]): Extract<ControlFrame, { t: 'roster' }> {
    return {
      t: 'roster',
      epoch: this.epoch,
      seq: ++this.seq,
      coordinator: this.selfId,
      peers: [...this.members.values()].map((m) => ({ ...m.entry })),
      gone,
      state: this.state,
    };
  }

  private broadcastRoster(gone: Departure[]): void {
    if (!this.isCoordinator) return;
    const frame = encodeControl(this.rosterFrame(gone));
    for (const member of this.members.values()) member.link?.sendControl(frame);
  }

  /** Relay a frame to every member but `except`. */
  private fanOut(frame: ControlFrame, except: string): void {
    const encoded = encodeControl(frame);
    for (const member of this.members.values()) if (member.entry.id !== except) member.link?.sendControl(encoded);
  }

  // ---- participant ------------------------------------------------------------------------

  private toCoordinator(frame: ControlFrame): void {
    const id = this.coordinatorId;
    if (!id || id === this.selfId) return;
    this.members.get(id)?.link?.sendControl(encodeControl(frame));
  }

  private applyRoster(link: Link, frame: Extract<ControlFrame, { t: 'roster' }>): void {
    const fromDial = this.dial?.link === link || this.lobbyLink === link;
    const sender = fromDial ? frame.coordinator : link.remoteId;
    if (frame.coordinator !== sender || sender === this.selfId) {
      this.dropped.unauthorised++;
      return;
    }
    if (!fromDial && sender !== this.coordinatorId) {
      // Only the coordinator we follow, or the successor our own election picked, may speak for
      // the room; the successor only once the coordinator has gone quiet here too (a live
      // coordinator pings every pingMs), so the next in line cannot take a healthy room.
      // A coordinator never hands the room over on another's word: if it was frozen, its own
      // stalled timers make it rejoin.
      const coordinatorAlive = this.isCoordinator || (this.coordinatorId !== null && this.members.has(this.coordinatorId) &&
        this.clock.now() - this.coordinatorSeen < this.timing.reapMs / 2);
      if (frame.epoch <= this.epoch || this.expectedSuccessor() !== sender || coordinatorAlive) {
        if (frame.epoch > this.epoch) this.pendingClaim = frame;
        this.dropped.unauthorised++;
        return;
      }
    }
    if (!frame.peers.some((p) => p.id === this.selfId)) {
      if (fromDial) return;
      if (frame.gone.some((d) => d.id === this.selfId && d.reason === 'kicked')) {
        // Only a kick we verify ourselves ends our membership; if none comes, knock again.
        this.clock.setTimeout(() => {
          if (this.status === 'joined' && !this.members.has(this.selfId)) void this.rejoin();
        }, KICK_LINGER_MS * 2);
        this.members.delete(this.selfId);
        return;
      }
      // The coordinator no longer lists us: we were reaped while unreachable. Come back.
      void this.rejoin();
      return;
    }
    if (fromDial) {
      this.dial?.settle('joined');
      this.lobbyLink = null;
      link.remoteId = sender;
      // Tracks on this link were announced under the coordinator's slot id: announce them again.
      for (const [slot, track] of this.linkTracks.get(link) ?? []) this.emit('track', { peerId: sender, slot, track });
      if (this.endpoint) {
        this.endpoint.close();
        this.endpoint = null;
      }
    }
    this.pendingClaim = null;
    this.epoch = frame.epoch;
    // Bans only grow from the coordinator's word: a coordinator cannot lift a ban it did not see lifted.
    const bans = [...new Set([...this.state.bans, ...frame.state.bans])];
    this.state = { ...frame.state, bans };
    this.emit('roomstate', { state: this.state });
    const previous = this.members;
    const gone = new Map(frame.gone.map((d) => [d.id, d.reason]));
    const next = new Map<string, Member>();
    for (const entry of frame.peers) {
      const old = previous.get(entry.id);
      const memberLink = entry.id === sender ? link : entry.id === this.selfId ? null : (old?.link ?? null);
      next.set(entry.id, { entry, link: memberLink, lastSeen: old?.lastSeen ?? this.clock.now(), said: null, unsent: old?.unsent });
    }
    this.members = next;
    const wasJoined = this.status === 'joined';
    const coordinatorChanged = this.coordinatorId !== sender;
    this.coordinatorId = sender;
    this.coordinatorSeen = this.clock.now();
    for (const [id, member] of previous) {
      if (next.has(id)) continue;
      if (member.link && member.link !== link) member.link.close();
      this.emit('leave', { peer: this.describe(member), reason: gone.get(id) ?? 'left' });
    }
    if (!wasJoined) {
      this.setStatus('joined');
      this.resolveJoin();
    }
    for (const [id, member] of next) {
      if (!previous.has(id) || !wasJoined) this.emit('join', { peer: this.describe(member) });
    }
    if (coordinatorChanged) this.emit('coordinator', { id: sender });
    this.meshUp();
    this.emitParticipants();
  }

  /** Dial every member that joined after us and that we have no link with. */
  private meshUp(): void {
    const self = this.members.get(this.selfId);
    if (!self) return;
    for (const member of this.members.values()) {
      if (member.entry.id === this.selfId || member.link || this.cutOff.has(member.entry.id)) continue;
      if (member.entry.order < self.entry.order) this.linkMember(member, this.createMeshLink(member.entry.id, true));
    }
  }

  private linkMember(member: Member, link: Link): void {
    member.link = link;
    for (const frame of member.unsent ?? []) link.sendContent(frame);
    member.unsent = undefined;
  }

  /** A link whose frames, tracks and faults flow into this room; the caller picks its signaling path. */
  private spawnLink(
    init: Pick<LinkOptions, 'remoteId' | 'dialer' | 'polite' | 'tracks'>,
    own: {
      signal(link: Link, data: SignalData): void;
      open(link: Link): void;
      close?(link: Link, reason: 'closed' | 'failed'): void;
    },
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

  private createMeshLink(remoteId: string, dialer: boolean): Link {
    const link = this.spawnLink(
      { remoteId, dialer, polite: this.selfId < remoteId, tracks: this.tracks },
      { signal: (l, data) => this.relaySignal(l, data), open: () => this.emitParticipants() },
    );
    const openedBy = this.clock.now() + this.timing.linkOpenMs;
    this.clock.setTimeout(() => {
      // A handshake lost in a coordinator change never completes: start that pair over.
      if (link.isOpen || this.members.get(remoteId)?.link !== link || this.clock.now() < openedBy) return;
      this.members.get(remoteId)!.link = null;
      link.close();
      this.meshUp();
    }, this.timing.linkOpenMs);
    return link;
  }

  /** Handshakes between participants go directly once a link is open, else through the coordinator. */
  private relaySignal(link: Link, data: SignalData): void {
    const frame: ControlFrame = { t: 'signal', to: link.remoteId, data };
    // Between two participants every handshake goes through the coordinator, also later ones:
    // an ICE restart must not depend on the very link whose transport failed.
    if (this.isCoordinator || link.remoteId === this.coordinatorId) link.sendControl(encodeControl(frame));
    else this.toCoordinator(frame);
  }

  private onSignalFrame(link: Link, frame: Extract<ControlFrame, { t: 'signal' }>): void {
    const from = link.remoteId;
    if (this.isCoordinator && frame.to !== this.selfId) {
      // Relay between two members; the sender is the link it came from, never what it claims.
      const target = this.members.get(frame.to);
      if (!this.members.has(from) || !target?.link || frame.to === from) {
        this.dropped.unauthorised++;
        return;
      }
      target.link.sendControl(encodeControl({ t: 'signal', to: frame.to, from, data: frame.data }));
      return;
    }
    if (frame.to !== this.selfId) {
      this.dropped.unauthorised++;
      return;
    }
    const relayed = frame.from !== undefined && frame.from !== from;
    if (relayed && from !== this.coordinatorId) {
      this.dropped.unauthorised++;
      return;
    }
    const peerId = relayed ? frame.from! : from;
    const member = this.members.get(peerId);
    if (!member || peerId === this.selfId) {
      this.dropped.unauthorised++;
      return;
    }
    if (!member.link) {
      const self = this.members.get(this.selfId)!;
      const isOffer = 'description' in frame.data && frame.data.description.type === 'offer';
      if (!isOffer || member.entry.order < self.entry.order || this.cutOff.has(peerId)) return;
      this.linkMember(member, this.createMeshLink(peerId, false));
    }
    void member.link?.handleSignal(frame.data);
  }

  // ---- inbound frames ---------------------------------------------------------------------

  private onControl(link: Link, raw: unknown): void {
    if (!this.withinBudget(link, raw)) return;
    const frame = decodeControl(raw);
    if (!frame) {
      this.dropped.malformed++;
      return;
    }
    const member = this.members.get(link.remoteId);
    if (member?.link === link) member.lastSeen = this.clock.now();
    if (link.remoteId === this.coordinatorId) this.coordinatorSeen = this.clock.now();
    switch (frame.t) {
      case 'hello':
        return this.onHello(link, frame);
      case 'roster':
        return this.applyRoster(link, frame);
      case 'wait':
        if (this.dial?.link === link) {
          this.lobbyLink = link;
          this.dial.settle('waiting');
          this.setStatus('waiting');
        }
        return;
      case 'refused':
        if (this.dial?.link === link || this.lobbyLink === link) {
          this.dial?.settle('refused');
          this.refuse(frame.reason);
          link.close();
        }
        return;
      case 'ping':
        if (link.remoteId === this.coordinatorId) link.sendControl(encodeControl({ t: 'pong', n: frame.n }));
        return;
      case 'pong':
        return;
      case 'signal':
        return this.onSignalFrame(link, frame);
      case 'media':
        if (this.isCoordinator && member?.link === link) {
          Object.assign(member.entry, frame.media);
          this.broadcastRoster([]);
          this.emitParticipants();
        }
        return;
      case 'bye':
        if (member?.link === link) this.onBye(member);
        return;
      case 'host':
        if (!member || member.link !== link) {
          this.dropped.unauthorised++;
          return;
        }
        if (this.isCoordinator) this.fanOut({ t: 'host', from: link.remoteId, cmd: frame.cmd }, link.remoteId);
        // Relayed frames name their author; only the coordinator may relay.
        if (frame.from !== undefined && frame.from !== link.remoteId && link.remoteId !== this.coordinatorId) {
          this.dropped.unauthorised++;
          return;
        }
        this.emit('host', { from: frame.from ?? link.remoteId, via: link.remoteId, cmd: frame.cmd });
        return;
    }
  }

  /** Charge one inbound control frame to its link's budget; false when it must be dropped. */
  private withinBudget(link: Link, raw: unknown): boolean {
    if (link === this.dial?.link || link === this.lobbyLink) return true;
    if (!this.isCoordinator && link.remoteId === this.coordinatorId && this.members.get(link.remoteId)?.link === link) return true;
    const now = this.clock.now();
    let budget = this.budgets.get(link);
    if (!budget) this.budgets.set(link, (budget = { tokens: FLOOD_BUDGET.burst, at: now, over: 0 }));
    const refill = ((now - budget.at) / 1000) * FLOOD_BUDGET.perSecond;
    budget.at = now;
    budget.tokens = Math.min(FLOOD_BUDGET.burst, budget.tokens + refill);
    budget.over = Math.max(0, budget.over - refill);
    const size = typeof raw === 'string' ? raw.length : raw instanceof ArrayBuffer ? raw.byteLength : 0;
    const cost = 1 + Math.floor(size / 1024);
    if (budget.tokens >= cost) {
      budget.tokens -= cost;
      return true;
    }
    this.dropped.flooded++;
    if (++budget.over >= FLOOD_BUDGET.expelAfter) {
      budget.over = 0;
      this.cutOffFlooder(link);
    }
    return false;
  }

  private cutOffFlooder(link: Link): void {
    const guest = [...this.guests.values()].find((g) => g.link === link);
    if (guest) return this.dropGuest(guest, 'kicked');
    const member = this.members.get(link.remoteId);
    if (!member || member.link !== link) {
      link.close();
      return;
    }
    if (this.isCoordinator) return this.expel(member.entry.id, 'kicked');
    this.cutOff.add(member.entry.id);
    member.link = null;
    link.close();
  }

  private onContent(link: Link, raw: unknown): void {
    const member = this.members.get(link.remoteId);
    if (!member || member.link !== link || this.status !== 'joined') {
      this.dropped.unauthorised++;
      return;
    }
    const frame = decodeContent(raw);
    if (!frame) {
      this.dropped.malformed++;
      return;
    }
    if (frame.kind === 'json' || frame.kind === 'binary') {
      this.emit('message', { from: link.remoteId, data: frame.data, to: frame.direct ? this.selfId : null });
      return;
    }
    const outcome = this.inbound.handle(link.remoteId, this.selfId, frame);
    if (!outcome) return;
    if ('file' in outcome) this.emit('file', outcome.file);
    else this.emit('progress', { id: outcome.progress.id, peer: link.remoteId, direction: 'in', bytes: outcome.progress.received, total: outcome.progress.total });
  }

  private onTrack(link: Link, slot: MediaSlot, track: MediaStreamTrack): void {
    const seen = this.linkTracks.get(link) ?? [];
    seen.push([slot, track]);
    this.linkTracks.set(link, seen);
    this.emit('track', { peerId: link.remoteId, slot, track });
  }

  // ---- departures -------------------------------------------------------------------------

  private onBye(member: Member): void {
    member.said = 'bye';
    this.lose(member.entry.id, 'left');
  }

  private onLinkClosed(link: Link, reason: 'closed' | 'failed' = 'closed'): void {
    const guest = [...this.guests.values()].find((g) => g.link === link);
    if (guest) {
      this.dropGuest(guest, 'left');
      return;
    }
    if (this.dial?.link === link) return;
    if (this.lobbyLink === link) {
      // The coordinator we waited with went away: knock again.
      this.lobbyLink = null;
      void this.rejoin();
      return;
    }
    const member = [...this.members.values()].find((m) => m.link === link);
    if (!member) return;
    // A closed connection is a departure; only a failed transport counts as lost.
    this.lose(member.entry.id, member.said === 'bye' || reason === 'closed' ? 'left' : 'timeout');
  }

  /**
   * A link cannot work as configured (relay-only without a reachable TURN server). Joining
   * fails at once with that error, since every other link would fail the same way; in a call
   * the error is reported and the link closes like a failed one.
   */
  private onLinkFault(link: Link, code: KibitzErrorCode, message: string): void {
    if (this.dial?.link === link) {
      this.dial.settle('timeout');
      this.fail(new KibitzError(code, message));
      return;
    }
    this.emit('error', { code, message });
  }

  /** A member is gone (bye, closed link or silence). */
  private lose(peerId: string, reason: LeaveReason): void {
    const member = this.members.get(peerId);
    if (!member || peerId === this.selfId) return;
    if (this.isCoordinator) {
      this.removeMember(peerId, reason);
      this.broadcastRoster([{ id: peerId, reason }]);
      return;
    }
    if (peerId === this.coordinatorId) {
      this.removeMember(peerId, reason);
      this.elect([{ id: peerId, reason }]);
      return;
    }
    // A participant's link dropped: the coordinator decides whether it left; if it is still
    // listed we redial after a moment (the later joiner dials), and the page hears
    // `reconnecting` until the new link reports `connected`.
    if (member.link) {
      member.link.close();
      member.link = null;
      this.emit('connection', { peerId, state: 'reconnecting' });
    }
    this.clock.setTimeout(() => this.meshUp(), 1000);
  }

  private removeMember(peerId: string, reason: LeaveReason, lingerMs = 0): void {
    const member = this.members.get(peerId);
    if (!member) return;
    this.members.delete(peerId);
    this.inbound.forget(peerId);
    this.cutOff.delete(peerId);
    const link = member.link;
    if (lingerMs && link) this.clock.setTimeout(() => link.close(), lingerMs);
    else link?.close();
    this.emit('leave', { peer: this.describe(member), reason });
    this.emitParticipants();
  }

  /** The deterministic successor: the earliest-joined member still reachable (or us). */
  private expectedSuccessor(exclude?: string): string | null {
    const candidates = [...this.members.values()]
      .filter((m) => m.entry.id !== exclude && m.entry.id !== this.coordinatorId)
      .filter((m) => m.entry.id === this.selfId || m.link?.isOpen)
      .sort((a, b) => a.entry.order - b.entry.order);
    return candidates[0]?.entry.id ?? null;
  }

  /** `gone`: the departed coordinator, so that everyone hears the same reason from the successor. */
  private elect(gone: Departure[] = []): void {
    const successor = this.expectedSuccessor();
    this.electedAt = this.clock.now();
    if (!successor) return;
    if (successor === this.selfId) {
      this.becomeCoordinator(null, false, gone);
      return;
    }
    this.coordinatorId = successor;
    this.coordinatorSeen = this.clock.now();
    const claim = this.pendingClaim;
    this.pendingClaim = null;
    const link = this.members.get(successor)?.link;
    if (claim && claim.coordinator === successor && link) this.applyRoster(link, claim);
    else this.emit('coordinator', { id: successor });
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
      if (gap > this.timing.reapMs && this.status === 'joined') {
        // Our own timers stalled (a frozen or suspended page): the room has moved on without us.
        void this.rejoin();
        return;
      }
      this.presence(now);
    };
    this.tickTimer = this.clock.setTimeout(tick, this.timing.pingMs);
  }

  private presence(now: number): void {
    if (this.status === 'joined' && this.isCoordinator) {
      const ping = encodeControl({ t: 'ping', n: ++this.pingCount });
      const gone: Departure[] = [];
      for (const member of [...this.members.values()]) {
        if (member.entry.id === this.selfId) continue;
        if (now - member.lastSeen > this.timing.reapMs) {
          this.removeMember(member.entry.id, 'timeout');
          gone.push({ id: member.entry.id, reason: 'timeout' });
        } else member.link?.sendControl(ping);
      }
      if (gone.length || this.rebroadcasts > 0) {
        this.rebroadcasts = Math.max(0, this.rebroadcasts - 1);
        this.broadcastRoster(gone);
      }
      for (const guest of [...this.guests.values()]) {
        if (!guest.hello && now - guest.since > this.timing.linkOpenMs) this.dropGuest(guest, 'timeout');
      }
      if (!this.slot || this.slot.index > 0) void this.claimSlot(this.slot ? this.slot.index : SLOT_COUNT);
      if (this.slot && this.slot.index > 0 && this.members.size === 1 && this.guests.size === 0 && this.pingCount % 4 === 0) {
        void this.probeLowerSlots(this.slot);
      }
    } else if (this.status === 'joined' && this.coordinatorId && now - this.coordinatorSeen > this.timing.reapMs) {
      const silent = this.coordinatorId;
      if (now - this.electedAt > this.timing.reapMs || this.members.has(silent)) {
        this.lose(silent, 'timeout');
        if (this.coordinatorId === silent) {
          // The coordinator we elected never spoke: pass over it as well.
          this.members.delete(silent);
          this.elect();
        }
      }
    }
  }

  // ---- lifecycle --------------------------------------------------------------------------

  private async rejoin(): Promise<void> {
    if (this.status === 'left' || this.status === 'kicked' || this.status === 'refused') return;
    const departed = [...this.members.values()].filter((m) => m.entry.id !== this.selfId);
    this.teardown(false);
    for (const member of departed) this.emit('leave', { peer: this.describe(member), reason: 'timeout' });
    this.generation++;
    this.setStatus('connecting');
    await this.enter(this.generation);
  }

  private teardown(sayBye: boolean): void {
    this.generation++;
    this.cutOff.clear();
    this.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    if (this.slot) {
      // Free the coordinator slot first, so the successor can take it at once.
      this.slot.endpoint.close();
      this.slot = null;
    }
    for (const endpoint of this.oldSlots) endpoint.close();
    this.oldSlots = [];
    this.endpoint?.close();
    this.endpoint = null;
    if (this.dial) {
      const dial = this.dial;
      this.dial = null;
      dial.link.close();
    }
    this.lobbyLink?.close();
    this.lobbyLink = null;
    const bye = encodeControl({ t: 'bye' });
    for (const member of this.members.values()) {
      if (!member.link) continue;
      if (sayBye) member.link.sendControl(bye);
      member.link.close();
    }
    for (const guest of this.guests.values()) guest.link.close();
    this.guests.clear();
    this.members.clear();
    this.coordinatorId = null;
    this.pendingClaim = null;
    this.emitParticipants();
  }

  private fail(err: KibitzError): void {
    this.teardown(false);
    this.setStatus('failed');
    this.emit('error', { code: err.code, message: err.message });
    this.rejectJoin(err);
  }

  private refuse(reason: string): void {
    this.teardown(false);
    this.setStatus('refused');
    this.emit('refused', { reason });
    this.rejectJoin(new KibitzError('ERR_REFUSED', `the room refused to admit this peer: ${reason}`));
  }

  /** The host layer ends this peer's membership (kicked). */
  endAs(status: 'kicked' | 'refused', reason: string): void {
    this.teardown(false);
    this.setStatus(status);
    if (status === 'refused') this.emit('refused', { reason });
    this.rejectJoin(new KibitzError(status === 'kicked' ? 'ERR_KICKED' : 'ERR_REFUSED', reason));
  }

  private setStatus(status: RoomStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.emit('state', { state: status });
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

  private describe(member: Member): Participant {
    const { entry } = member;
    return {
      id: entry.id,
      name: entry.name,
      kind: entry.kind,
      self: entry.id === this.selfId,
      coordinator: entry.id === this.coordinatorId,
      host: entry.id === this.hostId,
      audio: entry.audio,
      video: entry.video,
      screen: entry.screen,
      fingerprint: this.fingerprints.get(entry.id) ?? null,
    };
  }

  /** Live fingerprints, filled as links open. */
  private readonly fingerprints = new Map<string, string>();

  private emitParticipants(): void {
    for (const member of this.members.values()) {
      const link = member.link;
      if (link?.isOpen && !this.fingerprints.has(member.entry.id)) {
        void link.fingerprint().then((fp) => {
          if (fp && this.members.get(member.entry.id)?.link === link) {
            this.fingerprints.set(member.entry.id, fp);
            this.emit('participants', { participants: this.participants });
          }
        });
      }
    }
    for (const id of this.fingerprints.keys()) if (!this.members.has(id)) this.fingerprints.delete(id);
    this.emit('participants', { participants: this.participants });
  }
}

type DialOutcome = 'answered' | 'joined' | 'waiting' | 'refused' | 'timeout' | 'expired';

function closeSettled(result: PromiseSettledResult<SignalingEndpoint>): void {
  if (result.status === 'fulfilled') result.value.close();
}

function decodeSignal(value: unknown): SignalData | null {
  const frame = decodeControl(JSON.stringify({ t: 'signal', to: 'x', data: value }));
  return frame && frame.t === 'signal' ? frame.data : null;
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
