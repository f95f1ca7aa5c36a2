// Large binary payloads: chunked onto the content channel under backpressure, so the
// sender never holds more than a few megabytes whatever the payload size, and the
// receiver reassembles them into a Blob.
import { randomBytes, toHex } from '../crypto/bytes.js';
import { KibitzError } from '../errors.js';
import type { Link } from './link.js';
import {
  MAX_CONTENT_FRAME,
  TRANSFER_ID_BYTES,
  encodeTransferEnd,
  encodeTransferStart,
  transferChunkHeader,
  type ContentFrame,
} from './protocol.js';

/** Refill a link's queue below this backlog; wait above HIGH. */
const HIGH_BACKLOG = 8 * 1024 * 1024;
const LOW_BACKLOG = 2 * 1024 * 1024;
/** Blobs are read this much at a time and cut into chunks. */
const READ_SIZE = 4 * 1024 * 1024;
/** A sender may have this many transfers in flight to one receiver; more are dropped. */
const MAX_OPEN_PER_SENDER = 16;
export const CHUNK_SIZE = MAX_CONTENT_FRAME - 1 - TRANSFER_ID_BYTES;

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
  type: string;
  size: number;
  data: Blob;
}

export type Payload = Blob | ArrayBuffer | ArrayBufferView;

export const newTransferId = (): string => toHex(randomBytes(TRANSFER_ID_BYTES));

const toBytes = (p: ArrayBuffer | ArrayBufferView): Uint8Array =>
  p instanceof ArrayBuffer ? new Uint8Array(p) : new Uint8Array(p.buffer, p.byteOffset, p.byteLength);

/** Send one payload to every link in `links`; resolves once the last byte is handed to the transports. */
export async function sendTransfer(links: Link[], payload: Payload, direct: boolean, options: TransferOptions = {}): Promise<string> {
  const isBlob = typeof Blob !== 'undefined' && payload instanceof Blob;
  if (!isBlob && !(payload instanceof ArrayBuffer) && !ArrayBuffer.isView(payload)) {
    throw new KibitzError('ERR_SEND', 'sendFile takes a Blob, an ArrayBuffer or a typed array');
  }
  const total = isBlob ? (payload as Blob).size : toBytes(payload as ArrayBuffer).byteLength;
  const id = options.id ?? newTransferId();
  const name = options.name ?? (typeof File !== 'undefined' && payload instanceof File ? payload.name : '');
  const type = options.type ?? (isBlob ? (payload as Blob).type : 'application/octet-stream');
  const start = encodeTransferStart(id, { name: name.slice(0, 256), type: type.slice(0, 128), size: total }, direct);
  for (const link of links) link.sendContent(start);
  const header = transferChunkHeader(id);
  let sent = 0;
  const abort = () => {
    for (const link of links) link.sendContent(encodeTransferEnd(id, true));
    throw new KibitzError('ERR_SEND', 'transfer aborted');
  };
  for (let offset = 0; offset < total; offset += READ_SIZE) {
    const block = isBlob
      ? new Uint8Array(await (payload as Blob).slice(offset, offset + READ_SIZE).arrayBuffer())
      : toBytes(payload as ArrayBuffer).subarray(offset, offset + READ_SIZE);
    for (let at = 0; at < block.byteLength; at += CHUNK_SIZE) {
      if (options.signal?.aborted) abort();
      const piece = block.subarray(at, at + CHUNK_SIZE);
      const frame = new Uint8Array(header.byteLength + piece.byteLength);
      frame.set(header);
      frame.set(piece, header.byteLength);
      for (const link of links) {
        if (link.contentBacklog() > HIGH_BACKLOG) await link.drained(LOW_BACKLOG);
        // A recipient that went away mid-transfer must not look like a delivery.
        if (link.isClosed) throw new KibitzError('ERR_SEND', `${link.remoteId} left before the transfer finished`);
        link.sendContent(frame);
      }
      sent += piece.byteLength;
      options.onProgress?.(sent, total);
    }
  }
  for (const link of links) link.sendContent(encodeTransferEnd(id));
  return id;
}

interface Assembly {
  from: string;
  to: string | null;
  name: string;
  type: string;
  size: number;
  received: number;
  parts: ArrayBuffer[];
}

/** Reassembles incoming transfers per sender. Anything inconsistent is dropped. */
export class Inbound {
  private readonly open = new Map<string, Assembly>();

  /** Returns a progress tuple, a completed file, or null (dropped or nothing to report). */
  handle(
    from: string,
    selfId: string,
    frame: Extract<ContentFrame, { kind: 'start' | 'end' | 'abort' | 'chunk' }>,
  ): { progress: { id: string; received: number; total: number } } | { file: IncomingFile } | null {
    const key = `${from}/${frame.id}`;
    switch (frame.kind) {
      case 'start':
        if (this.open.has(key) || this.countFrom(from) >= MAX_OPEN_PER_SENDER) return null;
        this.open.set(key, {
          from,
          to: frame.direct ? selfId : null,
          name: frame.name,
          type: frame.type,
          size: frame.size,
          received: 0,
          parts: [],
        });
        return { progress: { id: frame.id, received: 0, total: frame.size } };
      case 'chunk': {
        const a = this.open.get(key);
        if (!a) return null;
        a.received += frame.data.byteLength;
        if (a.received > a.size) {
          this.open.delete(key);
          return null;
        }
        a.parts.push(frame.data);
        return { progress: { id: frame.id, received: a.received, total: a.size } };
      }
      case 'end': {
        const a = this.open.get(key);
        this.open.delete(key);
        if (!a || a.received !== a.size) return null;
        const data = new Blob(a.parts, { type: a.type });
        return { file: { id: frame.id, peerId: from, to: a.to, name: a.name, type: a.type, size: a.size, data } };
      }
      case 'abort':
        this.open.delete(key);
        return null;
    }
  }

  private countFrom(from: string): number {
    let n = 0;
    for (const a of this.open.values()) if (a.from === from) n++;
    return n;
  }

  /** Forget everything from a peer that left. */
  forget(from: string): void {
    for (const key of [...this.open.keys()]) if (key.startsWith(`${from}/`)) this.open.delete(key);
  }

  get pending(): number {
    return this.open.size;
  }
}
