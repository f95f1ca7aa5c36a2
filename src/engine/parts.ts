// The engine's composition root: builds every part of a room and connects each to the
// others and to the room's lifecycle. Only the Room calls it, once, in its constructor; the
// parts themselves never see the Room, only the narrow hooks below.
import type { SignalingTransport } from '../signaling/transport.js';
import { KibitzError } from '../errors.js';
import { normalizeFingerprint } from '../crypto/command.js';
import { formatGate, parseGate, readGate, type GateDescriptor } from '../crypto/gate.js';
import { parseInviteSecret, type InviteSecret } from '../crypto/invite.js';
import { deriveRoomKeys, normalizeRoomName } from '../crypto/room-keys.js';
import type { Clock } from './clock.js';
import { Content } from './content.js';
import { Coordinator, type GateDecision, type GateRequest } from './coordinator.js';
import { Entry, type Slot } from './entry.js';
import { FLOOD_BUDGET, FloodBudget } from './flood-budget.js';
import { Gatekeeper, type GateCredential } from './gatekeeper.js';
import { Grants } from './grants.js';
import { MEDIA_SLOTS, type Link, type LinkOptions, type LocalTracks } from './link.js';
import { Membership } from './membership.js';
import { Mesh } from './mesh.js';
import { Moderation } from './moderation.js';
import type { Participant } from './participant.js';
import type { AuditedAct, Departure, LeaveReason, PeerKind, RosterEntry, SignalData } from './protocol.js';
import { encodeControl } from './protocol.js';
import type { RoomEvents, RoomOptions, RoomState, RoomTiming } from './room-types.js';
import { Roster } from './roster.js';
import { MemoryPinStore, Safety } from './safety.js';
import { resolveAcceptFiles, resolveFileLimits } from './transfer.js';

/** What the parts may ask of the room: its lifecycle, its reporting, and how it makes links. */
export interface RoomHooks {
  readonly selfId: string;
  readonly room: string;
  readonly clock: Clock;
  readonly timing: RoomTiming;
  readonly transport: SignalingTransport;
  readonly dropped: { malformed: number; unauthorised: number; flooded: number };
  state(): RoomState;
  coordinating(): boolean;
  /** The coordinator part while this peer coordinates, else null. */
  coordinator(): Coordinator | null;
  generation(): number;
  participants(): Participant[];
  tracks(): LocalTracks;
  /** The tracks a link to `peerId` may carry now (none while verified-only holds it). */
  tracksFor(peerId: string): LocalTracks;
  spawnLink(
    init: Pick<LinkOptions, 'remoteId' | 'dialer' | 'polite' | 'tracks'>,
    own: { signal(link: Link, data: SignalData): void; open(link: Link): void; close?(link: Link, reason: 'closed' | 'failed'): void },
  ): Link;
  sendHello(link: Link): Promise<void>;
  onLinkClosed(link: Link, reason: 'closed' | 'failed'): void;
  becomeCoordinator(slot: Slot | null, fresh: boolean, gone?: Departure[]): void;
  restart(slot: number): void;
  rejoin(): Promise<void>;
  end(state: 'kicked' | 'refused', reason: string): void;
  setState(state: RoomState): void;
  resolveJoin(): void;
  targets(to?: string): string[];
  describe(entry: RosterEntry): Participant;
  emit<K extends keyof RoomEvents>(type: K, detail: RoomEvents[K]): void;
  emitJoin(peer: Participant): void;
  emitCoordinator(peerId: string): void;
  emitControl(): void;
  emitParticipants(): void;
  broadcastHostFrame(cmd: unknown): void;
  fingerprintOf(peerId: string): Promise<string | null>;
  /** What this peer joins as (an invite's kind overrides the declared one). */
  kind(): PeerKind;
  /** Work out every grant again and apply what changed. */
  regrant(): void;
  /** Show (or stop showing) the media `peerId` sends on `link`, as verified-only and its grant allow. */
  showTracks(peerId: string, link: Link): void;
  unshow(link: Link): void;
  /** A receiver's drop for want of a grant: reported to the host. */
  blocked(peerId: string, act: AuditedAct): void;
  /** A member's report of such a drop (heard by the host). */
  audited(reporter: string, peer: string, act: AuditedAct): void;
}

export interface Parts {
  flood: FloodBudget<Link>;
  roster: Roster;
  mesh: Mesh;
  entry: Entry;
  moderation: Moderation;
  content: Content;
  safety: Safety;
  gatekeeper: Gatekeeper;
  grants: Grants;
  /** The kind an invite made this peer (null: none, the declared kind holds). */
  invitedAs: PeerKind | null;
  /** The gate descriptor's canonical text ('' without one): part of the room's keys. */
  gateText: string;
  membership: Membership;
  /** A coordinator part, made when this peer takes the room over. */
  makeCoordinator(): Coordinator;
}

/** The gate option as a descriptor (null: none); throws ERR_BAD_GATE. */
function gateOf(option: RoomOptions['gate']): GateDescriptor | null {
  if (option === undefined || option === null || option === '') return null;
  return typeof option === 'string' ? parseGate(option) : readGate(option);
}

/** The credential option with an invite given as its link text parsed; throws ERR_BAD_INVITE. */
function credentialOf(option: RoomOptions['credential']): GateCredential & { invite: InviteSecret | null } {
  if (option === undefined || option === null) return { invite: null };
  if (typeof option !== 'object') throw new KibitzError('ERR_BAD_ATTRIBUTE', 'credential must be an object');
  const { invite } = option;
  return { ...option, invite: typeof invite === 'string' ? parseInviteSecret(invite) : (invite ?? null) };
}

/** Put this peer's tracks on a link (slots without a track are left as they are). */
function attachTracks(link: Link, tracks: LocalTracks): void {
  for (const slot of MEDIA_SLOTS) if (tracks[slot]) void link.setTrack(slot, tracks[slot] ?? null);
}

export function assemble(room: RoomHooks, options: RoomOptions, random: (length: number) => Uint8Array): Parts {
  const parts = {} as Parts;
  const gate = gateOf(options.gate);
  const gateText = gate ? formatGate(gate) : '';
  const keys = () => deriveRoomKeys(room.room, gateText);
  parts.gateText = gateText;
  if (options.verifiedOnly && (!gate || gate.method === 'names')) {
    throw new KibitzError(
      'ERR_BAD_ATTRIBUTE',
      'verified-only needs a gate with credentials (invite, code, oidc or email): a names list proves nothing',
    );
  }
  parts.flood = new FloodBudget(options.floodBudget ?? FLOOD_BUDGET);
  parts.roster = new Roster(room.selfId);
  parts.mesh = new Mesh({
    selfId: room.selfId,
    clock: room.clock,
    linkOpenMs: room.timing.linkOpenMs,
    roster: () => parts.roster.sorted(),
    makeLink: (remoteId, dialer) =>
      room.spawnLink(
        { remoteId, dialer, polite: room.selfId < remoteId, tracks: room.tracksFor(remoteId) },
        { signal: (l, data) => parts.membership.relaySignal(l, data), open: () => room.emitParticipants() },
      ),
  });
  parts.entry = new Entry(
    {
      selfId: room.selfId,
      transport: room.transport,
      clock: room.clock,
      timing: room.timing,
      generation: () => room.generation(),
      dialLink: (remoteId, handlers) => room.spawnLink({ remoteId, dialer: true, polite: true, tracks: room.tracks() }, handlers),
      relay: (link, data) => parts.membership.relaySignal(link, data),
      hello: (link) => void room.sendHello(link),
      linkClosed: (link, reason) => room.onLinkClosed(link, reason),
      claimed: (slot) => room.becomeCoordinator(slot, true),
      slotSignal: (endpoint, src, signal) => void room.coordinator()?.slotSignal(endpoint, src, signal),
      coordinating: () => room.coordinating(),
      company: () => ({ members: parts.roster.size, guests: room.coordinator()?.guestCount ?? 0 }),
      defer: (slot) => room.restart(slot),
      dropped: (reason) => room.dropped[reason]++,
    },
    keys,
  );
  parts.moderation = new Moderation(
    {
      selfId: room.selfId,
      room: room.room,
      joined: () => room.state() === 'joined',
      coordinating: () => room.coordinating(),
      knocks: () => parts.roster.shared.knocks,
      participants: () => room.participants(),
      fingerprintOf: (peerId) => room.fingerprintOf(peerId),
      broadcast: (cmd) => room.broadcastHostFrame(cmd),
      sendTo: (peerId, cmd) => parts.mesh.sendControl(peerId, encodeControl({ t: 'host', cmd })),
      credentials: (hello, isHost) => parts.gatekeeper.screen(hello, isHost),
    },
    options.host ?? {},
    room.clock,
    options.localFingerprint ?? null,
    options.replayStore ?? null,
  );
  if (options.hostSecret) parts.moderation.adoptKey(options.hostSecret);
  parts.content = new Content({
    selfId: room.selfId,
    clock: room.clock,
    mesh: parts.mesh,
    acceptFiles: resolveAcceptFiles(options.acceptFiles),
    fileLimits: resolveFileLimits(options.fileLimits),
    targets: (to) => room.targets(to),
    who: (peerId) => parts.roster.get(peerId)?.name || peerId,
    report: (type, detail) => room.emit(type, detail),
    malformed: () => void room.dropped.malformed++,
    allows: (peerId, act) => parts.grants.acts(peerId, act),
    blocked: (peerId, act) => room.blocked(peerId, act),
  });
  parts.safety = new Safety({
    selfId: room.selfId,
    room: normalizeRoomName(room.room),
    localFingerprint: options.localFingerprint ?? null,
    clock: room.clock,
    pins: options.pins ?? new MemoryPinStore(),
    random,
    linkOf: (peerId) => parts.mesh.link(peerId),
    nameOf: (peerId) => parts.roster.get(peerId)?.name ?? null,
    report: ({ peerId, ...detail }) => {
      const entry = parts.roster.get(peerId);
      if (!entry) return;
      room.emit('safety', { peer: room.describe(entry), ...detail });
      room.emit('participants', { participants: room.participants() });
    },
  });
  parts.gatekeeper = new Gatekeeper(
    {
      selfId: room.selfId,
      clock: room.clock,
      gate,
      hostKey: options.host?.hostKey ?? null,
      localFingerprint: options.localFingerprint ?? null,
      verifiedOnly: Boolean(options.verifiedOnly),
      keys,
      linkOf: (peerId) => parts.mesh.link(peerId),
      nameOf: (peerId) => parts.roster.get(peerId)?.name ?? (peerId === room.selfId ? '' : null),
      hostId: () => parts.moderation.hostId,
      holdsHostKey: () => parts.moderation.holdsKey,
      report: ({ peerId, refused }) => {
        const entry = parts.roster.get(peerId);
        if (!entry) return;
        if (refused && gate) room.emit('gate', { state: 'refused', method: gate.method, reason: refused, peer: room.describe(entry) });
        room.regrant();
        room.emit('participants', { participants: room.participants() });
      },
      cleared: (peerId) => {
        const link = parts.mesh.link(peerId);
        if (!link) return;
        attachTracks(link, room.tracksFor(peerId));
        room.showTracks(peerId, link);
      },
    },
    credentialOf(options.credential),
  );
  parts.invitedAs = parts.gatekeeper.invitedAs;
  parts.grants = new Grants({
    selfId: room.selfId,
    granted: () => parts.moderation.grants,
    fingerprintOf: (peerId) =>
      peerId === room.selfId ? normalizeFingerprint(options.localFingerprint ?? '') || null : parts.mesh.fingerprintOf(peerId),
    kindOf: (peerId) => {
      if (peerId === room.selfId) return room.kind();
      const entry = parts.roster.get(peerId);
      if (gate?.method !== 'invite') return entry?.kind ?? null;
      // An invite room: the kind the invite names, as this peer verified it; until it has, the
      // coordinator's word (it read the invite at the door).
      const identity = parts.gatekeeper.identityOf(peerId);
      if (identity?.verified) return identity.kind ?? 'person';
      return entry?.kind ?? null;
    },
  });
  parts.membership = new Membership({
    selfId: room.selfId,
    clock: room.clock,
    timing: room.timing,
    roster: parts.roster,
    mesh: parts.mesh,
    entry: parts.entry,
    flood: parts.flood,
    dropped: room.dropped,
    state: () => room.state(),
    coordinating: () => room.coordinating(),
    coordinator: () => room.coordinator(),
    takeOver: (gone) => room.becomeCoordinator(null, false, gone),
    rejoin: () => void room.rejoin(),
    admitted: () => {
      room.setState('joined');
      room.resolveJoin();
    },
    waiting: () => room.setState('waiting'),
    end: (state, reason) => room.end(state, reason),
    command: (from, cmd) => void parts.moderation.handleCommand(from, cmd),
    screen: (cmd) => parts.moderation.screen(cmd),
    forget: (peerId) => parts.content.forget(peerId),
    safety: (link, member, frame) => parts.safety.receive(member, link, frame),
    credential: (link, member, cred) => parts.gatekeeper.receive(member, link, cred),
    audited: (reporter, peer, act) => room.audited(reporter, peer, act),
    unshow: (link) => room.unshow(link),
    report: (type, detail) => room.emit(type, detail),
    describe: (entry) => room.describe(entry),
    participants: () => room.participants(),
    joined: (peer) => room.emitJoin(peer),
    coordinatorChanged: (peerId) => room.emitCoordinator(peerId),
    controlChanged: () => {
      // A roster's record is the coordinator's word: only one that verifies and is newer counts.
      void parts.moderation.handleRecord(parts.roster.shared.record);
      room.emitControl();
    },
    participantsChanged: () => room.emitParticipants(),
  });
  parts.makeCoordinator = () => new Coordinator(coordinatorHost(room, parts));
  const m = parts.moderation;
  m.on('state', ({ record }) => {
    // A newer record is in force here: replicate it (if coordinating) and report the new view.
    parts.roster.shared = { ...parts.roster.shared, record };
    if (room.coordinating()) room.coordinator()!.broadcastRoster([]);
    room.regrant();
    room.emitControl();
  });
  m.on('admit', ({ peerId }) => room.coordinator()?.admitWaiting(peerId));
  m.on('host', ({ peerId }) => parts.gatekeeper.hostChanged(peerId));
  m.on('deny', ({ peerId }) => room.coordinator()?.refuse(peerId, 'denied'));
  m.on('expel', ({ peerId }) => parts.membership.expel(peerId, 'kicked'));
  m.on('ended', ({ reason }) => room.end('kicked', reason));
  for (const type of ['host', 'kick', 'knock', 'lock', 'lobby', 'rejected'] as const) {
    m.on(type, (detail) => room.emit(type, detail as never));
  }
  return parts;
}

function coordinatorHost(room: RoomHooks, parts: Parts) {
  return {
    selfId: room.selfId,
    clock: room.clock,
    timing: room.timing,
    roster: parts.roster,
    mesh: parts.mesh,
    guestLink: (id: string, signal: (link: Link, data: SignalData) => void) =>
      room.spawnLink({ remoteId: id, dialer: false, polite: false, tracks: {} }, { signal, open: () => undefined }),
    sealTo: (id: string, data: SignalData, via: Parameters<Entry['sealTo']>[2]) => void parts.entry.sealTo(id, data, via),
    relay: (link: Link, data: SignalData) => parts.membership.relaySignal(link, data),
    gate: (request: GateRequest): Promise<GateDecision> => parts.moderation.gate(request),
    admitted: (entry: RosterEntry, link: Link) => {
      attachTracks(link, room.tracksFor(entry.id));
      room.emitJoin(room.describe(entry));
      room.emitParticipants();
    },
    controlChanged: () => room.emitControl(),
    removeMember: (id: string, reason: LeaveReason, lingerMs?: number) => parts.membership.removeMember(id, reason, lingerMs),
    dropped: (reason: 'malformed' | 'unauthorised') => void room.dropped[reason]++,
    seesNames: (id: string) => parts.grants.perceives(id, 'roster'),
    doorKind: (id: string) => parts.gatekeeper.doorKind(id),
  };
}
