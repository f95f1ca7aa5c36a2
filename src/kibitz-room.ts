// The script-tag bundle: registers <kibitz-room> and exports the public API, so both
// <script type="module" src=".../kibitz-room.js"> and import('.../kibitz-room.js') work.
// The in-memory test transport stays out of it: every visitor pays for each byte here. The
// engine (Room, the link factory, the transports) is `kibitz-engine.js` beside it, loaded at
// join() or imported by a page that wants the engine without the element.
import './define.js';
import type * as RoomLinks from './crypto/room-link.js';
// Named from their own modules, not through index.js: the build puts whatever this file
// imports into the bundle (rollup.config.mjs), and index.js also names the engine.
export { KibitzRoomElement } from './element/kibitz-room.js';
export { KibitzError } from './errors.js';
export { createJoinCode, parseGate } from './crypto/gate.js';
export { formatRoomLink, parseRoomLink } from './crypto/link-fields.js';
export { generateHostKey, sealHostKey, unsealHostKey } from './crypto/host-key.js';
export { normalizeRoomName } from './crypto/room-keys.js';
export { defaultStrings } from './element/ui/strings.js';
export type * from './index.js';
// Every event class, from the one module that defines them (a list here would drift from it).
export * from './element/events.js';

// Making a room or an invite signs and seals (the host key code): that loads on the first call.
const roomLinks = () => import('./crypto/room-link.js');
/** {@inheritDoc RoomLinks.createRoom} Loads its code on the first call. */
export const createRoom: typeof RoomLinks.createRoom = async (...args) => (await roomLinks()).createRoom(...args);
/** {@inheritDoc RoomLinks.createInvite} Loads its code on the first call. */
export const createInvite: typeof RoomLinks.createInvite = async (...args) => (await roomLinks()).createInvite(...args);
