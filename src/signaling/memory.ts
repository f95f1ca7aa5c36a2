// An in-memory broker with the PeerJS broker's semantics (taken ids, queued messages to
// absent ids, EXPIRE), for deterministic tests of whole rooms in one page.
import { KibitzError } from '../errors.js';
import type { SignalMessage, SignalingEndpoint, SignalingTransport, SignalType } from './transport.js';

interface Queued {
  from: string;
  message: SignalMessage;
  at: number;
}

export class MemoryBus {
  private readonly endpoints = new Map<string, MemoryEndpoint>();
  private readonly queues = new Map<string, Queued[]>();
  /** How long messages to an absent id wait before the sender gets EXPIRE. */
  expireMs = 5000;
  /** Every message the bus relayed, for tests that check what crossed it. */
  readonly log: { src: string; dst: string; type: string; payload: unknown }[] = [];
  /** When false, the bus is down: opens fail and sends are lost. */
  online = true;

  constructor(private readonly now: () => number = () => Date.now()) {}

  /**
   * A transport for one simulated page. `freeze()` models a paused page: its endpoints stay
   * open at the bus (as a frozen tab's WebSocket does) but nothing reaches its handlers.
   */
  transport(): SignalingTransport & { freeze(): void; crash(): void } {
    let frozen = false;
    const opened: MemoryEndpoint[] = [];
    return {
      open: async (id) => {
        const endpoint = await this.open(id);
        const inner = endpoint as MemoryEndpoint;
        inner.gate = () => !frozen;
        opened.push(inner);
        return endpoint;
      },
      freeze: () => {
        frozen = true;
      },
      // A crashed page: it runs nothing, and its sockets close, so the broker frees its ids.
      crash: () => {
        frozen = true;
        for (const endpoint of opened) endpoint.close();
      },
    };
  }

  holds(id: string): boolean {
    return this.endpoints.has(id);
  }

  private async open(id: string): Promise<SignalingEndpoint> {
    await Promise.resolve();
    if (!this.online) throw new KibitzError('ERR_SIGNALING', 'bus offline');
    if (this.endpoints.has(id)) throw new KibitzError('ERR_ID_TAKEN', `id ${id} is taken`);
    const endpoint = new MemoryEndpoint(id, this);
    this.endpoints.set(id, endpoint);
    const queued = this.queues.get(id) ?? [];
    this.queues.delete(id);
    for (const q of queued) this.deliver(id, q.message);
    return endpoint;
  }

  /** Drop every endpoint as a broker restart would. */
  disconnectAll(): void {
    for (const endpoint of [...this.endpoints.values()]) endpoint.lose();
  }

  /** @internal */
  relay(src: string, dst: string, type: SignalType, payload: unknown): void {
    if (!this.online || !this.endpoints.has(src)) return;
    this.log.push({ src, dst, type, payload });
    const message: SignalMessage = { type, src, payload };
    if (this.endpoints.has(dst)) {
      this.deliver(dst, message);
      return;
    }
    const queue = this.queues.get(dst) ?? [];
    queue.push({ from: src, message, at: this.now() });
    this.queues.set(dst, queue);
  }

  /** Expire queued messages older than `expireMs`, telling their senders (the broker's sweep). */
  sweep(): void {
    const now = this.now();
    for (const [dst, queue] of this.queues) {
      const kept = queue.filter((q) => now - q.at < this.expireMs);
      for (const q of queue) if (!kept.includes(q)) this.deliver(q.from, { type: 'EXPIRE', src: dst, payload: null });
      if (kept.length) this.queues.set(dst, kept);
      else this.queues.delete(dst);
    }
  }

  /** @internal */
  remove(id: string, endpoint: MemoryEndpoint): void {
    if (this.endpoints.get(id) === endpoint) this.endpoints.delete(id);
  }

  private deliver(dst: string, message: SignalMessage): void {
    queueMicrotask(() => {
      const endpoint = this.endpoints.get(dst);
      if (endpoint?.gate()) endpoint.onmessage?.(message);
    });
  }
}

class MemoryEndpoint implements SignalingEndpoint {
  onmessage: ((message: SignalMessage) => void) | null = null;
  onclose: (() => void) | null = null;
  /** Whether messages may reach the handler now (false while its page is frozen). */
  gate: () => boolean = () => true;

  constructor(
    readonly id: string,
    private readonly bus: MemoryBus,
  ) {}

  send(dst: string, type: SignalType, payload: unknown): void {
    this.bus.relay(this.id, dst, type, payload);
  }

  close(): void {
    this.bus.remove(this.id, this);
  }

  lose(): void {
    this.bus.remove(this.id, this);
    queueMicrotask(() => this.onclose?.());
  }
}
