// The script-tag build's engine: the element loads this module at join() (load-call.ts), and a
// page may import it to run a call without the element. Importing it loads the bundle too
// (and so registers <kibitz-room>): what both share is fetched once, from kibitz-room.js.
import './kibitz-room.js';
export { Room, rtcLinkFactory, PeerJsTransport, BroadcastTransport } from './element/call-parts.js';
