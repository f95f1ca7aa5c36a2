// The PeerJS broker protocol over a WebSocket, written directly: `OPEN`, `ID-TAKEN`,
// `HEARTBEAT` and relayed `{ type, src, dst, payload }` frames.
import { toHex } from '../crypto/bytes.js';
import { KibitzError } from '../errors.js';
import { brokerSocketUrl } from './broker-url.js';
import type { SignalMessage, SignalingEndpoint, SignalingTransport, SignalType } from './transport.js';

const HEARTBEAT_MS = 5000;
const MAX_BROKER_FRAME = 128 * 1024;
/** `WebSocket.OPEN`: the same in every implementation, and Node 20 has no global to read it from. */
const OPEN = 1;

/** A WebSocket class: the browser's, or a Node implementation such as the `ws` package's. */
export type WebSocketClass = new (url: string) => WebSocket;

/** The broker lets whoever presents an id's token take it over: the token must be unguessable. */
const randomToken = () => toHex(crypto.getRandomValues(new Uint8Array(16)));

export class PeerJsTransport implements SignalingTransport {
  readonly base: string;
  readonly key: string;
  /** Same id + same token is accepted by the broker as a reconnect of the same holder. */
  private readonly tokens = new Map<string, string>();
  /** Ids this transport holds or is opening: a second socket with the same token would silently steal the first's messages. */
  private readonly held = new Set<string>();
  /** How long to wait for the broker's OPEN or ID-TAKEN. */
  openTimeoutMs = 10_000;

  /** Without `Socket`, each open uses the global WebSocket; Node 20 has none, so the agent passes one in. */
  constructor(
    base: string,
    key = 'peerjs',
    private readonly Socket?: WebSocketClass,
  ) {
    brokerSocketUrl(base, 'probe', 'probe', key);
    this.base = base;
    this.key = key;
  }

  open(id: string): Promise<SignalingEndpoint> {
    if (this.held.has(id)) return Promise.reject(new KibitzError('ERR_ID_TAKEN', `id ${id} is already held here`));
    let token = this.tokens.get(id);
    if (!token) this.tokens.set(id, (token = randomToken()));
    let socket: WebSocket;
    try {
      socket = new (this.Socket ?? WebSocket)(brokerSocketUrl(this.base, id, token, this.key));
    } catch (err) {
      return Promise.reject(new KibitzError('ERR_SIGNALING', 'cannot open a WebSocket to the broker', { cause: err }));
    }
    this.held.add(id);
    const release = () => this.held.delete(id);
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => fail(new KibitzError('ERR_SIGNALING', 'the signaling broker did not answer')), this.openTimeoutMs);
      const fail = (err: KibitzError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        release();
        socket.close();
        reject(err);
      };
      socket.onerror = () => fail(new KibitzError('ERR_SIGNALING', 'cannot reach the signaling broker'));
      socket.onclose = () => fail(new KibitzError('ERR_SIGNALING', 'the signaling broker closed the connection'));
      socket.onmessage = (event) => {
        const frame = parseFrame(event.data);
        if (!frame || settled) return;
        if (frame.type === 'OPEN') {
          settled = true;
          clearTimeout(timer);
          resolve(new PeerJsEndpoint(id, socket, release));
        } else if (frame.type === 'ID-TAKEN') {
          fail(new KibitzError('ERR_ID_TAKEN', `id ${id} is taken`));
        } else if (frame.type === 'ERROR' || frame.type === 'INVALID-KEY') {
          fail(new KibitzError('ERR_SIGNALING', `broker refused: ${frame.type}`));
        }
      };
    });
  }
}

function parseFrame(data: unknown): { type: string; src?: unknown; payload?: unknown } | null {
  if (typeof data !== 'string' || data.length > MAX_BROKER_FRAME) return null;
  try {
    const value = JSON.parse(data);
    return value && typeof value === 'object' && typeof value.type === 'string' ? value : null;
  } catch {
    return null;
  }
}

class PeerJsEndpoint implements SignalingEndpoint {
  onmessage: ((message: SignalMessage) => void) | null = null;
  onclose: (() => void) | null = null;
  private closed = false;
  private readonly heartbeat: ReturnType<typeof setInterval>;

  constructor(
    readonly id: string,
    private readonly socket: WebSocket,
    private readonly release: () => void,
  ) {
    this.heartbeat = setInterval(() => this.write({ type: 'HEARTBEAT' }), HEARTBEAT_MS);
    socket.onmessage = (event) => {
      const frame = parseFrame(event.data);
      if (!frame || typeof frame.src !== 'string') return;
      if (frame.type === 'OFFER' || frame.type === 'ANSWER' || frame.type === 'CANDIDATE' || frame.type === 'EXPIRE') {
        this.onmessage?.({ type: frame.type, src: frame.src, payload: frame.payload });
      }
    };
    socket.onclose = () => this.lost();
    socket.onerror = () => this.lost();
  }

  send(dst: string, type: SignalType, payload: unknown): void {
    this.write({ type, dst, payload });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.release();
    this.socket.onclose = null;
    this.socket.close();
  }

  private write(frame: object): void {
    if (this.socket.readyState === OPEN) this.socket.send(JSON.stringify(frame));
  }

  private lost(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.release();
    this.onclose?.();
  }
}
