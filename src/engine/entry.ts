// Getting in through the broker: the room's coordinator slots, the dial loop with its answer
// clocks, handshakes sealed in order, probes between slots, and claiming, holding and
// retiring slots while this peer coordinates. Everything after the first handshake travels
// inside the mesh, never through here.
import { KibitzError } from '../errors.js';
import { openHandshake, sealHandshake, type RoomKeys } from '../crypto/room-keys.js';
import type { SignalingEndpoint, SignalingTransport, SignalMessage, SignalType } from '../signaling/transport.js';
import type { Clock } from './clock.js';
import type { Link } from './link.js';
import { decodeControl, type SignalData } from './protocol.js';

/** Coordinator slots at the broker: a coordinator that finds slot 0 held by a frozen predecessor takes the next. */
export const SLOT_COUNT = 4;
/** A lone coordinator on a spare slot asks the lower slots for the live room every this many pings. */
export const PROBE_EVERY_PINGS = 4;
/**
 * Every broker id of a room starts with this many characters of its signaling id: the slots
 * (`<signalingId>s<n>`) and each joiner's own id (`<prefix><peer id>`). A proxy in front of
 * several brokers hashes on it, so one room's sockets all reach the same broker.
 */
export const ROOM_PREFIX_LENGTH = 12;
/**
 * A coordinator that had to take its slot again after losing the broker re-opens it every this
 * many pings, REHOMES times, to land where a proxy's hash points once that broker is back.
 */
export const REHOME_EVERY_PINGS = 20;
export const REHOMES = 30;

/** `vacated`: the slot that answered was freed before admitting us, and this peer took it. */
export type DialOutcome = 'answered' | 'joined' | 'waiting' | 'refused' | 'timeout' | 'expired' | 'vacated';

export interface Slot {
  index: number;
  endpoint: SignalingEndpoint;
}

export interface EntryTiming {
  answerMs: number;
  reapMs: number;
  linkOpenMs: number;
  joinMs: number;
}

/** What entry needs from the room; it calls nothing else. */
export interface EntryHost {
  readonly selfId: string;
  readonly transport: SignalingTransport;
  readonly clock: Clock;
  readonly timing: EntryTiming;
  /** The room's current generation: work of an older one is abandoned. */
  generation(): number;
  /** A link to a coordinator slot whose handshake this module carries through the broker. */
  dialLink(
    remoteId: string,
    handlers: { signal(link: Link, data: SignalData): void; open(link: Link): void; close(link: Link, reason: 'closed' | 'failed'): void },
  ): Link;
  /** Once admitted, the link's later handshakes travel over the mesh. */
  relay(link: Link, data: SignalData): void;
  /** The link to the coordinator opened: introduce this peer. */
  hello(link: Link): void;
  /** A link this module no longer carries closed. */
  linkClosed(link: Link, reason: 'closed' | 'failed'): void;
  /** This peer won a slot of an empty room. */
  claimed(slot: Slot): void;
  /** A handshake or probe for the coordinator arrived on a held slot. */
  slotSignal(endpoint: SignalingEndpoint, src: string, signal: SignalData): void;
  coordinating(): boolean;
  /** Members and guests of the room this peer coordinates. */
  company(): { members: number; guests: number };
  /** Another coordinator serves this room on `slot`: give ours up and join theirs. */
  defer(slot: number): void;
  /** A frame was dropped as malformed or unauthorised. */
  dropped(reason: 'malformed' | 'unauthorised'): void;
}

export class Entry {
  private keys: RoomKeys | null = null;
  /** This peer's own broker id, held while it joins; a coordinator answers from its slot instead. */
  private endpoint: SignalingEndpoint | null = null;
  private ownEndpoint: Promise<SignalingEndpoint | null> = Promise.resolve(null);
  private sealing: Promise<void> = Promise.resolve();
  private slot: Slot | null = null;
  private oldSlots: SignalingEndpoint[] = [];
  private dial: { target: string; link: Link; settle: (outcome: DialOutcome) => void } | null = null;
  /** The link to the coordinator while this peer waits in the lobby, unrostered. */
  private lobbyLink: Link | null = null;
  private claiming = false;
  /** Slot re-opens left since this peer lost its slot's socket: the broker behind a proxy may change back. */
  private rehomes = 0;

  constructor(
    private readonly host: EntryHost,
    private readonly roomKeys: () => Promise<RoomKeys>,
  ) {}

  /** The broker id prefix this room uses (an opaque hash of the room name). */
  get signalingId(): string | null {
    return this.keys?.signalingId ?? null;
  }

  get slotIndex(): number | null {
    return this.slot?.index ?? null;
  }

  /** Whether `link` is the one this peer is joining (or waiting) through. */
  carries(link: Link): boolean {
    return this.dial?.link === link || this.lobbyLink === link;
  }

  /** Whether `link` is the one still being dialled (not yet answered with a roster). */
  dialling(link: Link): boolean {
    return this.dial?.link === link;
  }

  /** Whether `link` is the lobby link (this peer waits, unrostered). */
  waitingOn(link: Link): boolean {
    return this.lobbyLink === link;
  }

  oldSlotCount(): number {
    return this.oldSlots.length;
  }

  private slotId(index: number): string {
    return `${this.keys!.signalingId}s${index}`;
  }

  /** A peer's id at the broker: the room's prefix, then the peer id. */
  private brokerId(peerId: string): string {
    return this.keys!.signalingId.slice(0, ROOM_PREFIX_LENGTH) + peerId;
  }

  private live(generation: number): boolean {
    return generation === this.host.generation();
  }

  /** Join through the broker: claim slot 0 of an empty room, or dial the coordinator's slot. */
  async enter(generation: number, preferSlot = 0): Promise<void> {
    const { transport, clock, timing, selfId } = this.host;
    this.keys ??= await this.roomKeys();
    const deadline = clock.now() + timing.joinMs;
    const ownOpen = transport.open(this.brokerId(selfId)).then((endpoint) => {
      // Listen at once: an answer to the early offer below can arrive right after OPEN.
      this.endpoint = endpoint;
      endpoint.onmessage = (m) => void this.onJoinerSignal(m);
      endpoint.onclose = () => {
        if (this.endpoint === endpoint) this.endpoint = null;
      };
      return endpoint;
    });
    this.ownEndpoint = ownOpen.catch(() => null);
    const claim =
      preferSlot === 0 ? transport.open(this.slotId(0)) : Promise.reject(new KibitzError('ERR_ID_TAKEN', 'joining a known slot'));
    // Most joiners find the room already claimed: make the offer while the claim is in flight.
    const early = preferSlot === 0 ? this.dialSlot(this.slotId(0), generation) : null;
    const [own, first] = await Promise.allSettled([ownOpen, claim]);
    if (!this.live(generation)) {
      closeSettled(own);
      closeSettled(first);
      return;
    }
    if (first.status === 'fulfilled') {
      this.dial?.settle('timeout');
      this.host.claimed({ index: 0, endpoint: first.value });
      return;
    }
    if (own.status === 'rejected') throw own.reason;
    if ((first.reason as KibitzError).code !== 'ERR_ID_TAKEN') throw first.reason;
    await this.dialLoop(generation, deadline, preferSlot, early);
  }

  private async dialLoop(generation: number, deadline: number, firstSlot: number, early: Promise<DialOutcome> | null): Promise<void> {
    const { clock } = this.host;
    // Slot 0 is dialled twice a round. Held but silent, its holder is most often a live
    // coordinator that lost the offer (its socket was closing as the offer reached the broker:
    // after a broker loss it re-opens its slot now and then, to follow the broker back) or was
    // too busy to answer in time. A successor appears on a spare slot only after the holder has
    // been silent for the reap interval, so when the holder is frozen the second offer delays
    // the spare slots by one answer clock; a newcomer to a room whose frozen coordinator was
    // replaced earlier pays that, until the broker drops the frozen page's socket.
    const round = Array.from({ length: SLOT_COUNT }, (_, step) => (firstSlot + step) % SLOT_COUNT).flatMap((index) =>
      index === 0 ? [0, 0] : [index],
    );
    while (this.live(generation) && clock.now() < deadline) {
      for (const index of round) {
        const outcome = await (early ?? this.dialSlot(this.slotId(index), generation));
        early = null;
        if (!this.live(generation)) return;
        if (outcome === 'joined' || outcome === 'waiting' || outcome === 'refused' || outcome === 'vacated') return;
        if (clock.now() >= deadline) break;
        // Slot 0 did not answer: if its holder is gone (a crashed page's socket closed just after
        // our first claim failed), take it now rather than wait out the spare slots, where nobody
        // is yet. A successor that takes over later finds slot 0 held, takes a spare one and
        // tells us where the room is (see hold), and this lone room joins it.
        if (index === 0 && (await this.claimFirst(generation))) return;
      }
      // No slot answered: the room may have emptied. Claim it if the first slot is free.
      if (await this.claimFirst(generation)) return;
    }
    if (this.live(generation)) throw new KibitzError('ERR_JOIN_TIMEOUT', 'no coordinator answered in time');
  }

  /** Open slot 0 if it is free: its endpoint, or `held` when someone holds it (a broker failure throws). */
  private async openSlot0(): Promise<SignalingEndpoint | 'held'> {
    try {
      return await this.host.transport.open(this.slotId(0));
    } catch (err) {
      if ((err as KibitzError).code === 'ERR_ID_TAKEN') return 'held';
      throw err;
    }
  }

  /** Claim slot 0 if it is free; true when this peer now holds it (or the generation is over). */
  private async claimFirst(generation: number): Promise<boolean> {
    const endpoint = await this.openSlot0();
    if (endpoint === 'held') return !this.live(generation);
    if (this.live(generation)) this.host.claimed({ index: 0, endpoint });
    else endpoint.close();
    return true;
  }

  /** Offer a link to one coordinator slot through the broker and wait for the outcome. */
  private dialSlot(target: string, generation: number): Promise<DialOutcome> {
    const { clock, timing } = this.host;
    return new Promise<DialOutcome>((resolve) => {
      let answered = false;
      let offered = false;
      let timer: unknown = null;
      let watch: unknown = null;
      const settle = (outcome: DialOutcome) => {
        if (this.dial?.link !== link) return;
        this.dial = null;
        clock.clearTimeout(timer);
        clock.clearTimeout(watch);
        if (outcome === 'timeout' || outcome === 'expired' || outcome === 'vacated') link.close();
        resolve(outcome);
      };
      const link = this.host.dialLink(target, {
        signal: (l, data) => {
          // Through the broker until admitted; afterwards over the link itself.
          if (!this.carries(l)) return this.host.relay(l, data);
          // The answer clock starts once the offer leaves: a busy page may take long to make it.
          if (!offered && 'description' in data && data.description.type === 'offer') {
            offered = true;
            void this.sealTo(target, data).then(() => startAnswerClock());
            return;
          }
          void this.sealTo(target, data);
        },
        open: (l) => this.host.hello(l),
        close: (l, reason) => {
          if (this.dial?.link === l) settle('timeout');
          else this.host.linkClosed(l, reason);
        },
      });
      this.dial = {
        target,
        link,
        settle: (outcome) => {
          if (outcome === 'answered') {
            answered = true;
            clock.clearTimeout(timer);
            timer = clock.setTimeout(() => settle('timeout'), timing.linkOpenMs);
            if (target === this.slotId(0)) watchAnswerer();
            return;
          }
          settle(outcome);
        },
      };
      // A coordinator can answer and die before it admits us (its renderer crashing as we dial):
      // the link then goes quiet, and only the long link clock would end the dial. Its slot is
      // freed when its socket closes, so while we wait, try to take slot 0 now and then: taking
      // it means the answerer is gone. This peer then holds the room alone until a successor
      // says where the survivors are (see hold), as when slot 0 did not answer at all.
      const watchAnswerer = () => {
        watch = clock.setTimeout(async () => {
          if (this.dial?.link !== link) return;
          const freed = await this.openSlot0().catch(() => null);
          if (freed === 'held') {
            if (this.dial?.link === link) watchAnswerer();
            return;
          }
          if (!freed) return;
          if (this.dial?.link !== link || !this.live(generation)) return freed.close();
          settle('vacated');
          this.host.claimed({ index: 0, endpoint: freed });
        }, timing.answerMs);
      };
      const startAnswerClock = () => {
        if (answered || this.dial?.link !== link) return;
        clock.clearTimeout(timer);
        // Slot 0 answers at once if anyone holds it. A higher slot is taken by a successor only
        // after the old coordinator went silent: the broker holds our offer until then.
        const wait = target === this.slotId(0) ? timing.answerMs : timing.answerMs + timing.reapMs;
        timer = clock.setTimeout(() => {
          if (!answered && this.live(generation)) settle('timeout');
        }, wait);
      };
      // Until the offer is out, only a generous bound applies.
      timer = clock.setTimeout(() => {
        if (!answered && this.live(generation)) settle('timeout');
      }, timing.linkOpenMs);
    });
  }

  /** The coordinator answered the dial with a roster: this peer is in. */
  admitted(): void {
    this.dial?.settle('joined');
    this.lobbyLink = null;
    this.closeOwnEndpoint();
  }

  /** The coordinator put this peer in the waiting room. */
  waiting(link: Link): boolean {
    if (this.dial?.link !== link) return false;
    this.lobbyLink = link;
    this.dial.settle('waiting');
    return true;
  }

  /** The coordinator refused this peer. */
  refused(link: Link): boolean {
    if (!this.carries(link)) return false;
    this.dial?.settle('refused');
    return true;
  }

  /** A link fault while dialling ends the dial. */
  abandon(link: Link): boolean {
    if (this.dial?.link !== link) return false;
    this.dial.settle('timeout');
    return true;
  }

  /** The lobby link closed: returns whether it was it (the caller knocks again). */
  lobbyClosed(link: Link): boolean {
    if (this.lobbyLink !== link) return false;
    this.lobbyLink = null;
    return true;
  }

  /**
   * Seal a handshake for `dst` and send it through the broker, in the order handshakes were
   * made (the offer before its candidates). `via`: the slot a guest's offer came in on.
   */
  sealTo(dst: string, data: SignalData, via?: SignalingEndpoint): Promise<void> {
    this.sealing = this.sealing.then(() => this.sealNow(dst, data, via)).catch(() => undefined);
    return this.sealing;
  }

  private async sealNow(dst: string, data: SignalData, via?: SignalingEndpoint): Promise<void> {
    const endpoint = via ?? this.endpoint ?? (await this.ownEndpoint);
    if (!endpoint || !this.keys) return;
    // A coordinator answers a guest at the guest's broker id; a joiner writes to a slot.
    if (via) dst = this.brokerId(dst);
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
      this.host.dropped('malformed');
      return;
    }
    if ('description' in signal && signal.description.type === 'answer' && this.dial?.link === dial.link) dial.settle('answered');
    await dial.link.handleSignal(signal);
  }

  // ---- slots, while coordinating ----------------------------------------------------------

  /** Serve the room from `slot`; a fresh room also asks the higher slots for an existing one. */
  hold(slot: Slot, fresh = false): void {
    if (this.slot) this.retire(this.slot.endpoint);
    this.slot = slot;
    slot.endpoint.onmessage = (m) => void this.onSlotSignal(slot.endpoint, m);
    slot.endpoint.onclose = () => {
      if (this.slot?.endpoint !== slot.endpoint) return;
      this.slot = null;
      this.rehomes = REHOMES;
      // The broker went away: keep serving the room and take a slot again when it is back.
    };
    this.dial?.settle('timeout');
    this.closeOwnEndpoint();
    if (fresh) void this.probe(slot.endpoint, 1, SLOT_COUNT);
    // A successor pushed onto a spare slot tells the lower slots at once: a newcomer that took
    // slot 0 of a room whose coordinator had just died waits there alone and joins us now,
    // rather than on its own probe of the higher slots a few seconds later.
    else if (slot.index > 0) void this.announce(slot.endpoint, slot.index);
  }

  private closeOwnEndpoint(): void {
    if (this.endpoint) {
      this.endpoint.close();
      this.endpoint = null;
    }
  }

  /** Offers already on their way to an old slot still get answered for a little while. */
  private retire(endpoint: SignalingEndpoint): void {
    this.oldSlots.push(endpoint);
    this.host.clock.setTimeout(() => {
      endpoint.close();
      this.oldSlots = this.oldSlots.filter((e) => e !== endpoint);
    }, this.host.timing.answerMs * 2);
  }

  /**
   * Presence tick of a coordinator: take slot 0 back (or any slot, after losing ours), and a
   * lone coordinator looks for a live room on the other slots.
   */
  tend(pingCount: number): void {
    // After a broker loss the slot was taken again wherever the proxy sent it; once that broker
    // is back (a restart), the room's newcomers reach it again: re-open the slot for a while to follow them.
    if (this.rehomes > 0 && this.slot && !this.claiming && pingCount % REHOME_EVERY_PINGS === 0) {
      this.rehomes--;
      this.slot.endpoint.close();
      this.slot = null;
    }
    if (!this.slot || this.slot.index > 0) void this.claim(this.slot ? this.slot.index : SLOT_COUNT);
    const { members, guests } = this.host.company();
    const alone = members === 1 && guests === 0;
    if (this.slot && this.slot.index > 0 && alone && pingCount % PROBE_EVERY_PINGS === 0) {
      void this.probe(this.slot.endpoint, 0, this.slot.index);
    }
    // A room with company on a spare slot keeps telling the lower slots where it is (the lone
    // room there may have missed the first word, or been claimed since).
    if (this.slot && this.slot.index > 0 && !alone && pingCount % PROBE_EVERY_PINGS === 0) {
      void this.announce(this.slot.endpoint, this.slot.index);
    }
    // A lone room on slot 0 may have claimed it in the moment a successor was taking over
    // (the live room then sits on a higher slot): keep asking, at half the rate.
    if (this.slot?.index === 0 && alone && pingCount % (PROBE_EVERY_PINGS * 2) === 0) {
      void this.probe(this.slot.endpoint, 1, SLOT_COUNT);
    }
  }

  /** Take the lowest free slot below `below`; one held by a frozen predecessor is skipped and retried later. */
  async claim(below = SLOT_COUNT): Promise<void> {
    if (this.claiming) return;
    this.claiming = true;
    try {
      const generation = this.host.generation();
      for (let index = 0; index < below; index++) {
        if (!this.host.coordinating() || !this.live(generation)) return;
        if (this.slot && this.slot.index <= index) return;
        try {
          const endpoint = await this.host.transport.open(this.slotId(index));
          if (!this.host.coordinating() || !this.live(generation) || (this.slot && this.slot.index <= index)) {
            endpoint.close();
            return;
          }
          this.hold({ index, endpoint });
          return;
        } catch {
          // taken or unreachable: try the next slot
        }
      }
    } finally {
      this.claiming = false;
    }
  }

  /**
   * Ask slots [from, to) whether a live coordinator holds them. A fresh room on slot 0 might be
   * a room that already lives on a higher slot (its coordinator could not take slot 0 for a
   * moment); a coordinator alone on a spare slot may be stranded, its link to the live
   * coordinator broken while both lived. A live coordinator answers `here` (see onSlotSignal).
   */
  private async probe(endpoint: SignalingEndpoint, from: number, to: number): Promise<void> {
    if (!this.keys) return;
    for (let index = from; index < to; index++) {
      endpoint.send(this.slotId(index), 'CANDIDATE', await sealHandshake(this.keys, `${endpoint.id}|CANDIDATE`, { probe: 1 }));
    }
  }

  /**
   * Tell slots [0, below) that this live room serves from a higher slot: the same sealed `here`
   * that answers a probe, so a lone room there gives itself up and joins this one.
   */
  private async announce(endpoint: SignalingEndpoint, below: number): Promise<void> {
    if (!this.keys) return;
    const { members } = this.host.company();
    if (members < 2) return;
    for (let index = 0; index < below; index++) {
      endpoint.send(this.slotId(index), 'CANDIDATE', await sealHandshake(this.keys, `${endpoint.id}|CANDIDATE`, { here: 1, n: members }));
    }
  }

  private async onSlotSignal(endpoint: SignalingEndpoint, message: SignalMessage): Promise<void> {
    if (!this.keys || message.type === 'EXPIRE') return;
    if (message.src === this.brokerId(this.host.selfId)) return; // our own early offer, sent before we won the claim
    if (!/^[A-Za-z0-9]{1,80}$/.test(message.src)) {
      this.host.dropped('unauthorised');
      return;
    }
    const data = await openHandshake(this.keys, `${message.src}|${message.type}`, message.payload);
    if (await this.answerProbe(endpoint, message, data)) return;
    const signal = data === null ? null : decodeSignal(data);
    if (!signal) {
      this.host.dropped('malformed');
      return;
    }
    const prefix = this.keys.signalingId.slice(0, ROOM_PREFIX_LENGTH);
    if (!message.src.startsWith(prefix)) {
      this.host.dropped('unauthorised');
      return;
    }
    if (this.host.coordinating()) this.host.slotSignal(endpoint, message.src.slice(prefix.length), signal);
  }

  private async answerProbe(endpoint: SignalingEndpoint, message: SignalMessage, value: unknown): Promise<boolean> {
    if (!this.keys || typeof value !== 'object' || value === null) return false;
    const { members, guests } = this.host.company();
    if ('probe' in value) {
      const here = { here: 1, n: members };
      if (this.host.coordinating())
        endpoint.send(message.src, 'CANDIDATE', await sealHandshake(this.keys, `${endpoint.id}|CANDIDATE`, here));
      return true;
    }
    if ('here' in value) {
      const index = Array.from({ length: SLOT_COUNT }, (_, i) => i).find((i) => this.slotId(i) === message.src);
      const alone = members === 1 && guests === 0;
      const company = Number((value as { n?: unknown }).n) >= 2;
      // A lone room on slot 0 joins the room on a higher slot; a lone coordinator stranded on
      // a higher slot joins a room with company on a lower one (never both ways at once).
      const up = index !== undefined && index > 0 && this.slot?.index === 0;
      const down = index !== undefined && this.slot !== null && index < this.slot.index && company;
      if (this.host.coordinating() && alone && (up || down)) this.host.defer(index!);
      return true;
    }
    return false;
  }

  /** Let go of everything held at the broker and any link still being dialled. */
  close(): void {
    if (this.slot) {
      // Free the coordinator slot first, so the successor can take it at once.
      this.slot.endpoint.close();
      this.slot = null;
    }
    for (const endpoint of this.oldSlots) endpoint.close();
    this.oldSlots = [];
    this.closeOwnEndpoint();
    if (this.dial) {
      const dial = this.dial;
      this.dial = null;
      dial.link.close();
    }
    this.lobbyLink?.close();
    this.lobbyLink = null;
  }
}

function closeSettled(result: PromiseSettledResult<SignalingEndpoint>): void {
  if (result.status === 'fulfilled') result.value.close();
}

/** Validate a handshake that arrived through the broker exactly as a relayed one would be. */
export function decodeSignal(value: unknown): SignalData | null {
  const frame = decodeControl(JSON.stringify({ t: 'signal', to: 'x', data: value }));
  return frame && frame.t === 'signal' ? frame.data : null;
}
