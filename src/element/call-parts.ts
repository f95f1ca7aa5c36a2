// What a call needs and a page before join() does not: the engine, the WebRTC link factory,
// the broker transports, the ICE server endpoint, the link quality monitor, this browser's
// stores of confirmed safety codes and of host commands seen, and the tiles. The script-tag
// build ships this as `kibitz-engine.js`, which the element loads at join() (load-call.ts)
// and a page may import for the engine without the element.
export { Room } from '../engine/room.js';
export { rtcLinkFactory, type RtcLinkFactory } from '../engine/rtc-link.js';
export { PeerJsTransport } from '../signaling/peerjs.js';
export { BroadcastTransport } from '../signaling/broadcast.js';
export { makeTransport } from './transport.js';
export { IceRefresh, iceServersFor } from './ice-servers.js';
export { CallEvents } from './room-events.js';
export { LinkQualityMonitor } from './link-quality.js';
// The tiles: only a call has any.
export { tileView } from './ui/tile.js';
export { repeat } from 'lit/directives/repeat.js';
export { IndexedDbPinStore } from './pins.js';
export { localReplayStore } from './replay-store.js';
