// The engine's lifecycle on an element: make a Room when the page joins, turn its events
// into `kibitz-*` DOM events, re-render the host when anything changes, leave when the
// element leaves the page. The engine is the one source of truth: the controller reads the
// roster, host and room control from it and keeps only what the engine does not (remote
// streams by peer, links being reconnected, the last error).
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { KibitzError, toKibitzError } from '../errors.js';
import type { Room, Participant, RoomOptions, RoomState } from '../engine/room.js';
import type { MediaSlot } from '../engine/link.js';
import type { SafetyAlarm } from '../engine/safety.js';
import { KibitzErrorEvent, KibitzStateEvent } from './events.js';
import { loadCall } from './load-call.js';
import type { CallEvents } from './room-events.js';
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

/** What the call's event wiring (room-events.ts) reads and keeps on the controller. */
export type CallSink = Pick<
  RoomController,
  | 'host'
  | 'hooks'
  | 'participants'
  | 'remote'
  | 'unannounced'
  | 'reconnecting'
  | 'alarms'
  | 'offers'
  | 'saved'
  | 'prompted'
  | 'stream'
  | 'announce'
  | 'report'
>;

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

  readonly remote = new Map<string, { camera: MediaStream; screen: MediaStream }>();
  /** Slots of peers whose tracks arrived before they were rostered; `kibitz-track` waits for the roster. */
  readonly unannounced = new Map<string, Set<MediaSlot>>();
  /** Ids of transfers accepted in the built-in prompt: they arrive as saved files. */
  readonly prompted = new Set<string>();

  /** The state while no engine speaks for it: `connecting` while one is being made, `failed` or `left` if it never was. */
  private preparing: RoomState | null = null;
  /** The last state announced with `kibitz-state`. */
  private announced: RoomState = 'idle';
  private joining: Promise<void> | null = null;
  /** Bumped by leave(): a join still preparing sees it and gives up. */
  private generation = 0;
  private unsubscribe: (() => void)[] = [];
  /** Turns the engine's events into DOM events; its code arrives with the engine's. */
  private events: CallEvents | null = null;

  constructor(
    readonly host: ReactiveControllerHost & EventTarget,
    readonly hooks: RoomControllerHooks,
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
      // The call's code is fetched beside the devices and the certificate (script-tag build).
      const [{ Room, CallEvents }, options] = await Promise.all([loadCall(), this.hooks.prepare()]);
      if (generation !== this.generation) throw new Error('left while preparing');
      engine = new Room(options);
      this.events ??= new CallEvents(this);
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

  /** Re-render, and announce the state with `kibitz-state` if it changed. */
  announce(): void {
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
    this.unsubscribe = engine && this.events ? this.events.listen(engine) : [];
  }

  /** Forget a file offered to the built-in prompt, or drop a saved one and its URL. */
  dismiss(id: string): void {
    for (const file of this.saved) if (file.id === id) URL.revokeObjectURL(file.url);
    this.saved = this.saved.filter((f) => f.id !== id);
    this.offers = this.offers.filter((o) => o.id !== id);
    this.host.requestUpdate();
  }
}
