// The engine's lifecycle on an element: make a Room when the page joins, turn its events
// into `kibitz-*` DOM events, re-render the host when anything changes, leave when the
// element leaves the page. The engine is the one source of truth: the controller reads the
// roster, host and room control from it and keeps only what the engine does not (remote
// streams by peer, links being reconnected, the last error).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { KibitzError, toKibitzError } from '../errors.js';
import { Room, type FileOffer, type IncomingFile, type Participant, type RoomOptions, type RoomState } from '../engine/room.js';
import type { MediaSlot } from '../engine/link.js';
import type { SafetyAlarm } from '../engine/safety.js';
import {
  KibitzConnectionEvent,
  KibitzCoordinatorEvent,
  KibitzErrorEvent,
  KibitzFileEvent,
  KibitzFileOfferEvent,
  KibitzHostEvent,
  KibitzJoinEvent,
  KibitzKickEvent,
  KibitzKnockEvent,
  KibitzLeaveEvent,
  KibitzLobbyEvent,
  KibitzLockEvent,
  KibitzMessageEvent,
  KibitzParticipantsEvent,
  KibitzProgressEvent,
  KibitzRefusedEvent,
  KibitzSafetyEvent,
  KibitzGateEvent,
  KibitzGrantEvent,
  KibitzAuditEvent,
  KibitzStateEvent,
  KibitzTrackEvent,
  KibitzChatEvent,
} from './events.js';
import { chatText, isChatEnvelope } from './ui/chat.js';
import type { CallParticipant } from './call-types.js';

export interface RoomControllerHooks {
  /** Everything a Room needs, read from the element (attributes, certificate, local media). Throws on a bad attribute. */
  prepare(): Promise<RoomOptions>;
  /** The Room exists (its name is known); it is about to join. */
  created?(engine: Room): void;
  /** The call is over for this peer (left, failed, refused, kicked): release the devices. */
  ended(): void;
  /** Whether the element can show its own file prompt (false when headless). */
  canPrompt(): boolean;
  /** A chat message from another participant (before `kibitz-chat` fires). */
  chat?(peer: Participant, text: string, at: number): void;
  /** The roster as the page sees it (what this browser measures added); `kibitz-participants` carries it. */
  describe(participants: Participant[]): CallParticipant[];
}

/** A file offer the element's own prompt is asking about. */
export interface PromptedOffer {
  id: string;
  peer: Participant;
  name: string;
  size: number;
  accept(): void;
  reject(): void;
}

/** A file accepted through the element's own prompt, ready to save. */
export interface SavedFile {
  id: string;
  name: string;
  from: string;
  /** A blob URL (revoked when dismissed or when the call is replaced). */
  url: string;
}

/** The states in which the current engine is still in (or on its way into) the call. */
const LIVE: readonly RoomState[] = ['connecting', 'joined', 'waiting'];
const OVER: readonly RoomState[] = ['left', 'failed', 'refused', 'kicked'];

export class RoomController implements ReactiveController {
  /** The engine of the current or last call; null before the first join. */
  engine: Room | null = null;
  /** Peers whose direct link is being reconnected. */
  readonly reconnecting = new Set<string>();
  /** The message of the last error reported, until the next successful join. */
  lastError: string | null = null;
  /** The last safety alarm about each participant still here, until it is confirmed verified. */
  readonly alarms = new Map<string, SafetyAlarm>();
  /** Offers no page listener took, waiting in the element's own prompt. */
  offers: PromptedOffer[] = [];
  /** Files accepted in the element's own prompt, until dismissed. */
  saved: SavedFile[] = [];

  /** The state while no engine speaks for it: `connecting` while one is being made, `failed` or `left` if it never was. */
  private preparing: RoomState | null = null;
  /** The last state announced with `kibitz-state`. */
  private announced: RoomState = 'idle';
  private joining: Promise<void> | null = null;
  /** Bumped by leave(): a join still preparing sees it and gives up. */
  private generation = 0;
  private readonly remote = new Map<string, { camera: MediaStream; screen: MediaStream }>();
  /** Slots of peers whose tracks arrived before they were rostered; `kibitz-track` waits for the roster. */
  private readonly unannounced = new Map<string, Set<MediaSlot>>();
  private unsubscribe: (() => void)[] = [];
  /** Ids of transfers accepted in the built-in prompt: they arrive as saved files. */
  private readonly prompted = new Set<string>();

  constructor(
    private readonly host: ReactiveControllerHost & EventTarget,
    private readonly hooks: RoomControllerHooks,
  ) {
    host.addController(this);
  }

  get state(): RoomState {
    return this.preparing ?? this.engine?.state ?? 'idle';
  }

  get participants(): Participant[] {
    return this.engine?.participants ?? [];
  }

  /** A remote participant's camera (with its audio) or screen stream. */
  stream(peerId: string, kind: 'camera' | 'screen'): MediaStream | null {
    return this.remote.get(peerId)?.[kind] ?? null;
  }

  hostDisconnected(): void {
    this.leave();
  }

  /** Join, or wait for the join already under way. */
  join(): Promise<void> {
    this.joining ??= this.start().finally(() => {
      this.joining = null;
    });
    return this.joining;
  }

  leave(): void {
    this.generation++;
    if (this.preparing === 'connecting') this.settle('left');
    this.engine?.leave();
    this.hooks.ended();
  }

  /** Dispatch `kibitz-error` and hand the error back for throwing. */
  report(err: KibitzError): KibitzError {
    this.lastError = err.message;
    this.host.dispatchEvent(new KibitzErrorEvent({ code: err.code, message: err.message }));
    this.host.requestUpdate();
    return err;
  }

  private async start(): Promise<void> {
    if (this.engine && LIVE.includes(this.engine.state)) return this.engine.join();
    this.replace(null);
    const generation = this.generation;
    this.settle('connecting');
    let engine: Room;
    try {
      const options = await this.hooks.prepare();
      if (generation !== this.generation) throw new Error('left while preparing');
      engine = new Room(options);
    } catch (err) {
      // leave() during the preparation already announced `left`; anything else is a failure.
      const left = generation !== this.generation;
      const error = left ? new KibitzError('ERR_LEFT', 'left before joining') : toKibitzError(err, 'ERR_BAD_ATTRIBUTE');
      if (!left) {
        this.report(error);
        this.settle('failed');
      }
      this.hooks.ended();
      throw error;
    }
    this.preparing = null;
    this.replace(engine);
    this.hooks.created?.(engine);
    await engine.join();
  }

  /** Set the state of a call that has no engine, and announce it. */
  private settle(state: RoomState): void {
    this.preparing = state;
    this.announce();
  }

  private announce(): void {
    const state = this.state;
    this.host.requestUpdate();
    if (state === this.announced) return;
    this.announced = state;
    if (state === 'joined') this.lastError = null;
    this.host.dispatchEvent(new KibitzStateEvent({ state }));
  }

  /** Swap the engine; the replaced one's events are no longer heard. */
  private replace(engine: Room | null): void {
    for (const off of this.unsubscribe) off();
    this.engine = engine;
    this.remote.clear();
    this.unannounced.clear();
    this.reconnecting.clear();
    this.offers = [];
    this.prompted.clear();
    for (const file of this.saved) URL.revokeObjectURL(file.url);
    this.saved = [];
    this.unsubscribe = engine ? this.listen(engine) : [];
  }

  private listen(engine: Room): (() => void)[] {
    // Events that change what the element shows re-render it; data events (message, file,
    // progress) come by the thousand and change nothing on screen.
    const fire = (event: Event) => {
      this.host.dispatchEvent(event);
      this.host.requestUpdate();
    };
    const tell = (event: Event) => this.host.dispatchEvent(event);
    return [
      engine.on('state', ({ state }) => {
        this.announce();
        if (OVER.includes(state)) this.hooks.ended();
      }),
      engine.on('join', (detail) => fire(new KibitzJoinEvent(detail))),
      engine.on('leave', (detail) => {
        const id = detail.peer.id;
        this.remote.delete(id);
        this.unannounced.delete(id);
        this.reconnecting.delete(id);
        fire(new KibitzLeaveEvent(detail));
      }),
      engine.on('participants', (detail) => {
        fire(new KibitzParticipantsEvent({ participants: this.hooks.describe(detail.participants) }));
        for (const [peerId, slots] of this.unannounced) {
          if (!detail.participants.some((p) => p.id === peerId)) continue;
          this.unannounced.delete(peerId);
          for (const slot of slots) this.announceTrack(peerId, slot);
        }
      }),
      engine.on('track', ({ peerId, slot, track }) => {
        let streams = this.remote.get(peerId);
        if (!streams) this.remote.set(peerId, (streams = { camera: new MediaStream(), screen: new MediaStream() }));
        const stream = slot === 'screen' ? streams.screen : streams.camera;
        for (const old of stream.getTracks()) if (old.kind === track.kind && old !== track) stream.removeTrack(old);
        if (!stream.getTracks().includes(track)) stream.addTrack(track);
        this.announceTrack(peerId, slot);
      }),
      engine.on('untrack', ({ peerId, slot }) => {
        // Its sender lost the grant for this media: stop showing it.
        const streams = this.remote.get(peerId);
        const stream = slot === 'screen' ? streams?.screen : streams?.camera;
        const kind = slot === 'audio' ? 'audio' : 'video';
        for (const track of stream?.getTracks() ?? []) if (track.kind === kind) stream!.removeTrack(track);
        this.host.requestUpdate();
      }),
      engine.on('grant', (detail) => fire(new KibitzGrantEvent(detail))),
      engine.on('audit', (detail) => tell(new KibitzAuditEvent(detail))),
      engine.on('connection', (detail) => {
        if (detail.state === 'reconnecting') this.reconnecting.add(detail.peerId);
        else this.reconnecting.delete(detail.peerId);
        fire(new KibitzConnectionEvent(detail));
      }),
      engine.on('message', (detail) => {
        if (isChatEnvelope(detail.data)) return this.chatted(detail.peerId, detail.data);
        tell(new KibitzMessageEvent(detail));
      }),
      engine.on('offer', (offer) => this.offered(offer)),
      engine.on('file', (detail) => {
        this.keep(detail);
        tell(new KibitzFileEvent(detail));
      }),
      engine.on('progress', (detail) => tell(new KibitzProgressEvent(detail))),
      engine.on('coordinator', (detail) => fire(new KibitzCoordinatorEvent(detail))),
      engine.on('error', ({ code, message }) => this.report(new KibitzError(code, message))),
      engine.on('refused', (detail) => fire(new KibitzRefusedEvent(detail))),
      engine.on('gate', (detail) => fire(new KibitzGateEvent(detail))),
      engine.on('control', () => this.host.requestUpdate()),
      engine.on('host', (detail) => fire(new KibitzHostEvent(detail))),
      engine.on('kick', (detail) => fire(new KibitzKickEvent(detail))),
      engine.on('knock', (detail) => fire(new KibitzKnockEvent(detail))),
      engine.on('lock', (detail) => fire(new KibitzLockEvent(detail))),
      engine.on('lobby', (detail) => fire(new KibitzLobbyEvent(detail))),
      engine.on('safety', (detail) => {
        if (detail.alarm) this.alarms.set(detail.peer.id, detail.alarm);
        else if (detail.trust === 'verified') this.alarms.delete(detail.peer.id);
        fire(new KibitzSafetyEvent(detail));
      }),
      engine.on('leave', ({ peer }) => this.alarms.delete(peer.id)),
    ];
  }

  /** Forget a file offered to the built-in prompt, or drop a saved one and its URL. */
  dismiss(id: string): void {
    for (const file of this.saved) if (file.id === id) URL.revokeObjectURL(file.url);
    this.saved = this.saved.filter((f) => f.id !== id);
    this.offers = this.offers.filter((o) => o.id !== id);
    this.host.requestUpdate();
  }

  /**
   * Ask the page first (`kibitz-file-offer`); an offer no listener decided or took with
   * preventDefault() goes to the element's own prompt, or is declined when there is none.
   */
  private offered(offer: FileOffer): void {
    const peer = this.participants.find((p) => p.id === offer.peerId);
    if (!peer) return offer.reject();
    let decided = false;
    const accept = () => ((decided = true), offer.accept());
    const reject = () => ((decided = true), offer.reject());
    const { id, to, name, type, size, settled } = offer;
    const event = new KibitzFileOfferEvent({ id, peer, to, name, type, size, accept, reject, settled });
    if (!this.host.dispatchEvent(event) || decided) return;
    if (!this.hooks.canPrompt()) return offer.reject();
    this.offers = [...this.offers, { id, peer, name, size, accept: () => (this.prompted.add(id), accept()), reject }];
    void settled.then(() => {
      this.offers = this.offers.filter((o) => o.id !== id);
      this.host.requestUpdate();
    });
    this.host.requestUpdate();
  }

  private keep(file: IncomingFile): void {
    if (!this.prompted.delete(file.id)) return;
    const from = this.participants.find((p) => p.id === file.peerId)?.name || 'Guest';
    this.saved = [...this.saved, { id: file.id, name: file.name || 'file', from, url: URL.createObjectURL(file.data) }];
    this.host.requestUpdate();
  }

  /** The reserved chat envelope: `kibitz-chat`, never `kibitz-message`; a malformed one is dropped. */
  private chatted(peerId: string, data: unknown): void {
    const text = chatText(data);
    const peer = this.participants.find((p) => p.id === peerId);
    if (text === null || !peer) return;
    const at = Date.now();
    this.hooks.chat?.(peer, text, at);
    this.host.dispatchEvent(new KibitzChatEvent({ peer, text, at }));
  }

  /** `kibitz-track` names the participant, so it fires once the peer is in the roster. */
  private announceTrack(peerId: string, slot: MediaSlot): void {
    const peer = this.participants.find((p) => p.id === peerId);
    const stream = this.stream(peerId, slot === 'screen' ? 'screen' : 'camera');
    if (peer && stream) {
      this.host.dispatchEvent(new KibitzTrackEvent({ peer, slot, stream }));
    } else {
      let slots = this.unannounced.get(peerId);
      if (!slots) this.unannounced.set(peerId, (slots = new Set()));
      slots.add(slot);
    }
    this.host.requestUpdate();
  }
}
