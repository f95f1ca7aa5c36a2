// The sending side of file transfers: one leg per recipient, each offering first and
// streaming only after its receiver accepted, under backpressure (see transfer.ts).
import { KibitzError, type KibitzErrorCode } from '../errors.js';
import type { Clock } from './clock.js';
import type { Link } from './link.js';
import { encodeTransferEnd, encodeTransferStart, transferChunkHeader, type ContentFrame, type RefuseReason } from './protocol.js';
import {
  CHUNK_SIZE,
  HIGH_BACKLOG,
  LOW_BACKLOG,
  READ_SIZE,
  newTransferId,
  toBytes,
  type Payload,
  type TransferOptions,
} from './transfer.js';

interface Leg {
  key: string;
  /** Set once the offer is answered: resolve on accept, reject on refusal. */
  waiting: { resolve(): void; reject(err: KibitzError): void } | null;
  /** Why the receiver cut the transfer off (or went away); the sending loop stops on it. */
  refusal: KibitzError | null;
  /** Rejects with `refusal`: a read or a wait for backpressure races it, so a stop is never missed. */
  stopped: Promise<never>;
  stop(err: KibitzError): void;
  timer: unknown;
}

export interface OutboundHost {
  readonly clock: Clock;
  /** How long an offer waits for its answer. */
  readonly answerMs: number;
  /** A member's name for messages (its id when it has none). */
  who(peerId: string): string;
}

/** The sending side: one leg per recipient, each waiting for its own answer and running at its own pace. */
export class Outbound {
  private readonly legs = new Map<string, Leg>();

  constructor(private readonly host: OutboundHost) {}

  /** Offers waiting for an answer and transfers under way. */
  get pending(): number {
    return this.legs.size;
  }

  /**
   * Offer one payload to every link in `links` and send it to each that accepts. Resolves once
   * the last byte is handed to every recipient's transport; rejects if any recipient refused,
   * cut it off or left (the others still get it whole).
   */
  async send(links: Link[], payload: Payload, direct: boolean, options: TransferOptions = {}): Promise<string> {
    const isBlob = typeof Blob !== 'undefined' && payload instanceof Blob;
    if (!isBlob && !(payload instanceof ArrayBuffer) && !ArrayBuffer.isView(payload)) {
      throw new KibitzError('ERR_SEND', 'sendFile takes a Blob, an ArrayBuffer or a typed array');
    }
    const total = isBlob ? (payload as Blob).size : toBytes(payload as ArrayBuffer).byteLength;
    const id = options.id ?? newTransferId();
    if (links.some((link) => this.legs.has(`${link.remoteId}/${id}`)))
      throw new KibitzError('ERR_SEND', `transfer ${id} is already under way`);
    const name = options.name ?? (typeof File !== 'undefined' && payload instanceof File ? payload.name : '');
    const type = options.type ?? (isBlob ? (payload as Blob).type : 'application/octet-stream');
    const start = encodeTransferStart(id, { name: name.slice(0, 256), type: type.slice(0, 128), size: total }, direct);
    const read = async (offset: number): Promise<Uint8Array> =>
      isBlob
        ? new Uint8Array(await (payload as Blob).slice(offset, offset + READ_SIZE).arrayBuffer())
        : toBytes(payload as ArrayBuffer).subarray(offset, offset + READ_SIZE);

    // Progress is that of the slowest recipient still receiving.
    const sent = links.map(() => 0);
    const failed = links.map(() => false);
    let reported = 0;
    const report = () => {
      const live = sent.filter((_, i) => !failed[i]);
      const least = live.length ? Math.min(...live) : 0;
      if (least > reported) {
        reported = least;
        options.onProgress?.(least, total);
      }
    };
    const results = await Promise.allSettled(
      links.map((link, i) =>
        this.leg(link, id, start, read, total, options.signal, (n) => {
          sent[i] = n;
          report();
        }).catch((err: unknown) => {
          failed[i] = true;
          report();
          throw err;
        }),
      ),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    return id;
  }

  /** An `accept` or `refuse` from the receiver `peerId`. Answers to nothing pending are ignored (late or stray). */
  answer(peerId: string, frame: Extract<ContentFrame, { kind: 'accept' | 'refuse' }>): void {
    const leg = this.legs.get(`${peerId}/${frame.id}`);
    if (!leg) return;
    if (frame.kind === 'accept') {
      this.settle(leg, null);
      return;
    }
    this.settle(leg, refusalError(this.host.who(peerId), frame.why));
  }

  /** A recipient left: its legs fail. */
  forget(peerId: string): void {
    for (const leg of this.legs.values()) {
      if (leg.key.startsWith(`${peerId}/`))
        this.settle(leg, new KibitzError('ERR_SEND', `${this.host.who(peerId)} left before the transfer finished`));
    }
  }

  /** This peer left the room: every leg fails. */
  clear(): void {
    for (const leg of this.legs.values()) this.settle(leg, new KibitzError('ERR_SEND', 'left the room before the transfer finished'));
  }

  /** Resolve a leg's wait for its answer (err null: accepted), or record why it must stop. */
  private settle(leg: Leg, err: KibitzError | null): void {
    this.host.clock.clearTimeout(leg.timer);
    leg.timer = null;
    if (err && !leg.refusal) {
      leg.refusal = err;
      leg.stop(err);
    }
    const waiting = leg.waiting;
    leg.waiting = null;
    if (!waiting) return;
    if (err) waiting.reject(err);
    else waiting.resolve();
  }

  private async leg(
    link: Link,
    id: string,
    start: string,
    read: (offset: number) => Promise<Uint8Array>,
    total: number,
    signal: AbortSignal | undefined,
    onSent: (bytes: number) => void,
  ): Promise<void> {
    const who = this.host.who(link.remoteId);
    let stop!: (err: KibitzError) => void;
    const stopped = new Promise<never>((_, reject) => (stop = reject));
    stopped.catch(() => undefined);
    const leg: Leg = { key: `${link.remoteId}/${id}`, waiting: null, refusal: null, stopped, stop, timer: null };
    const aborted = () => new KibitzError('ERR_SEND', 'transfer aborted');
    const onAbort = () => this.settle(leg, aborted());
    this.legs.set(leg.key, leg);
    signal?.addEventListener('abort', onAbort);
    // Whether the receiver knows the transfer is over (it refused, or the link is gone).
    let receiverDone = false;
    try {
      if (signal?.aborted) throw aborted();
      link.sendContent(start);
      await new Promise<void>((resolve, reject) => {
        leg.waiting = { resolve, reject };
        leg.timer = this.host.clock.setTimeout(
          () => this.settle(leg, new KibitzError('ERR_TRANSFER_REFUSED', `${who} did not answer the file offer`)),
          this.host.answerMs,
        );
      });
      const header = transferChunkHeader(id);
      let sent = 0;
      for (let offset = 0; offset < total; offset += READ_SIZE) {
        const block = await Promise.race([read(offset), leg.stopped]);
        for (let at = 0; at < block.byteLength; at += CHUNK_SIZE) {
          if (link.contentBacklog() > HIGH_BACKLOG) await Promise.race([link.drained(LOW_BACKLOG), leg.stopped]);
          if (leg.refusal) throw leg.refusal;
          // A recipient that went away mid-transfer must not look like a delivery.
          if (link.isClosed) throw new KibitzError('ERR_SEND', `${who} left before the transfer finished`);
          const piece = block.subarray(at, at + CHUNK_SIZE);
          const frame = new Uint8Array(header.byteLength + piece.byteLength);
          frame.set(header);
          frame.set(piece, header.byteLength);
          link.sendContent(frame);
          sent += piece.byteLength;
          onSent(sent);
        }
      }
      if (leg.refusal) throw leg.refusal;
      link.sendContent(encodeTransferEnd(id));
      receiverDone = true;
    } catch (err) {
      receiverDone = leg.refusal !== null && FROM_RECEIVER.has(leg.refusal);
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.host.clock.clearTimeout(leg.timer);
      this.legs.delete(leg.key);
      // Tell a receiver that still holds the offer or the transfer that it is over.
      if (!receiverDone && !link.isClosed) link.sendContent(encodeTransferEnd(id, true));
    }
  }
}

/** The error a sender's promise rejects with when the receiver refused or cut off its transfer. */
function refusalError(who: string, why: RefuseReason): KibitzError {
  const error = new KibitzError(REFUSAL_CODES[why], REFUSAL_TEXT[why](who));
  FROM_RECEIVER.add(error);
  return error;
}

/** Refusals that came from the receiver: it already dropped the transfer, so no abort is sent. */
const FROM_RECEIVER = new WeakSet<KibitzError>();

const REFUSAL_CODES: Record<RefuseReason, KibitzErrorCode> = {
  declined: 'ERR_TRANSFER_REFUSED',
  expired: 'ERR_TRANSFER_REFUSED',
  limit: 'ERR_TRANSFER_LIMIT',
  stalled: 'ERR_TRANSFER_STALLED',
};
const REFUSAL_TEXT: Record<RefuseReason, (who: string) => string> = {
  declined: (who) => `${who} declined the file`,
  expired: (who) => `${who} did not accept the file in time`,
  limit: (who) => `${who} refused the file: over its size or memory limit`,
  stalled: (who) => `${who} cut the transfer off: no data arrived for too long`,
};
