// The content plane: messages and files between members over the mesh, sent to everyone or
// one, validated on arrival and reported to the page. Nothing here reaches the broker.
import { KibitzError } from '../errors.js';
import type { Clock } from './clock.js';
import type { Mesh } from './mesh.js';
import { MAX_CONTENT_DEPTH, MAX_CONTENT_FRAME, decodeContent, encodeContentBinary, encodeContentJson, nestsWithin } from './protocol.js';
import type { RoomEvents } from './room-types.js';
import { Inbound, newTransferId, sendTransfer, type Payload, type TransferOptions } from './transfer.js';

/** Outbound transfer progress is reported at most this often. */
const PROGRESS_EVERY_MS = 100;

export interface ContentHost {
  readonly selfId: string;
  readonly clock: Clock;
  readonly mesh: Mesh;
  /** The members a send reaches: everyone else, or `to` (throws ERR_NOT_JOINED / ERR_UNKNOWN_PEER). */
  targets(to?: string): string[];
  report<K extends 'message' | 'file' | 'progress'>(type: K, detail: RoomEvents[K]): void;
  malformed(): void;
}

export class Content {
  private readonly inbound = new Inbound();

  constructor(private readonly host: ContentHost) {}

  /** Incoming transfers not yet complete. */
  get pending(): number {
    return this.inbound.pending;
  }

  /** Send to every other participant, or to one. Not echoed to the sender. */
  send(data: unknown, to?: string): void {
    const targets = this.host.targets(to);
    const frame = encodeContentFrame(data, to !== undefined);
    // A rostered peer whose link is still being made gets the message once it exists.
    for (const id of targets) this.host.mesh.sendContent(id, frame);
  }

  /** Send a large binary payload in chunks under backpressure; resolves with the transfer id. */
  async sendFile(payload: Payload, to?: string, options: TransferOptions = {}): Promise<string> {
    const links = this.host.targets(to).flatMap((id) => this.host.mesh.link(id) ?? []);
    let lastReport = 0;
    const id = options.id ?? newTransferId();
    return sendTransfer(links, payload, to !== undefined, {
      ...options,
      id,
      onProgress: (sent, total) => {
        options.onProgress?.(sent, total);
        const now = this.host.clock.now();
        if (sent === total || now - lastReport >= PROGRESS_EVERY_MS) {
          lastReport = now;
          this.host.report('progress', { id, peerId: to ?? null, direction: 'out', bytes: sent, total });
        }
      },
    });
  }

  /** A raw content frame from member `peerId` (already known to be the sender: the link it came on). */
  receive(peerId: string, raw: unknown): void {
    const frame = decodeContent(raw);
    if (!frame) return this.host.malformed();
    const { selfId } = this.host;
    if (frame.kind === 'json' || frame.kind === 'binary') {
      this.host.report('message', { peerId, data: frame.data, to: frame.direct ? selfId : null });
      return;
    }
    const outcome = this.inbound.handle(peerId, selfId, frame);
    if (!outcome) return;
    if ('file' in outcome) this.host.report('file', outcome.file);
    else {
      const { id, received, total } = outcome.progress;
      this.host.report('progress', { id, peerId, direction: 'in', bytes: received, total });
    }
  }

  /** Forget the unfinished transfers of a member that left. */
  forget(peerId: string): void {
    this.inbound.forget(peerId);
  }
}

function encodeContentFrame(data: unknown, direct: boolean): string | Uint8Array {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength > MAX_CONTENT_FRAME) {
      throw new KibitzError('ERR_TOO_LARGE', `binary messages are limited to ${MAX_CONTENT_FRAME} bytes; use sendFile for more`);
    }
    return encodeContentBinary(bytes, direct);
  }
  let text: string;
  try {
    text = encodeContentJson(data === undefined ? null : data, direct);
  } catch (err) {
    throw new KibitzError('ERR_SEND', 'message is not JSON-serialisable', { cause: err });
  }
  if (text.length > MAX_CONTENT_FRAME) throw new KibitzError('ERR_TOO_LARGE', `messages are limited to ${MAX_CONTENT_FRAME} bytes`);
  // Receivers drop deeper frames (see MAX_CONTENT_DEPTH); say so here instead of losing it silently.
  if (!nestsWithin(text, MAX_CONTENT_DEPTH)) throw new KibitzError('ERR_SEND', `messages may nest at most ${MAX_CONTENT_DEPTH - 1} levels`);
  return text;
}
