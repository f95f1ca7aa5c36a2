// Links that live in memory: a whole room's logic (roster, election, relay, reap) runs
// deterministically in one page without WebRTC. The handshake still travels as signal data
// through the engine's real signaling paths, so relaying is exercised for real.
import { randomBytes } from '../crypto/bytes.js';
import { formatFingerprint } from './rtc-link.js';
import type { Link, LinkFactory, LinkOptions, MediaSlot } from './link.js';
import type { SignalData } from './protocol.js';

interface Pending {
  link: MemoryLink;
}

export class MemoryNetwork {
  private readonly offers = new Map<string, Pending>();
  private counter = 0;
  /** Every link made, for tests that check leaks. */
  readonly links: MemoryLink[] = [];

  /**
   * Links for one simulated page. `freeze()` models a paused page: nothing reaches the page's
   * handlers any more and what others send it waits in their queues, but no link closes (a
   * frozen tab's network stack keeps its connections alive).
   */
  factory(localFingerprint?: string): LinkFactory & { freeze(): void } {
    const made: MemoryLink[] = [];
    const factory = (options: LinkOptions) => {
      const link = new MemoryLink(options, this, localFingerprint);
      this.links.push(link);
      made.push(link);
      return link;
    };
    factory.freeze = () => {
      for (const link of made) {
        link.frozen = true;
        link.peer?.freeze();
      }
    };
    return factory;
  }

  openLinks(): MemoryLink[] {
    return this.links.filter((l) => !l.closed);
  }

  /** @internal */
  register(link: MemoryLink): string {
    const token = `mem${++this.counter}`;
    this.offers.set(token, { link });
    return token;
  }

  /** @internal */
  take(token: string): MemoryLink | undefined {
    const pending = this.offers.get(token);
    this.offers.delete(token);
    return pending?.link;
  }
}

export class MemoryLink implements Link {
  remoteId: string;
  closed = false;
  /** This end's page is frozen: its handlers run no more. */
  frozen = false;
  peer: MemoryLink | null = null;
  /** This end's certificate: the page's one (as a browser uses one for every link), or a fresh one per link. */
  readonly localFingerprint: string;
  private opened = false;
  private controlQueue: string[] = [];
  private contentQueue: (string | Uint8Array)[] = [];

  constructor(
    private readonly options: LinkOptions,
    private readonly network: MemoryNetwork,
    localFingerprint = formatFingerprint(randomBytes(32)),
  ) {
    this.localFingerprint = localFingerprint;
    this.remoteId = options.remoteId;
    if (options.dialer) {
      const token = network.register(this);
      queueMicrotask(() => options.handlers.signal({ description: { type: 'offer', sdp: token } }));
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  async handleSignal(data: SignalData): Promise<void> {
    if (this.closed || !('description' in data)) return;
    const { type, sdp } = data.description;
    if (type === 'offer' && sdp) {
      const dialer = this.network.take(sdp);
      if (!dialer || dialer.closed) return;
      this.peer = dialer;
      dialer.peer = this;
      this.options.handlers.signal({ description: { type: 'answer', sdp } });
    } else if (type === 'answer' && this.peer && !this.opened) {
      const peer = this.peer;
      queueMicrotask(() => {
        this.markOpen();
        peer.markOpen();
      });
    }
  }

  private markOpen(): void {
    if (this.closed || this.opened) return;
    this.opened = true;
    this.options.handlers.open();
    for (const f of this.controlQueue) this.deliverControl(f);
    for (const f of this.contentQueue) this.deliverContent(f);
    this.controlQueue = [];
    this.contentQueue = [];
  }

  async fingerprint(): Promise<string | null> {
    return this.peer?.localFingerprint ?? null;
  }

  sendControl(frame: string): void {
    if (this.closed) return;
    if (!this.opened) this.controlQueue.push(frame);
    else this.deliverControl(frame);
  }

  sendContent(frame: string | Uint8Array): void {
    if (this.closed) return;
    if (!this.opened) this.contentQueue.push(frame);
    else this.deliverContent(frame);
  }

  private deliverControl(frame: string): void {
    const peer = this.peer;
    queueMicrotask(() => peer?.receiveControl(frame));
  }

  private deliverContent(frame: string | Uint8Array): void {
    const peer = this.peer;
    const data = typeof frame === 'string' ? frame : frame.slice().buffer;
    queueMicrotask(() => peer?.receiveContent(data));
  }

  /** Hand a raw control frame to this end's engine now, as its channel would (tests use it to see a throw). */
  receiveControl(raw: unknown): void {
    if (!this.closed && !this.frozen) this.options.handlers.control(raw);
  }

  /** Hand a raw content frame to this end's engine now, as its channel would. */
  receiveContent(raw: unknown): void {
    if (!this.closed && !this.frozen) this.options.handlers.content(raw);
  }

  contentBacklog(): number {
    return 0;
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  async setTrack(_slot: MediaSlot, _track: MediaStreamTrack | null): Promise<void> {}

  async getStats(): Promise<RTCStatsReport | null> {
    return null;
  }

  /** Simulate the transport dying under this end (crash, network loss). */
  fail(): void {
    const peer = this.peer;
    this.shutdown('failed', true);
    if (peer) queueMicrotask(() => peer.shutdown('closed', true));
  }

  close(): void {
    const peer = this.peer;
    this.shutdown('closed', false);
    if (peer) queueMicrotask(() => peer.shutdown('closed', true));
  }

  /** Freeze: frames stop flowing both ways but nothing closes (a paused page). */
  freeze(): void {
    this.opened = false;
  }

  private shutdown(reason: 'closed' | 'failed', notify: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (notify && !this.frozen) this.options.handlers.close(reason);
  }
}
