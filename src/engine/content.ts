// The content plane: messages and files between members over the mesh, sent to everyone or
// one, validated on arrival and reported to the page. Nothing here reaches the broker. Files
// are offered first and sent only to those who accept (transfer.ts); the code that sends and
// receives them loads on first use, so a room that never moves a file never fetches it.
import { KibitzError } from '../errors.js';
import type { Clock } from './clock.js';
import type { Mesh } from './mesh.js';
import {
  MAX_CONTENT_DEPTH,
  MAX_CONTENT_FRAME,
  decodeContent,
  encodeContentBinary,
  encodeContentJson,
  encodeTransferAnswer,
  nestsWithin,
  type AuditedAct,
  type ContentFrame,
} from './protocol.js';
import type { RoomEvents } from './room-types.js';
import { newTransferId, type AcceptFiles, type FileLimits, type Payload, type TransferOptions } from './transfer.js';
import type * as TransferIn from './transfer-in.js';
import type { Inbound } from './transfer-in.js';
import type * as TransferOut from './transfer-out.js';
import type { Outbound } from './transfer-out.js';

/** Outbound transfer progress is reported at most this often. */
const PROGRESS_EVERY_MS = 100;
/**
 * Transfer frames held while the receiving code loads (a few milliseconds). An honest sender
 * has at most 16 offers open and sends no chunk before an accept, which needs that code; more
 * than this is a peer breaking the protocol.
 */
const MAX_HELD_FRAMES = 64;

type InboundFrame = Extract<ContentFrame, { kind: 'start' | 'end' | 'abort' | 'chunk' }>;

// The transfer code, once loaded in this page: every Content after that uses it at once.
let transferIn: typeof TransferIn | null = null;
let transferOut: typeof TransferOut | null = null;

/** Load the receiving side of file transfers (once per page). */
export const loadTransferIn = (): Promise<typeof TransferIn> => import('./transfer-in.js').then((loaded) => (transferIn = loaded));
/** Load the sending side of file transfers (once per page). */
export const loadTransferOut = (): Promise<typeof TransferOut> => import('./transfer-out.js').then((loaded) => (transferOut = loaded));

export interface ContentHost {
  readonly selfId: string;
  readonly clock: Clock;
  readonly mesh: Mesh;
  /** Who decides on incoming files, and what they may take. */
  readonly acceptFiles: AcceptFiles;
  readonly fileLimits: FileLimits;
  /** The members a send reaches: everyone else, or `to` (throws ERR_NOT_JOINED / ERR_UNKNOWN_PEER). */
  targets(to?: string): string[];
  /** A member's name for messages people read (its id when it has none). */
  who(peerId: string): string;
  report<K extends 'message' | 'file' | 'progress' | 'offer' | 'error'>(type: K, detail: RoomEvents[K]): void;
  malformed(): void;
  /** Whether `peerId` holds the grant to send messages (`chat`) or offer files (`files`). */
  allows(peerId: string, act: AuditedAct): boolean;
  /** An arrival from `peerId` was dropped for want of that grant. */
  blocked(peerId: string, act: AuditedAct): void;
}

export class Content {
  private inbound: Inbound | null = null;
  private outbound: Outbound | null = null;
  /** The receiving code is loading: frames from each sender wait here, in order. */
  private held: [string, InboundFrame][] | null = null;

  constructor(private readonly host: ContentHost) {}

  private createInbound({ Inbound }: typeof TransferIn): Inbound {
    const host = this.host;
    return (this.inbound = new Inbound(
      {
        clock: host.clock,
        limits: host.fileLimits,
        policy: host.acceptFiles,
        who: (peerId) => host.who(peerId),
        reply: (peerId, frame) => host.mesh.link(peerId)?.sendContent(frame),
        offer: (offer) => host.report('offer', offer),
        progress: (id, peerId, bytes, total) => host.report('progress', { id, peerId, direction: 'in', bytes, total }),
        file: (file) => host.report('file', file),
        error: (code, message) => host.report('error', { code, message }),
        malformed: () => host.malformed(),
      },
      host.selfId,
    ));
  }

  private createOutbound({ Outbound }: typeof TransferOut): Outbound {
    return (this.outbound = new Outbound({
      clock: this.host.clock,
      answerMs: 2 * this.host.fileLimits.offerMs,
      who: (peerId) => this.host.who(peerId),
    }));
  }

  /** Load the receiving side; frames that arrive meanwhile are handled in order once it is here. */
  private loadInbound(): void {
    const held: [string, InboundFrame][] = (this.held = []);
    loadTransferIn().then(
      (loaded) => {
        if (this.held !== held) return; // this peer left the room meanwhile
        this.held = null;
        const inbound = this.createInbound(loaded);
        for (const [peerId, frame] of held) inbound.handle(peerId, frame);
      },
      (err: unknown) => {
        if (this.held !== held) return;
        // Offers are declined, so their senders do not wait; a later offer tries again.
        this.held = null;
        for (const [peerId, frame] of held) {
          if (frame.kind === 'start') this.host.mesh.link(peerId)?.sendContent(encodeTransferAnswer(frame.id, 'declined'));
        }
        this.host.report('error', {
          code: 'ERR_TRANSFER_REFUSED',
          message: `file offers were declined: the file-transfer code did not load (${String(err)})`,
        });
      },
    );
  }

  private receiveTransfer(peerId: string, frame: InboundFrame): void {
    const inbound = this.inbound ?? (transferIn && !this.held ? this.createInbound(transferIn) : null);
    if (inbound) return inbound.handle(peerId, frame);
    if (!this.held) this.loadInbound();
    if (this.held!.length >= MAX_HELD_FRAMES) return this.host.malformed();
    this.held!.push([peerId, frame]);
  }

  /** The sending side, loaded by the first sendFile() of this page. */
  private async loadOutbound(): Promise<Outbound> {
    let loaded: typeof TransferOut;
    try {
      loaded = await loadTransferOut();
    } catch (err) {
      // The next sendFile() tries again.
      throw new KibitzError('ERR_SEND', 'the file-transfer code did not load', { cause: err });
    }
    return this.outbound ?? this.createOutbound(loaded);
  }

  /** Offers and transfers not yet finished, both ways. */
  get pending(): number {
    return (this.inbound?.pending ?? this.held?.filter(([, f]) => f.kind === 'start').length ?? 0) + (this.outbound?.pending ?? 0);
  }

  /** Bytes unfinished incoming transfers hold now. */
  get bufferedBytes(): number {
    return this.inbound?.bufferedBytes ?? 0;
  }

  /** Send to every other participant, or to one. Not echoed to the sender. */
  send(data: unknown, to?: string): void {
    const targets = this.host.targets(to);
    const frame = encodeContentFrame(data, to !== undefined);
    // A rostered peer whose link is still being made gets the message once it exists.
    for (const id of targets) this.host.mesh.sendContent(id, frame);
  }

  /**
   * Offer a large binary payload; each recipient that accepts gets it in chunks under
   * backpressure. Resolves with the transfer id once every byte is handed over.
   */
  async sendFile(payload: Payload, to?: string, options: TransferOptions = {}): Promise<string> {
    this.host.targets(to); // not joined, or an unknown peer: say so before loading anything
    const outbound = this.outbound ?? (transferOut ? this.createOutbound(transferOut) : await this.loadOutbound());
    const links = this.host.targets(to).flatMap((id) => this.host.mesh.link(id) ?? []);
    let lastReport = 0;
    const id = options.id ?? newTransferId();
    return outbound.send(links, payload, to !== undefined, {
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
    switch (frame.kind) {
      case 'json':
      case 'binary':
        if (!this.host.allows(peerId, 'chat')) return this.host.blocked(peerId, 'chat');
        this.host.report('message', { peerId, data: frame.data, to: frame.direct ? this.host.selfId : null });
        return;
      case 'start':
        if (!this.host.allows(peerId, 'files')) {
          // Declined at once, so the sender does not wait for an answer that never comes.
          this.host.mesh.link(peerId)?.sendContent(encodeTransferAnswer(frame.id, 'declined'));
          return this.host.blocked(peerId, 'files');
        }
        return this.receiveTransfer(peerId, frame);
      case 'accept':
      case 'refuse':
        // Before the sending code loads, no offer of ours awaits an answer: nothing to match.
        return this.outbound?.answer(peerId, frame);
      default:
        return this.receiveTransfer(peerId, frame);
    }
  }

  /** Forget the unfinished transfers, both ways, of a member that left. */
  forget(peerId: string): void {
    this.inbound?.forget(peerId);
    if (this.held) this.held.splice(0, Infinity, ...this.held.filter(([from]) => from !== peerId));
    this.outbound?.forget(peerId);
  }

  /** This peer left the room: drop every offer and transfer. */
  clear(): void {
    this.inbound?.clear();
    this.held = null;
    this.outbound?.clear();
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
