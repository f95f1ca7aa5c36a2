// Same-browser tabs with no server at all: ids are held with Web Locks (released by the
// browser when a tab goes away) and messages travel over a BroadcastChannel.
import { KibitzError } from '../errors.js';
import type { SignalMessage, SignalingEndpoint, SignalingTransport, SignalType } from './transport.js';

const CHANNEL = 'kibitz-signaling-v1';

interface Envelope {
  src: string;
  dst: string;
  type: SignalType;
  payload: unknown;
}

export class BroadcastTransport implements SignalingTransport {
  open(id: string): Promise<SignalingEndpoint> {
    if (typeof BroadcastChannel === 'undefined' || !navigator.locks) {
      return Promise.reject(new KibitzError('ERR_SIGNALING', 'this browser has no BroadcastChannel or Web Locks'));
    }
    return new Promise((resolve, reject) => {
      navigator.locks
        .request(`kibitz:${id}`, { ifAvailable: true }, (lock) => {
          if (!lock) {
            reject(new KibitzError('ERR_ID_TAKEN', `id ${id} is taken`));
            return undefined;
          }
          // Holding the lock is holding the id: keep the callback pending until close().
          return new Promise<void>((release) => resolve(new BroadcastEndpoint(id, release)));
        })
        .catch((err: unknown) => reject(new KibitzError('ERR_SIGNALING', 'cannot hold a signaling id', { cause: err })));
    });
  }
}

class BroadcastEndpoint implements SignalingEndpoint {
  onmessage: ((message: SignalMessage) => void) | null = null;
  onclose: (() => void) | null = null;
  private readonly channel = new BroadcastChannel(CHANNEL);

  constructor(
    readonly id: string,
    private readonly release: () => void,
  ) {
    this.channel.onmessage = (event: MessageEvent<Envelope>) => {
      const m = event.data;
      if (!m || typeof m !== 'object' || m.dst !== this.id || typeof m.src !== 'string') return;
      if (m.type !== 'OFFER' && m.type !== 'ANSWER' && m.type !== 'CANDIDATE') return;
      this.onmessage?.({ type: m.type, src: m.src, payload: m.payload });
    };
  }

  send(dst: string, type: SignalType, payload: unknown): void {
    const envelope: Envelope = { src: this.id, dst, type, payload };
    this.channel.postMessage(envelope);
  }

  close(): void {
    this.channel.close();
    this.release();
  }
}
