// A call's events, from the engine to the page: each engine event becomes its `kibitz-*` DOM
// event, with what the element keeps from it (remote streams, file offers for the built-in
// prompt, safety alarms). Part of a call's code (call-parts.ts), loaded at join(); the
// controller that owns that state (room-controller.ts) stays in the bundle.
import { KibitzError } from '../errors.js';
import type { FileOffer, IncomingFile, Room } from '../engine/room.js';
import type { MediaSlot } from '../engine/link.js';
import {
  KibitzAuditEvent,
  KibitzChatEvent,
  KibitzConnectionEvent,
  KibitzCoordinatorEvent,
  KibitzFileEvent,
  KibitzFileOfferEvent,
  KibitzGateEvent,
  KibitzGrantEvent,
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
  KibitzTrackEvent,
} from './events.js';
import type { CallSink } from './room-controller.js';
import { chatText, isChatEnvelope } from './ui/chat.js';

const OVER = ['left', 'failed', 'refused', 'kicked'];

export class CallEvents {
  constructor(private readonly call: CallSink) {}

  /** Hear `engine`'s events; the functions returned stop hearing them. */
  listen(engine: Room): (() => void)[] {
    // Events that change what the element shows re-render it; data events (message, file,
    // progress) come by the thousand and change nothing on screen.
    const fire = (event: Event) => {
      this.call.host.dispatchEvent(event);
      this.call.host.requestUpdate();
    };
    const tell = (event: Event) => this.call.host.dispatchEvent(event);
    return [
      engine.on('state', ({ state }) => {
        this.call.announce();
        if (OVER.includes(state)) this.call.hooks.ended();
      }),
      engine.on('join', (detail) => fire(new KibitzJoinEvent(detail))),
      engine.on('leave', (detail) => {
        const id = detail.peer.id;
        this.call.remote.delete(id);
        this.call.unannounced.delete(id);
        this.call.reconnecting.delete(id);
        fire(new KibitzLeaveEvent(detail));
      }),
      engine.on('participants', (detail) => {
        fire(new KibitzParticipantsEvent({ participants: this.call.hooks.describe(detail.participants) }));
        for (const [peerId, slots] of this.call.unannounced) {
          if (!detail.participants.some((p) => p.id === peerId)) continue;
          this.call.unannounced.delete(peerId);
          for (const slot of slots) this.announceTrack(peerId, slot);
        }
      }),
      engine.on('track', ({ peerId, slot, track }) => {
        let streams = this.call.remote.get(peerId);
        if (!streams) this.call.remote.set(peerId, (streams = { camera: new MediaStream(), screen: new MediaStream() }));
        const stream = slot === 'screen' ? streams.screen : streams.camera;
        for (const old of stream.getTracks()) if (old.kind === track.kind && old !== track) stream.removeTrack(old);
        if (!stream.getTracks().includes(track)) stream.addTrack(track);
        this.announceTrack(peerId, slot);
      }),
      engine.on('untrack', ({ peerId, slot }) => {
        // Its sender lost the grant for this media: stop showing it.
        const streams = this.call.remote.get(peerId);
        const stream = slot === 'screen' ? streams?.screen : streams?.camera;
        const kind = slot === 'audio' ? 'audio' : 'video';
        for (const track of stream?.getTracks() ?? []) if (track.kind === kind) stream!.removeTrack(track);
        this.call.host.requestUpdate();
      }),
      engine.on('grant', (detail) => fire(new KibitzGrantEvent(detail))),
      engine.on('audit', (detail) => tell(new KibitzAuditEvent(detail))),
      engine.on('connection', (detail) => {
        if (detail.state === 'reconnecting') this.call.reconnecting.add(detail.peerId);
        else this.call.reconnecting.delete(detail.peerId);
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
      engine.on('error', ({ code, message }) => this.call.report(new KibitzError(code, message))),
      engine.on('refused', (detail) => fire(new KibitzRefusedEvent(detail))),
      engine.on('gate', (detail) => fire(new KibitzGateEvent(detail))),
      engine.on('control', () => this.call.host.requestUpdate()),
      engine.on('host', (detail) => fire(new KibitzHostEvent(detail))),
      engine.on('kick', (detail) => fire(new KibitzKickEvent(detail))),
      engine.on('knock', (detail) => fire(new KibitzKnockEvent(detail))),
      engine.on('lock', (detail) => fire(new KibitzLockEvent(detail))),
      engine.on('lobby', (detail) => fire(new KibitzLobbyEvent(detail))),
      engine.on('safety', (detail) => {
        if (detail.alarm) this.call.alarms.set(detail.peer.id, detail.alarm);
        else if (detail.trust === 'verified') this.call.alarms.delete(detail.peer.id);
        fire(new KibitzSafetyEvent(detail));
      }),
      engine.on('leave', ({ peer }) => this.call.alarms.delete(peer.id)),
    ];
  }

  /**
   * Ask the page first (`kibitz-file-offer`); an offer no listener decided or took with
   * preventDefault() goes to the element's own prompt, or is declined when there is none.
   */
  private offered(offer: FileOffer): void {
    const peer = this.call.participants.find((p) => p.id === offer.peerId);
    if (!peer) return offer.reject();
    let decided = false;
    const accept = () => ((decided = true), offer.accept());
    const reject = () => ((decided = true), offer.reject());
    const { id, to, name, type, size, settled } = offer;
    const event = new KibitzFileOfferEvent({ id, peer, to, name, type, size, accept, reject, settled });
    if (!this.call.host.dispatchEvent(event) || decided) return;
    if (!this.call.hooks.canPrompt()) return offer.reject();
    this.call.offers = [...this.call.offers, { id, peer, name, size, accept: () => (this.call.prompted.add(id), accept()), reject }];
    void settled.then(() => {
      this.call.offers = this.call.offers.filter((o) => o.id !== id);
      this.call.host.requestUpdate();
    });
    this.call.host.requestUpdate();
  }

  private keep(file: IncomingFile): void {
    if (!this.call.prompted.delete(file.id)) return;
    const from = this.call.participants.find((p) => p.id === file.peerId)?.name || 'Guest';
    this.call.saved = [...this.call.saved, { id: file.id, name: file.name || 'file', from, url: URL.createObjectURL(file.data) }];
    this.call.host.requestUpdate();
  }

  /** The reserved chat envelope: `kibitz-chat`, never `kibitz-message`; a malformed one is dropped. */
  private chatted(peerId: string, data: unknown): void {
    const text = chatText(data);
    const peer = this.call.participants.find((p) => p.id === peerId);
    if (text === null || !peer) return;
    const at = Date.now();
    this.call.hooks.chat?.(peer, text, at);
    this.call.host.dispatchEvent(new KibitzChatEvent({ peer, text, at }));
  }

  /** `kibitz-track` names the participant, so it fires once the peer is in the roster. */
  private announceTrack(peerId: string, slot: MediaSlot): void {
    const peer = this.call.participants.find((p) => p.id === peerId);
    const stream = this.call.stream(peerId, slot === 'screen' ? 'screen' : 'camera');
    if (peer && stream) {
      this.call.host.dispatchEvent(new KibitzTrackEvent({ peer, slot, stream }));
    } else {
      let slots = this.call.unannounced.get(peerId);
      if (!slots) this.call.unannounced.set(peerId, (slots = new Set()));
      slots.add(slot);
    }
    this.call.host.requestUpdate();
  }
}
