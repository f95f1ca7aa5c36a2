// A link over one RTCPeerConnection: negotiated control and content data channels, three
// fixed media transceivers (audio, camera, screen) whose tracks are swapped with
// replaceTrack, and perfect negotiation so either side may renegotiate without glare.
import { buf, toHex } from '../crypto/bytes.js';
import type { SignalData } from './protocol.js';
import { ContentQueue, LOW_WATER } from './content-queue.js';
import { MEDIA_SLOTS, type Link, type LinkFactory, type LinkOptions, type MediaSlot } from './link.js';

export interface RtcConfig {
  iceServers?: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  certificates?: RTCCertificate[];
  /** Injected for tests; defaults to the global RTCPeerConnection. */
  RTCPeerConnection?: typeof RTCPeerConnection;
  /** How long a failed connection may try an ICE restart before the link is given up. */
  restartTimeoutMs?: number;
  /** Relay-only: how long gathering may go without a relay candidate before the link fails closed. */
  relayTimeoutMs?: number;
}

/** An open link's renegotiation offer unanswered this long is rolled back and made again. */
const REOFFER_MS = 4000;

/** A factory of RtcLinks whose ICE servers can be replaced while the call goes on. */
export interface RtcLinkFactory extends LinkFactory {
  /**
   * New ICE servers (fresh TURN credentials): links made from now on use them, and so does
   * every live link's next gathering (an ICE restart).
   */
  setIceServers(servers: RTCIceServer[]): void;
}

export function rtcLinkFactory(config: RtcConfig = {}): RtcLinkFactory {
  const own = { ...config };
  const live = new Set<RtcLink>();
  const factory: LinkFactory = (options) => {
    const link = new RtcLink(options, own, (gone) => live.delete(gone));
    live.add(link);
    return link;
  };
  return Object.assign(factory, {
    setIceServers(servers: RTCIceServer[]) {
      own.iceServers = servers;
      for (const link of live) link.setIceServers(servers);
    },
  });
}

/** Lowercase, colon-separated hex of a SHA-256 digest. */
export function formatFingerprint(digest: Uint8Array): string {
  return toHex(digest).replace(/(..)(?!$)/g, '$1:');
}

export class RtcLink implements Link {
  remoteId: string;
  readonly pc: RTCPeerConnection;
  private readonly control: RTCDataChannel;
  private readonly content: RTCDataChannel;
  private readonly options: LinkOptions;
  private readonly restartTimeoutMs: number;
  private makingOffer = false;
  private ignoreOffer = false;
  private pendingCandidates: RTCIceCandidateInit[] = [];
  private controlQueue: string[] = [];
  private readonly outbox: ContentQueue;
  private transceivers: RTCRtpTransceiver[] = [];
  private tracks: Partial<Record<MediaSlot, MediaStreamTrack | null>>;
  private closed = false;
  private opened = false;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Renegotiation whose answer has not come: offered again once it is overdue. */
  private answerTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether an offer from here would renegotiate (not a dialer's first offer). */
  private renegotiating: boolean;
  private relayTimer: ReturnType<typeof setTimeout> | undefined;
  private relayGathered = false;
  private cachedFingerprint: string | null = null;

  constructor(
    options: LinkOptions,
    config: RtcConfig,
    private readonly gone?: (link: RtcLink) => void,
  ) {
    this.options = options;
    this.remoteId = options.remoteId;
    this.tracks = { ...options.tracks };
    this.restartTimeoutMs = config.restartTimeoutMs ?? 10_000;
    this.renegotiating = !options.dialer;
    const PC = config.RTCPeerConnection ?? globalThis.RTCPeerConnection;
    this.pc = new PC({
      iceServers: config.iceServers ?? [],
      iceTransportPolicy: config.iceTransportPolicy ?? 'all',
      certificates: config.certificates,
      bundlePolicy: 'max-bundle',
    });
    this.control = this.pc.createDataChannel('control', { negotiated: true, id: 0, ordered: true });
    this.content = this.pc.createDataChannel('content', { negotiated: true, id: 1, ordered: true });
    this.content.binaryType = 'arraybuffer';
    this.content.bufferedAmountLowThreshold = LOW_WATER;
    const content = this.content;
    this.outbox = new ContentQueue({
      isOpen: () => content.readyState === 'open',
      bufferedAmount: () => content.bufferedAmount,
      send: (frame) => (typeof frame === 'string' ? content.send(frame) : content.send(buf(frame))),
    });
    this.wire();
    if (options.dialer && options.media) this.addTransceivers();
    if (config.iceTransportPolicy === 'relay') {
      // Relay-only gathers nothing but TURN relay candidates. An unreachable TURN server yields
      // none, and Chromium keeps gathering for a long time without saying so: fail closed and
      // clearly instead of waiting for a join timeout.
      this.relayTimer = setTimeout(() => this.noRelay(), config.relayTimeoutMs ?? 8000);
    }
  }

  private noRelay(): void {
    if (this.closed || this.relayGathered || this.opened) return;
    this.options.handlers.fault?.(
      'ERR_NO_RELAY',
      'relay-only: no TURN relay candidate could be gathered (is the TURN server reachable?); not connecting directly',
    );
    this.shutdown('failed');
  }

  /**
   * Relay-only: a link that dies before it ever gathered a relay candidate died for want of
   * one, and says so. Firefox keeps trying an unreachable TURN server over UDP for ~11 s, but
   * the far end's ICE gives up sooner and the channels close: without this a joiner would
   * redial until its join timed out instead of failing closed with ERR_NO_RELAY.
   */
  private diedWithoutRelay(): boolean {
    if (this.relayTimer === undefined || this.closed || this.relayGathered || this.opened) return false;
    this.noRelay();
    return true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  private wire(): void {
    const { handlers } = this.options;
    const pc = this.pc;
    pc.onnegotiationneeded = () => void this.offer();
    pc.onicecandidate = ({ candidate }) => {
      if (candidate?.type === 'relay') this.relayGathered = true;
      if (!candidate && this.relayTimer !== undefined && !this.relayGathered) this.noRelay();
      handlers.signal({ candidate: candidate ? { ...candidate.toJSON(), candidate: candidate.candidate } : null });
    };
    pc.ontrack = ({ transceiver, track }) => {
      const slot = this.slotOf(transceiver);
      if (slot) handlers.track?.(slot, track);
    };
    pc.onconnectionstatechange = () => this.onConnectionState();
    this.control.onopen = () => {
      if (this.closed) return;
      this.opened = true;
      for (const frame of this.controlQueue) this.control.send(frame);
      this.controlQueue = [];
      handlers.open();
      this.pump();
    };
    this.control.onclose = () => {
      if (!this.diedWithoutRelay()) this.shutdown('closed');
    };
    this.control.onmessage = (event) => handlers.control(event.data);
    this.content.onmessage = (event) => handlers.content(event.data);
    this.content.onopen = () => this.pump();
    this.content.onbufferedamountlow = () => this.pump();
  }

  private onConnectionState(): void {
    const state = this.pc.connectionState;
    if (state === 'connected') {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
      this.options.handlers.state?.('connected');
    } else if (state === 'failed') {
      if (this.diedWithoutRelay()) return;
      // A flapping network: restart ICE over the existing signaling path and give the pair a
      // bounded time to recover before the link is declared gone.
      this.options.handlers.state?.('reconnecting');
      this.pc.restartIce();
      this.restartTimer ??= setTimeout(() => this.shutdown('failed'), this.restartTimeoutMs);
    } else if (state === 'disconnected') {
      this.options.handlers.state?.('reconnecting');
    } else if (state === 'closed') {
      this.shutdown('closed');
    }
  }

  private async offer(): Promise<void> {
    if (this.closed) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      const description = this.pc.localDescription;
      if (description && !this.closed) this.options.handlers.signal({ description: description.toJSON() });
      // A renegotiation's offer can be lost: made while the pair's handshake moves from the
      // broker to the link, it may go to a broker id that just closed. One left unanswered is
      // rolled back and made again. (A dialer's first offer has its own answer clock in entry.)
      clearTimeout(this.answerTimer);
      if (this.renegotiating) this.answerTimer = setTimeout(() => void this.reoffer(), REOFFER_MS);
      this.renegotiating = true;
    } catch {
      // A failed offer is retried by the next negotiationneeded; nothing to surface.
    } finally {
      this.makingOffer = false;
    }
  }

  private async reoffer(): Promise<void> {
    if (this.closed || this.pc.signalingState !== 'have-local-offer') return;
    try {
      await this.pc.setLocalDescription({ type: 'rollback' });
    } catch {
      return;
    }
    await this.offer();
  }

  async handleSignal(data: SignalData): Promise<void> {
    if (this.closed) return;
    const pc = this.pc;
    try {
      if ('description' in data) {
        const description = data.description as RTCSessionDescriptionInit;
        const collision = description.type === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
        this.ignoreOffer = !this.options.polite && collision;
        if (this.ignoreOffer) return;
        await pc.setRemoteDescription(description);
        if (description.type === 'answer') clearTimeout(this.answerTimer);
        const queued = this.pendingCandidates;
        this.pendingCandidates = [];
        for (const candidate of queued) await pc.addIceCandidate(candidate).catch(() => undefined);
        if (description.type === 'offer') {
          this.adoptTransceivers();
          await pc.setLocalDescription();
          const answer = pc.localDescription;
          if (answer && !this.closed) this.options.handlers.signal({ description: answer.toJSON() });
          // Media of our own to send and none offered: add ours (renegotiating). With nothing to
          // send on this link yet (a peer not granted it) there is nothing to negotiate: setTrack
          // adds them once there is.
          if (this.options.media && this.transceivers.length === 0 && MEDIA_SLOTS.some((slot) => this.tracks[slot])) this.addTransceivers();
        }
      } else if (data.candidate) {
        if (!pc.remoteDescription) this.pendingCandidates.push(data.candidate);
        else
          await pc.addIceCandidate(data.candidate).catch((err) => {
            if (!this.ignoreOffer) throw err;
          });
      }
    } catch {
      // A handshake message that does not apply (stale, from a rolled-back offer) is dropped;
      // the connection state machine decides whether the link survives.
    }
  }

  private addTransceivers(): void {
    this.transceivers = MEDIA_SLOTS.map((slot) =>
      this.pc.addTransceiver(this.tracks[slot] ?? (slot === 'audio' ? 'audio' : 'video'), { direction: 'sendrecv' }),
    );
  }

  /** The answerer takes the offered transceivers in order and starts sending on them. */
  private adoptTransceivers(wanted = this.options.media): void {
    if (this.transceivers.length || !wanted) return;
    const offered = this.pc.getTransceivers().filter((t) => t.currentDirection !== 'stopped' && t.mid !== null);
    if (offered.length < MEDIA_SLOTS.length) return;
    this.transceivers = offered.slice(0, MEDIA_SLOTS.length);
    MEDIA_SLOTS.forEach((slot, i) => {
      const t = this.transceivers[i];
      t.direction = 'sendrecv';
      const track = this.tracks[slot];
      if (track) void t.sender.replaceTrack(track).catch(() => undefined);
    });
  }

  private slotOf(transceiver: RTCRtpTransceiver): MediaSlot | null {
    let index = this.transceivers.indexOf(transceiver);
    if (index < 0)
      index = this.pc
        .getTransceivers()
        .filter((t) => t.currentDirection !== 'stopped')
        .indexOf(transceiver);
    return MEDIA_SLOTS[index] ?? null;
  }

  async setTrack(slot: MediaSlot, track: MediaStreamTrack | null): Promise<void> {
    this.tracks[slot] = track;
    if (this.closed) return;
    if (!this.transceivers.length) {
      if (!track) return;
      // A data-only side gains media: take the remote's transceivers or add ours; either
      // change fires negotiationneeded and perfect negotiation renegotiates.
      this.adoptTransceivers(true);
      if (!this.transceivers.length) this.addTransceivers();
      if (!this.transceivers.length) return;
    }
    const sender = this.transceivers[MEDIA_SLOTS.indexOf(slot)].sender;
    await sender.replaceTrack(track).catch(() => undefined);
    await sendActive(sender, track !== null);
  }

  sendControl(frame: string): void {
    if (this.closed) return;
    if (this.control.readyState !== 'open') {
      this.controlQueue.push(frame);
      return;
    }
    try {
      this.control.send(frame);
    } catch {
      this.shutdown('failed');
    }
  }

  sendContent(frame: string | Uint8Array): void {
    if (this.closed) return;
    this.outbox.push(frame);
    this.pump();
  }

  contentBacklog(): number {
    return this.outbox.backlog();
  }

  drained(bytes: number): Promise<void> {
    return this.closed ? Promise.resolve() : this.outbox.drained(bytes);
  }

  private pump(): void {
    if (!this.outbox.pump()) this.shutdown('failed');
  }

  async fingerprint(): Promise<string | null> {
    if (this.cachedFingerprint) return this.cachedFingerprint;
    const fromTransport = await this.fingerprintFromTransport();
    this.cachedFingerprint = fromTransport ?? (await this.fingerprintFromStats());
    return this.cachedFingerprint;
  }

  private async fingerprintFromTransport(): Promise<string | null> {
    const transport = this.pc.sctp?.transport as (RTCDtlsTransport & { getRemoteCertificates?: () => ArrayBuffer[] }) | undefined;
    const der = transport?.getRemoteCertificates?.()[0];
    if (!der) return null;
    return formatFingerprint(new Uint8Array(await crypto.subtle.digest('SHA-256', der)));
  }

  private async fingerprintFromStats(): Promise<string | null> {
    const stats = await this.pc.getStats().catch(() => null);
    if (!stats) return null;
    for (const report of stats.values()) {
      if (report.type === 'transport' && report.remoteCertificateId) {
        const cert = stats.get(report.remoteCertificateId);
        if (cert?.fingerprintAlgorithm === 'sha-256') return String(cert.fingerprint).toLowerCase();
      }
    }
    return null;
  }

  getStats(): Promise<RTCStatsReport | null> {
    return this.closed ? Promise.resolve(null) : this.pc.getStats().catch(() => null);
  }

  close(): void {
    this.shutdown('closed', false);
  }

  /** Fresh ICE servers for this link's next gathering; a browser that cannot change them keeps the old ones. */
  setIceServers(servers: RTCIceServer[]): void {
    if (this.closed) return;
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: servers });
    } catch {
      // Kept: the link works on as it is; only a restart after the old credentials expire would fail.
    }
  }

  private shutdown(reason: 'closed' | 'failed', notify = true): void {
    if (this.closed) return;
    this.closed = true;
    this.gone?.(this);
    clearTimeout(this.restartTimer);
    clearTimeout(this.answerTimer);
    clearTimeout(this.relayTimer);
    this.outbox.clear();
    const pc = this.pc;
    pc.onnegotiationneeded = pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = null;
    this.control.onopen = this.control.onclose = this.control.onmessage = null;
    this.content.onopen = this.content.onmessage = this.content.onbufferedamountlow = null;
    try {
      pc.close();
    } catch {
      // already closed
    }
    if (notify) this.options.handlers.close(reason);
  }
}

/**
 * Turn a sender's encodings off while it has no track (and on again with one), without
 * renegotiating: Firefox keeps a trickle of packets going on a sender whose track was
 * replaced by none, and a peer withheld a medium must receive none of it.
 */
async function sendActive(sender: RTCRtpSender, active: boolean): Promise<void> {
  try {
    const params = sender.getParameters();
    if (!params.encodings?.length || params.encodings.every((e) => e.active === active)) return;
    for (const encoding of params.encodings) encoding.active = active;
    await sender.setParameters(params);
  } catch {
    // Before negotiation there is nothing to turn off; replaceTrack(null) already sends no media.
  }
}
