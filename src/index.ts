// The package's public API. Importing it registers nothing; import './define.js' (or load
// the script-tag bundle) to register <kibitz-room>.
export { KibitzRoomElement } from './element/kibitz-room.js';
export { KibitzError, type KibitzErrorCode } from './errors.js';
export { createRoom, formatRoomLink, parseRoomLink, type RoomLinkAttributes } from './crypto/room-link.js';
export { generateHostKey, sealHostKey, unsealHostKey } from './crypto/host-key.js';
export { normalizeRoomName } from './crypto/room-keys.js';
export { Room, type Participant, type RoomStatus, type RoomEvents, type RoomOptions } from './engine/room.js';
export { rtcLinkFactory } from './engine/rtc-link.js';
export { PeerJsTransport } from './signaling/peerjs.js';
export { BroadcastTransport } from './signaling/broadcast.js';
export { MemoryBus } from './signaling/memory.js';
export type { SignalingTransport, SignalingEndpoint } from './signaling/transport.js';
