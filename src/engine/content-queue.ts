// A link's outbound content, whatever the data channel underneath: frames wait here until the
// channel is open and below its high-water mark, and senders of large payloads wait for the
// backlog to drain. Bounded memory under backpressure for messages and file chunks alike.

/** Stop handing the channel frames above this much buffered (Chromium fails sends at 16 MiB); resume at the low-water event. */
export const HIGH_WATER = 8 * 1024 * 1024;
/** The channel's buffered-amount-low threshold. */
export const LOW_WATER = 1024 * 1024;

/** The data channel as the queue needs it. */
export interface ContentChannel {
  isOpen(): boolean;
  bufferedAmount(): number;
  /** Throws when the channel is broken. */
  send(frame: string | Uint8Array): void;
}

const sizeOf = (frame: string | Uint8Array) => (typeof frame === 'string' ? frame.length : frame.byteLength);

export class ContentQueue {
  private frames: (string | Uint8Array)[] = [];
  private queued = 0;
  private waiters: { bytes: number; resolve: () => void }[] = [];

  constructor(private readonly channel: ContentChannel) {}

  push(frame: string | Uint8Array): void {
    this.frames.push(frame);
    this.queued += sizeOf(frame);
  }

  /** Bytes not yet on the wire: queued here plus buffered in the channel. */
  backlog(): number {
    return this.queued + (this.channel.isOpen() ? this.channel.bufferedAmount() : 0);
  }

  /** Resolves once the backlog is at most `bytes` (or the queue is cleared). */
  drained(bytes: number): Promise<void> {
    if (this.backlog() <= bytes) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ bytes, resolve }));
  }

  /** Hand the channel what it takes now and wake drained waiters; false when a send threw. */
  pump(): boolean {
    if (this.channel.isOpen()) {
      while (this.frames.length && this.channel.bufferedAmount() < HIGH_WATER) {
        const frame = this.frames.shift()!;
        this.queued -= sizeOf(frame);
        try {
          this.channel.send(frame);
        } catch {
          return false;
        }
      }
    }
    if (this.waiters.length) {
      const backlog = this.backlog();
      const ready = this.waiters.filter((w) => backlog <= w.bytes);
      this.waiters = this.waiters.filter((w) => backlog > w.bytes);
      for (const w of ready) w.resolve();
    }
    return true;
  }

  /** The link is gone: drop every frame and release every waiter. */
  clear(): void {
    this.frames = [];
    this.queued = 0;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}
