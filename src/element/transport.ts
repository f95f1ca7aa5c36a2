// The `signaling` attribute made into a transport: "local" for one browser's tabs, otherwise
// a PeerJS broker's URL (the page's own origin when empty). Part of a call's code, which the
// script-tag build loads at join(); the value is checked in the bundle (config.ts).
import { BroadcastTransport } from '../signaling/broadcast.js';
import { PeerJsTransport } from '../signaling/peerjs.js';
import type { SignalingTransport } from '../signaling/transport.js';
import { brokerBase, parseSignaling } from './config.js';

/** `signaling`: a broker base URL, `local`, or empty for the page's own origin; ERR_BAD_ATTRIBUTE otherwise. */
export function makeTransport(value: string | null | undefined): SignalingTransport {
  const spec = parseSignaling(value);
  return spec === 'local' ? new BroadcastTransport() : new PeerJsTransport(brokerBase(spec));
}
