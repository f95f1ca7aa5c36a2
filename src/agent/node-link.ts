// A link over one libdatachannel PeerConnection (node-datachannel), for peers without a
// browser. It carries what rtc-link.ts carries on the data side — the negotiated, ordered,
// reliable `control` (id 0) and `content` (id 1) channels — so a browser and an agent meet as
// any two peers do. It is data only: it never offers media and shows none it is sent.
//
// Negotiation is perfect negotiation cut down to what a data-only side needs: the dialer
// offers once; an offer that collides with ours is ignored on the impolite side and wins on
// the polite side (libdatachannel rolls our offer back itself); a later offer (a browser
// adding its media transceivers) is answered.
//
// node-datachannel calls back from its own threads through the event loop, in no promised
// order between kinds of callback, and an exception escaping a callback aborts the process:
// every callback runs through `guard`, and local candidates wait until their description left.
// It releases a connection only once its state and channel-close callbacks are set, so both
// always are.
import { PeerConnection, type DataChannel, type DescriptionType, type IceServer } from 'node-datachannel';
import { normalizeFingerprint } from '../crypto/command.js';
import type { Link, LinkFactory, LinkOptions, MediaSlot } from '../engine/link.js';
import type { SignalData } from '../engine/protocol.js';
import { ContentQueue, LOW_WATER } from '../engine/content-queue.js';

export interface NodeLinkConfig {
  /** This peer's certificate and key (PEM): the identity every link presents. */
  certificate: { cert: string; key: string };
  /** STUN/TURN servers in libdatachannel's form (see `toLibIceServers`). */
  iceServers?: (string | IceServer)[];
}

type Candidate = Extract<SignalData, { candidate: unknown }>['candidate'];

export function nodeLinkFactory(config: NodeLinkConfig): LinkFactory {
  return (options) => new NodeLink(options, config);
}

/** Rethrow outside the native callback: an exception escaping it would abort the process. */
function guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  };
}

export class NodeLink implements Link {
  remoteId: string;
  private readonly pc: PeerConnection;
  private readonly control: DataChannel;
  private readonly content: DataChannel;
  private readonly options: LinkOptions;
  /** Local candidates held until the description they belong to has been signalled. */
  private localCandidates: Candidate[] = [];
  private localDescribed = false;
  private remoteCandidates: NonNullable<Candidate>[] = [];
  private controlQueue: string[] = [];
  private readonly outbox: ContentQueue;
  private closed = false;
  private opened = false;
  private cachedFingerprint: string | null = null;

  constructor(options: LinkOptions, config: NodeLinkConfig) {
    this.options = options;
    this.remoteId = options.remoteId;
    this.pc = new PeerConnection(options.remoteId, {
      iceServers: config.iceServers ?? [],
      certificatePemFile: config.certificate.cert,
      keyPemFile: config.certificate.key,
      // Offers and answers are made here, when perfect negotiation says so.
      disableAutoNegotiation: true,
    });
    this.control = this.pc.createDataChannel('control', { negotiated: true, id: 0 });
    this.content = this.pc.createDataChannel('content', { negotiated: true, id: 1 });
    this.content.setBufferedAmountLowThreshold(LOW_WATER);
    const content = this.content;
    this.outbox = new ContentQueue({
      isOpen: () => content.isOpen(),
      bufferedAmount: () => content.bufferedAmount(),
      send: (frame) => (typeof frame === 'string' ? content.sendMessage(frame) : content.sendMessageBinary(frame)),
    });
    this.wire();
    if (options.dialer) this.describe('offer');
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
    pc.onLocalDescription(
      guard((sdp: string, type: DescriptionType) => {
        if (this.closed || (type !== 'offer' && type !== 'answer')) return;
        handlers.signal({ description: { type, sdp } });
        this.localDescribed = true;
        const held = this.localCandidates;
        this.localCandidates = [];
        for (const candidate of held) handlers.signal({ candidate });
      }),
    );
    pc.onLocalCandidate(
      guard((line: string, mid: string) => {
        if (this.closed) return;
        // Browsers take `candidate:…`; libdatachannel writes the SDP line, `a=candidate:…`.
        const candidate = { candidate: line.replace(/^a=/, ''), sdpMid: mid };
        if (this.localDescribed) handlers.signal({ candidate });
        else this.localCandidates.push(candidate);
      }),
    );
    pc.onStateChange(guard((state: string) => this.onConnectionState(state)));
    this.control.onOpen(
      guard(() => {
        if (this.closed) return;
        this.opened = true;
        for (const frame of this.controlQueue) this.control.sendMessage(frame);
        this.controlQueue = [];
        handlers.open();
        this.pump();
      }),
    );
    this.control.onClosed(guard(() => this.shutdown('closed')));
    this.control.onMessage(
      guard((message: string | Buffer | ArrayBuffer) => {
        if (!this.closed) handlers.control(message);
      }),
    );
    this.content.onMessage(
      guard((message: string | Buffer | ArrayBuffer) => {
        if (!this.closed) handlers.content(typeof message === 'string' ? message : toArrayBuffer(message));
      }),
    );
    this.content.onOpen(guard(() => this.pump()));
    this.content.onBufferedAmountLow(guard(() => this.pump()));
    // Besides meaning the link is broken, a channel's close callback is what lets node-datachannel
    // release it: without one, a closed link keeps the process alive.
    this.content.onClosed(guard(() => this.shutdown('closed')));
  }

  private onConnectionState(state: string): void {
    if (this.closed) return;
    if (state === 'connected') this.options.handlers.state?.('connected');
    else if (state === 'disconnected') this.options.handlers.state?.('reconnecting');
    // libdatachannel has no ICE restart: a failed connection is gone, and the engine redials.
    else if (state === 'failed') this.shutdown('failed');
    else if (state === 'closed') this.shutdown('closed');
  }

  /** Make the local offer or answer; the description itself arrives through onLocalDescription. */
  private describe(type: 'offer' | 'answer'): void {
    this.localDescribed = false;
    this.pc.setLocalDescription(type);
  }

  async handleSignal(data: SignalData): Promise<void> {
    if (this.closed) return;
    try {
      if ('description' in data) {
        const { type, sdp } = data.description;
        if (sdp === undefined) return;
        const state = this.pc.signalingState();
        if (type === 'offer') {
          // The impolite side keeps its own offer; the polite side's is rolled back by libdatachannel.
          if (!this.options.polite && state !== 'stable') return;
          this.pc.setRemoteDescription(sdp, 'offer');
          this.describe('answer');
        } else if (type === 'answer' && state === 'have-local-offer') {
          this.pc.setRemoteDescription(sdp, 'answer');
        } else {
          return;
        }
        const queued = this.remoteCandidates;
        this.remoteCandidates = [];
        for (const candidate of queued) this.addCandidate(candidate);
      } else if (data.candidate) {
        if (!this.pc.remoteDescription()) this.remoteCandidates.push(data.candidate);
        else this.addCandidate(data.candidate);
      }
    } catch {
      // A handshake message that does not apply (stale, malformed, an ICE restart libdatachannel
      // cannot do) is dropped; the connection state decides whether the link survives.
    }
  }

  private addCandidate(candidate: NonNullable<Candidate>): void {
    // An end-of-candidates marker (empty line) means nothing to libdatachannel.
    if (!candidate.candidate) return;
    try {
      this.pc.addRemoteCandidate(candidate.candidate, candidate.sdpMid ?? '0');
    } catch {
      // A candidate of an offer this side ignored, or one libdatachannel cannot parse.
    }
  }

  /** Data only: there is no media to send. */
  async setTrack(_slot: MediaSlot, _track: MediaStreamTrack | null): Promise<void> {}

  sendControl(frame: string): void {
    if (this.closed) return;
    if (!this.control.isOpen()) {
      this.controlQueue.push(frame);
      return;
    }
    try {
      this.control.sendMessage(frame);
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
    if (!this.closed && !this.outbox.pump()) this.shutdown('failed');
  }

  /**
   * The fingerprint of the certificate the remote peer presented in the DTLS handshake, as
   * libdatachannel computed it. Read only once connected: libdatachannel records it during the
   * handshake and fails the connection unless it equals the one the remote description
   * announced, so a connected link's value is the live, verified certificate's.
   */
  async fingerprint(): Promise<string | null> {
    if (this.cachedFingerprint || this.closed) return this.cachedFingerprint;
    try {
      if (this.pc.state() !== 'connected') return null;
      const { algorithm, value } = this.pc.remoteFingerprint();
      this.cachedFingerprint = algorithm === 'sha-256' ? normalizeFingerprint(value) || null : null;
    } catch {
      return null;
    }
    return this.cachedFingerprint;
  }

  /** libdatachannel has no WebRTC statistics report. */
  getStats(): Promise<RTCStatsReport | null> {
    return Promise.resolve(null);
  }

  close(): void {
    this.shutdown('closed', false);
  }

  private shutdown(reason: 'closed' | 'failed', notify = true): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox.clear();
    this.localCandidates = [];
    this.remoteCandidates = [];
    // Closing the connection closes its channels, whose close callbacks then release them.
    try {
      this.pc.close();
    } catch {
      // already closed
    }
    if (notify) this.options.handlers.close(reason);
  }
}

function toArrayBuffer(message: Buffer | ArrayBuffer): ArrayBuffer {
  if (message instanceof ArrayBuffer) return message;
  return message.buffer.slice(message.byteOffset, message.byteOffset + message.byteLength) as ArrayBuffer;
}

/**
 * RTCIceServer entries (`stun:host:port`, `turn:host:port?transport=tcp`, `turns:…` with a
 * username and credential) in libdatachannel's form. Throws on a URL it cannot read.
 */
export function toLibIceServers(servers: readonly RTCIceServer[]): IceServer[] {
  return servers.flatMap((server) =>
    (Array.isArray(server.urls) ? server.urls : [server.urls]).map((url): IceServer => {
      const match = /^(stuns?|turns?):(\[[^\]]+\]|[^:?]+)(?::(\d+))?(?:\?transport=(udp|tcp))?$/i.exec(url);
      if (!match) throw new TypeError(`not a STUN or TURN URL: ${url}`);
      const [, scheme, host, port, transport] = match;
      const lower = scheme.toLowerCase();
      const hostname = host.replace(/^\[|\]$/g, '');
      if (lower.startsWith('stun')) return { hostname, port: Number(port ?? (lower === 'stuns' ? 5349 : 3478)) };
      const tls = lower === 'turns';
      return {
        hostname,
        port: Number(port ?? (tls ? 5349 : 3478)),
        username: server.username,
        password: typeof server.credential === 'string' ? server.credential : undefined,
        relayType: tls ? 'TurnTls' : transport?.toLowerCase() === 'tcp' ? 'TurnTcp' : 'TurnUdp',
      };
    }),
  );
}
