// Large binary payloads between two members, with the receiver in charge of its memory.
//
// The sender offers a file (name, type, size) and sends nothing more until the receiver
// accepts; then it streams chunks onto the content channel under backpressure, so it never
// holds more than a few megabytes whatever the payload size. The receiver decides (the page,
// its user, or a policy), reserves the announced size against a per-sender and a total
// budget before accepting, and cuts a transfer off (telling the sender) when it overruns its
// announced size or stalls. What arrives becomes a Blob whose type comes from a safe list.
import { randomBytes, toHex } from '../crypto/bytes.js';
import { KibitzError } from '../errors.js';
import { MAX_CONTENT_FRAME, TRANSFER_ID_BYTES } from './protocol.js';
export { formatBytes } from './format-bytes.js';

/** Refill a link's queue below this backlog; wait above HIGH. */
export const HIGH_BACKLOG = 8 * 1024 * 1024;
export const LOW_BACKLOG = 2 * 1024 * 1024;
/** Blobs are read this much at a time and cut into chunks. */
export const READ_SIZE = 4 * 1024 * 1024;
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

export const toBytes = (p: ArrayBuffer | ArrayBufferView): Uint8Array =>
  p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
