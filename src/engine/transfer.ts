// Large binary payloads between two members, with the receiver in charge of its memory.
//
// The sender offers a file (name, type, size) and sends nothing more until the receiver
// accepts; then it streams chunks onto the content channel under backpressure, so it never
// holds more than a few megabytes whatever the payload size. The receiver decides (the page,
// its user, or a policy), reserves the announced size against a per-sender and a total
// budget before accepting, and cuts a transfer off (telling the sender) when it overruns its
// announced size or stalls. What arrives becomes a Blob whose type comes from a safe list.
import { randomBytes, toHex } from '../crypto/bytes.js';
import { KibitzError, type KibitzErrorCode } from '../errors.js';
import type { Clock } from './clock.js';
import type { Link } from './link.js';
import {
  MAX_CONTENT_FRAME,
  TRANSFER_ID_BYTES,
  encodeTransferAnswer,
  encodeTransferEnd,
  encodeTransferStart,
  transferChunkHeader,
  type ContentFrame,
  type RefuseReason,
} from './protocol.js';

/** Refill a link's queue below this backlog; wait above HIGH. */
const HIGH_BACKLOG = 8 * 1024 * 1024;
const LOW_BACKLOG = 2 * 1024 * 1024;
/** Blobs are read this much at a time and cut into chunks. */
const READ_SIZE = 4 * 1024 * 1024;
/** A sender may have this many offers and transfers open with one receiver; more are refused. */
export const MAX_OPEN_PER_SENDER = 16;
export const CHUNK_SIZE = MAX_CONTENT_FRAME - 1 - TRANSFER_ID_BYTES;

const MiB = 1024 * 1024;

/**
 * What a receiver lets incoming files take. Budgets count the announced size of every
 * accepted, unfinished transfer (what it may still grow to), so the bytes held in memory
 * never exceed them whatever a sender does.
 */
export interface FileLimits {
  /** The largest file accepted, in bytes. */
  maxFileBytes: number;
  /** Bytes the unfinished transfers of one sender may hold at once. */
  maxSenderBytes: number;
  /** Bytes all unfinished incoming transfers may hold at once. */
  maxTotalBytes: number;
  /** An accepted transfer that brings no chunk for this long is cut off (ERR_TRANSFER_STALLED). */
  idleMs: number;
  /** An offer nobody accepts or rejects within this is declined; a sender waits twice this for an answer. */
  offerMs: number;
}

/**
 * 64 MiB per file and per sender, 256 MiB for all senders together: a few phone videos or a
 * large PDF each, and four senders at their limit still fit a low-end laptop's tab; 30 s
 * without a chunk is far beyond any live link's pause (the sender waits for backpressure in
 * milliseconds); a person gets a minute to decide.
 */
export const DEFAULT_FILE_LIMITS: Readonly<FileLimits> = {
  maxFileBytes: 64 * MiB,
  maxSenderBytes: 64 * MiB,
  maxTotalBytes: 256 * MiB,
  idleMs: 30_000,
  offerMs: 60_000,
};

/**
 * Who decides on incoming files: `ask` (the default) reports each offer and waits for
 * `accept()` or `reject()`; `all` accepts every offer within the limits; `none` declines all.
 */
export type AcceptFiles = 'ask' | 'all' | 'none';
export const ACCEPT_FILES: readonly AcceptFiles[] = ['ask', 'all', 'none'];

/** Limits with defaults filled in; throws ERR_BAD_ATTRIBUTE (naming `file-limits`) on a bad or unknown field. */
export function resolveFileLimits(given: Partial<FileLimits> | undefined): FileLimits {
  const limits = { ...DEFAULT_FILE_LIMITS };
  if (given === undefined) return limits;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    throw new KibitzError('ERR_BAD_ATTRIBUTE', 'file-limits: must be an object of limits');
  }
  for (const [key, value] of Object.entries(given)) {
    if (!(key in limits)) {
      throw new KibitzError('ERR_BAD_ATTRIBUTE', `file-limits: unknown limit "${key}"; use ${Object.keys(limits).join(', ')}`);
    }
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      throw new KibitzError('ERR_BAD_ATTRIBUTE', `file-limits: ${key} must be a positive whole number`);
    }
    limits[key as keyof FileLimits] = value as number;
  }
  return limits;
}

/** Throws ERR_BAD_ATTRIBUTE (naming `accept-files`) unless `value` is a policy. */
export function resolveAcceptFiles(value: string | undefined): AcceptFiles {
  if (value === undefined) return 'ask';
  if (!(ACCEPT_FILES as readonly string[]).includes(value)) {
    throw new KibitzError('ERR_BAD_ATTRIBUTE', `accept-files: "${value}" is not one of ${ACCEPT_FILES.map((p) => `"${p}"`).join(', ')}`);
  }
  return value as AcceptFiles;
}

/**
 * Types a received Blob may keep. A blob URL a page opens runs in the page's origin when its
 * type is active content (HTML, SVG, XML, scripts), so anything not listed here arrives as
 * `application/octet-stream`: viewers of media, text, PDF and archives do not run the
 * sender's code in the page.
 */
const SAFE_TYPES = new Set([
  'application/gzip',
  'application/json',
  'application/octet-stream',
  'application/pdf',
  'application/zip',
  'audio/aac',
  'audio/flac',
  'audio/mp4',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'audio/webm',
  'image/avif',
  'image/bmp',
  'image/gif',
  'image/jpeg',
  'image/png',
  'image/webp',
  'text/csv',
  'text/plain',
  'video/mp4',
  'video/ogg',
  'video/quicktime',
  'video/webm',
]);

/** The type a received file gets: the sender's (without parameters) if it is on the safe list, else octet-stream. */
export function safeFileType(type: string): string {
  const essence = type.split(';')[0].trim().toLowerCase();
  return SAFE_TYPES.has(essence) ? essence : 'application/octet-stream';
}

export interface TransferOptions {
  /** 16 hex characters; random when absent. */
  id?: string;
  name?: string;
  type?: string;
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

export interface IncomingFile {
  id: string;
  /** The sender. */
  peerId: string;
  to: string | null;
  name: string;
  /** The sender's type if it is on the safe list, else `application/octet-stream`; `data` carries it. */
  type: string;
  size: number;
  data: Blob;
}

/** How an offer ended: accepted, declined (by the page or its user), expired undecided, refused over a limit, or withdrawn by the sender. */
export type OfferOutcome = 'accepted' | 'declined' | 'expired' | 'limit' | 'withdrawn';

/** A file a member wants to send this peer; nothing of it is sent before `accept()`. */
export interface FileOffer {
  id: string;
  /** The sender. */
  peerId: string;
  /** This peer's id for a file sent to it alone, null for one sent to everyone. */
  to: string | null;
  name: string;
  /** The type the file will arrive with (see `IncomingFile.type`). */
  type: string;
  size: number;
  /** Take the file (refused with ERR_TRANSFER_LIMIT if it no longer fits the budget). Once only; later calls do nothing. */
  accept(): void;
  /** Turn it down; the sender's sendFile() rejects with ERR_TRANSFER_REFUSED. */
  reject(): void;
  /** Resolves once the offer is decided, expires or is withdrawn. */
  readonly settled: Promise<OfferOutcome>;
}

export type Payload = Blob | ArrayBuffer | ArrayBufferView;

export const newTransferId = (): string => toHex(randomBytes(TRANSFER_ID_BYTES));

const toBytes = (p: ArrayBuffer | ArrayBufferView): Uint8Array =>
  p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array(p.buffer, p.byteOffset, p.byteLength);

/** `12 KiB`, `3.4 MiB`: sizes in messages people read. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

// ---- sending -------------------------------------------------------------------------------

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

// ---- receiving -----------------------------------------------------------------------------

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
