// The script-tag bundle: registers <kibitz-room> and exports the public API, so both
// <script type="module" src=".../kibitz-room.js"> and import('.../kibitz-room.js') work.
// The in-memory test transport stays out of it: every visitor pays for each byte here.
import './define.js';
export {
  KibitzRoomElement,
  KibitzError,
  createRoom,
  createInvite,
  createJoinCode,
  parseGate,
  formatRoomLink,
  parseRoomLink,
  generateHostKey,
  sealHostKey,
  unsealHostKey,
  normalizeRoomName,
  Room,
  rtcLinkFactory,
  PeerJsTransport,
  BroadcastTransport,
  defaultStrings,
} from './index.js';
export type * from './index.js';
// Every event class, from the one module that defines them (a list here would drift from it).
export * from './element/events.js';
