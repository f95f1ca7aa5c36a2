// The `signaling` attribute made into a transport: "local" for one browser's tabs, otherwise
// a PeerJS broker's URL (the page's own origin when empty). Part of a call's code, which the
// script-tag build loads at join().
import { KibitzError } from '../errors.js';
import { BroadcastTransport } from '../signaling/broadcast.js';
import { PeerJsTransport } from '../signaling/peerjs.js';
import type { SignalingTransport } from '../signaling/transport.js';

const bad = (message: string) => new KibitzError('ERR_BAD_ATTRIBUTE', `signaling: ${message}`);

/** `signaling`: a broker base URL, `local`, or empty for the page's own origin. */
export function makeTransport(value: string | null | undefined): SignalingTransport {
  const spec = (value ?? '').trim();
  if (spec === 'local') return new BroadcastTransport();
  const base = spec || (typeof location !== 'undefined' ? location.origin + '/' : '');
  try {
    return new PeerJsTransport(base);
  } catch (err) {
    if (err instanceof KibitzError) throw bad(err.message);
    throw bad(`"${spec}" is not a URL; use ws://host:port/, https://host/ or "local"`);
  }
}
