// One link per pair of peers. The engine speaks to links only through this interface, so a
// whole room can run over real RTCPeerConnections or, in deterministic tests, in memory.
import { normalizeFingerprint } from '../crypto/command.js';
import type { Clock } from './clock.js';
import type { SignalData } from './protocol.js';

export type MediaSlot = 'audio' | 'video' | 'screen';
export const MEDIA_SLOTS: readonly MediaSlot[] = ['audio', 'video', 'screen'];

export type LocalTracks = Partial<Record<MediaSlot, MediaStreamTrack | null>>;

export interface LinkHandlers {
  /** An outbound handshake message for the remote peer. */
  signal(data: SignalData): void;
  /** The control channel is open: frames can flow. */
  open(): void;
  /** The link is gone for good. */
  close(reason: 'closed' | 'failed'): void;
  control(raw: unknown): void;
  content(raw: unknown): void;
  track?(slot: MediaSlot, track: MediaStreamTrack): void;
  /** Transport state for the UI: `connected`, `reconnecting`. */
  state?(state: 'connected' | 'reconnecting'): void;
  /** The link cannot work as configured (relay-only with no reachable TURN); `close` follows. */
  fault?(code: 'ERR_NO_RELAY', message: string): void;
}

export interface LinkOptions {
  remoteId: string;
  /** The dialer makes the first offer. */
  dialer: boolean;
  /** The polite side yields when offers collide (perfect negotiation). */
  polite: boolean;
  tracks: LocalTracks;
  /** Whether this side wants media transceivers at all (false for data-only peers). */
  media: boolean;
  handlers: LinkHandlers;
}

export interface Link {
  remoteId: string;
  readonly isOpen: boolean;
  /** Closed for good (a link still connecting is neither open nor closed). */
  readonly isClosed: boolean;
  /** Remote DTLS certificate fingerprint read from the live connection, normalised. */
  fingerprint(): Promise<string | null>;
  sendControl(frame: string): void;
  /** Queued behind backpressure; order is kept. */
  sendContent(frame: string | Uint8Array): void;
  /** Bytes waiting to leave on the content channel (queued here plus buffered in the transport). */
  contentBacklog(): number;
  /** Resolves once the content backlog is at or below `bytes`. */
  drained(bytes: number): Promise<void>;
  handleSignal(data: SignalData): Promise<void>;
  setTrack(slot: MediaSlot, track: MediaStreamTrack | null): Promise<void>;
  getStats(): Promise<RTCStatsReport | null>;
  close(): void;
}

export type LinkFactory = (options: LinkOptions) => Link;

/** How long a just-opened link may take to show its remote certificate. */
const FINGERPRINT_TRIES = 20;
const FINGERPRINT_RETRY_MS = 100;

/**
 * The remote certificate fingerprint of a just-opened link, read from the live transport
 * (normalised), asking again for a while since a transport may not know it at once; null if
 * it never shows or the link closes.
 */
export async function readFingerprint(link: Link, clock: Clock): Promise<string | null> {
  for (let i = 0; i < FINGERPRINT_TRIES && !link.isClosed; i++) {
    const fp = normalizeFingerprint((await link.fingerprint().catch(() => null)) ?? '');
    if (fp) return fp;
    await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), FINGERPRINT_RETRY_MS));
  }
  return null;
}
