// Large binary payloads between two members, with the receiver in charge of its memory.
//
// The sender offers a file (name, type, size) and sends nothing more until the receiver
// accepts; then it streams chunks onto the content channel under backpressure, so it never
// holds more than a few megabytes whatever the payload size. The receiver decides (the page,
// its user, or a policy), reserves the announced size against a per-sender and a total
// budget before accepting, and cuts a transfer off (telling the sender) when it overruns its
// announced size or stalls. What arrives becomes a Blob whose type comes from a safe list.
import { randomBytes, toHex } from '../crypto/bytes.js';
import { MAX_CONTENT_FRAME, TRANSFER_ID_BYTES } from './protocol.js';
export { formatBytes } from './format-bytes.js';
export {
  ACCEPT_FILES,
  DEFAULT_FILE_LIMITS,
  resolveAcceptFiles,
  resolveFileLimits,
  type AcceptFiles,
  type FileLimits,
} from './file-options.js';

/** Refill a link's queue below this backlog; wait above HIGH. */
export const HIGH_BACKLOG = 8 * 1024 * 1024;
export const LOW_BACKLOG = 2 * 1024 * 1024;
/** Blobs are read this much at a time and cut into chunks. */
export const READ_SIZE = 4 * 1024 * 1024;
/** A sender may have this many offers and transfers open with one receiver; more are refused. */
export const MAX_OPEN_PER_SENDER = 16;
export const CHUNK_SIZE = MAX_CONTENT_FRAME - 1 - TRANSFER_ID_BYTES;

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
