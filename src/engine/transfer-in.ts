// The receiving side of file transfers: offers, budgets, reassembly and idle cut-offs
// (see transfer.ts). Anything inconsistent is dropped.
import type { KibitzErrorCode } from '../errors.js';
import type { Clock } from './clock.js';
import { encodeTransferAnswer, type ContentFrame } from './protocol.js';
import {
  MAX_OPEN_PER_SENDER,
  formatBytes,
  safeFileType,
  type AcceptFiles,
  type FileLimits,
  type FileOffer,
  type IncomingFile,
  type OfferOutcome,
} from './transfer.js';

export interface InboundHost {
  readonly clock: Clock;
  readonly limits: FileLimits;
  readonly policy: AcceptFiles;
  /** A member's name for messages (its id when it has none). */
  who(peerId: string): string;
  /** Put an answer (accept, refuse) on the link back to the sender. */
  reply(peerId: string, frame: string): void;
  offer(offer: FileOffer): void;
  progress(id: string, peerId: string, received: number, total: number): void;
  file(file: IncomingFile): void;
  /** A transfer was refused or cut off over a limit, or stalled. */
  error(code: KibitzErrorCode, message: string): void;
  /** A frame that breaks the protocol (an end short of its size, a duplicate offer). */
  malformed(): void;
}

interface Incoming {
  key: string;
  from: string;
  id: string;
  to: string | null;
  name: string;
  type: string;
  size: number;
  /** Offered: waiting for a decision, nothing reserved. Open: accepted, `size` reserved. */
  state: 'offered' | 'open';
  received: number;
  parts: ArrayBuffer[];
  lastChunkAt: number;
  timer: unknown;
  settle(outcome: OfferOutcome): void;
}

/** The receiving side: offers, budgets, reassembly, idle cut-offs. Anything inconsistent is dropped. */
export class Inbound {
  private readonly transfers = new Map<string, Incoming>();
  /** Announced bytes of every open transfer: what they may hold at most. */
  private reserved = 0;

  constructor(
    private readonly host: InboundHost,
    private readonly selfId: string,
  ) {}

  /** Offers undecided and transfers unfinished. */
  get pending(): number {
    return this.transfers.size;
  }

  /** Bytes held by unfinished transfers now. */
  get bufferedBytes(): number {
    let n = 0;
    for (const t of this.transfers.values()) n += t.received;
    return n;
  }

  /** Bytes reserved for accepted, unfinished transfers (never above `maxTotalBytes`). */
  get reservedBytes(): number {
    return this.reserved;
  }

  handle(from: string, frame: Extract<ContentFrame, { kind: 'start' | 'end' | 'abort' | 'chunk' }>): void {
    const key = `${from}/${frame.id}`;
    const t = this.transfers.get(key);
    switch (frame.kind) {
      case 'start':
        return t ? this.host.malformed() : this.offered(key, from, frame);
      case 'chunk':
        // Chunks of a refused or cut-off transfer may still be in flight: dropped quietly.
        if (t?.state !== 'open') return;
        t.received += frame.data.byteLength;
        if (t.received > t.size) {
          return this.cut(t, 'limit', 'ERR_TRANSFER_LIMIT', `sent more than the ${formatBytes(t.size)} it announced`);
        }
        t.parts.push(frame.data);
        t.lastChunkAt = this.host.clock.now();
        this.host.progress(t.id, from, t.received, t.size);
        return;
      case 'end': {
        if (!t) return;
        const parts = t.parts;
        this.drop(t, 'withdrawn');
        if (t.state !== 'open' || t.received !== t.size) return this.host.malformed();
        const data = new Blob(parts, { type: t.type });
        this.host.file({ id: t.id, peerId: from, to: t.to, name: t.name, type: t.type, size: t.size, data });
        return;
      }
      case 'abort':
        if (t) this.drop(t, 'withdrawn');
        return;
    }
  }

  /** Forget everything from a peer that left. */
  forget(from: string): void {
    for (const t of [...this.transfers.values()]) if (t.from === from) this.drop(t, 'withdrawn');
  }

  /** This peer left the room: forget everything. */
  clear(): void {
    for (const t of [...this.transfers.values()]) this.drop(t, 'withdrawn');
  }

  private offered(key: string, from: string, frame: Extract<ContentFrame, { kind: 'start' }>): void {
    const { policy, limits, clock } = this.host;
    let open = 0;
    for (const t of this.transfers.values()) if (t.from === from) open++;
    const overLimit = open >= MAX_OPEN_PER_SENDER ? `more than ${MAX_OPEN_PER_SENDER} files at once` : this.overBudget(from, frame.size);
    if (overLimit) {
      this.host.reply(from, encodeTransferAnswer(frame.id, 'limit'));
      this.host.error('ERR_TRANSFER_LIMIT', `${this.describe(from, frame.name, frame.size)} was refused: ${overLimit}`);
      return;
    }
    if (policy === 'none') return this.host.reply(from, encodeTransferAnswer(frame.id, 'declined'));
    let settle!: (outcome: OfferOutcome) => void;
    const settled = new Promise<OfferOutcome>((resolve) => (settle = resolve));
    const t: Incoming = {
      key,
      from,
      id: frame.id,
      to: frame.direct ? this.selfId : null,
      name: frame.name,
      type: safeFileType(frame.type),
      size: frame.size,
      state: 'offered',
      received: 0,
      parts: [],
      lastChunkAt: 0,
      timer: null,
      settle,
    };
    this.transfers.set(key, t);
    if (policy === 'all') return this.accept(t);
    t.timer = clock.setTimeout(() => this.refuse(t, 'expired'), limits.offerMs);
    this.host.offer({
      id: t.id,
      peerId: from,
      to: t.to,
      name: t.name,
      type: t.type,
      size: t.size,
      accept: () => this.accept(t),
      reject: () => this.refuse(t, 'declined'),
      settled,
    });
  }

  /** Why a transfer of `size` from `from` may not be accepted now, or null. */
  private overBudget(from: string, size: number): string | null {
    const { maxFileBytes, maxSenderBytes, maxTotalBytes } = this.host.limits;
    if (size > maxFileBytes) return `larger than the ${formatBytes(maxFileBytes)} limit per file`;
    let fromSender = 0;
    for (const t of this.transfers.values()) if (t.from === from && t.state === 'open') fromSender += t.size;
    if (fromSender + size > maxSenderBytes) return `one sender's files may hold at most ${formatBytes(maxSenderBytes)} at once`;
    if (this.reserved + size > maxTotalBytes) return `incoming files may hold at most ${formatBytes(maxTotalBytes)} at once`;
    return null;
  }

  private accept(t: Incoming): void {
    if (t.state !== 'offered' || this.transfers.get(t.key) !== t) return;
    const overLimit = this.overBudget(t.from, t.size);
    if (overLimit) {
      this.refuse(t, 'limit');
      this.host.error('ERR_TRANSFER_LIMIT', `${this.describe(t.from, t.name, t.size)} was refused: ${overLimit}`);
      return;
    }
    this.host.clock.clearTimeout(t.timer);
    t.state = 'open';
    this.reserved += t.size;
    t.lastChunkAt = this.host.clock.now();
    this.watch(t, this.host.limits.idleMs);
    t.settle('accepted');
    this.host.reply(t.from, encodeTransferAnswer(t.id));
    this.host.progress(t.id, t.from, 0, t.size);
  }

  /** Decline an undecided offer. */
  private refuse(t: Incoming, why: 'declined' | 'expired' | 'limit'): void {
    if (t.state !== 'offered' || this.transfers.get(t.key) !== t) return;
    this.drop(t, why);
    this.host.reply(t.from, encodeTransferAnswer(t.id, why));
  }

  /** Re-arm the idle check: one timer per transfer, not one per chunk. */
  private watch(t: Incoming, ms: number): void {
    t.timer = this.host.clock.setTimeout(() => {
      if (this.transfers.get(t.key) !== t) return;
      const quiet = this.host.clock.now() - t.lastChunkAt;
      const { idleMs } = this.host.limits;
      if (quiet < idleMs) return this.watch(t, idleMs - quiet);
      this.cut(t, 'stalled', 'ERR_TRANSFER_STALLED', `brought no data for ${Math.round(idleMs / 1000)} s`);
    }, ms);
  }

  /** Cut an open transfer off: free it, tell the sender, report why. */
  private cut(t: Incoming, why: 'limit' | 'stalled', code: KibitzErrorCode, reason: string): void {
    this.drop(t, 'withdrawn');
    this.host.reply(t.from, encodeTransferAnswer(t.id, why));
    this.host.error(code, `${this.describe(t.from, t.name, t.size)} was cut off: it ${reason}`);
  }

  private drop(t: Incoming, outcome: OfferOutcome): void {
    if (this.transfers.get(t.key) !== t) return;
    this.transfers.delete(t.key);
    this.host.clock.clearTimeout(t.timer);
    t.timer = null;
    if (t.state === 'open') this.reserved -= t.size;
    t.parts = [];
    t.settle(outcome);
  }

  private describe(from: string, name: string, size: number): string {
    return `${this.host.who(from)}'s file ${name ? `"${name}" ` : ''}(${formatBytes(size)})`;
  }
}
