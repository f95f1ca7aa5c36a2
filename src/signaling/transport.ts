// The one interface every signaling transport implements. A transport only moves opaque
// payloads between ids; it never sees a room name, a display name or a roster.

/** The relayed message kinds of the PeerJS protocol. */
export type SignalType = 'OFFER' | 'ANSWER' | 'CANDIDATE';

export interface SignalMessage {
  type: SignalType | 'EXPIRE';
  /** The sender's id as the transport saw it (for EXPIRE: the id that was absent). */
  src: string;
  payload: unknown;
}

export interface SignalingEndpoint {
  readonly id: string;
  send(dst: string, type: SignalType, payload: unknown): void;
  onmessage: ((message: SignalMessage) => void) | null;
  /** Called once when the endpoint is lost without `close()` (network, broker stopped). */
  onclose: (() => void) | null;
  close(): void;
}

export interface SignalingTransport {
  /**
   * Hold `id` until the endpoint is closed. Rejects with `ERR_ID_TAKEN` when another
   * endpoint holds it, `ERR_SIGNALING` when the transport cannot be reached.
   */
  open(id: string): Promise<SignalingEndpoint>;
}
