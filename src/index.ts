// The package's public API. Importing it registers nothing; import './define.js' (or load
// the script-tag bundle) to register <kibitz-room>.
export { KibitzRoomElement } from './element/kibitz-room.js';
export {
  KibitzEvent,
  KibitzStateEvent,
  KibitzJoinEvent,
  KibitzLeaveEvent,
  KibitzMessageEvent,
  KibitzFileEvent,
  KibitzFileOfferEvent,
  KibitzProgressEvent,
  KibitzCoordinatorEvent,
  KibitzErrorEvent,
  KibitzTrackEvent,
  KibitzParticipantsEvent,
  KibitzConnectionEvent,
  KibitzRefusedEvent,
  KibitzKickEvent,
  KibitzKnockEvent,
  KibitzHostEvent,
  KibitzLockEvent,
  KibitzLobbyEvent,
  KibitzSafetyEvent,
  KibitzGateEvent,
  KibitzGrantEvent,
  KibitzAuditEvent,
  KibitzChatEvent,
  KibitzDevicesEvent,
  KibitzSpeakingEvent,
  KibitzQualityEvent,
  type KibitzEventMap,
  type KibitzStateDetail,
  type KibitzJoinDetail,
  type KibitzLeaveDetail,
  type KibitzMessageDetail,
  type KibitzFileDetail,
  type KibitzFileOfferDetail,
  type KibitzProgressDetail,
  type KibitzCoordinatorDetail,
  type KibitzErrorDetail,
  type KibitzTrackDetail,
  type KibitzParticipantsDetail,
  type KibitzConnectionDetail,
  type KibitzRefusedDetail,
  type KibitzKickDetail,
  type KibitzKnockDetail,
  type KibitzHostDetail,
  type KibitzLockDetail,
  type KibitzLobbyDetail,
  type KibitzSafetyDetail,
  type KibitzGateDetail,
  type KibitzGrantDetail,
  type KibitzAuditDetail,
  type KibitzChatDetail,
  type KibitzDevicesDetail,
  type KibitzSpeakingDetail,
  type KibitzQualityDetail,
} from './element/events.js';
export { defaultStrings, type KibitzStrings } from './element/ui/strings.js';
export { KibitzError, type KibitzErrorCode } from './errors.js';
export type { CallParticipant, DeviceKind, LinkQuality, MediaDeviceEntry } from './element/call-types.js';
export { classifyLink, LINK_THRESHOLDS, type LinkSample } from './element/link-quality.js';
export { createRoom, createInvite } from './crypto/room-link.js';
export { formatRoomLink, parseRoomLink, type RoomLinkAttributes } from './crypto/link-fields.js';
export { createJoinCode, parseGate, type GateDescriptor, type GateMethod, type GateOption, type GateReason } from './crypto/gate.js';
export type { Identity, GateCredential } from './engine/gatekeeper.js';
export { generateHostKey, sealHostKey, unsealHostKey } from './crypto/host-key.js';
export { normalizeRoomName } from './crypto/room-keys.js';
export { Room, type Participant, type RoomState, type RoomEvents, type RoomOptions } from './engine/room.js';
export { AGENT_GRANT, PERSON_GRANT, defaultGrant, type Act, type Grant, type Perceive } from './engine/grants.js';
export { rtcLinkFactory } from './engine/rtc-link.js';
export { MemoryPinStore, type Pin, type PinStore, type SafetyAlarm, type Trust } from './engine/safety.js';
export { PeerJsTransport } from './signaling/peerjs.js';
export { BroadcastTransport } from './signaling/broadcast.js';
export { MemoryBus } from './signaling/memory.js';
export type { SignalingTransport, SignalingEndpoint } from './signaling/transport.js';
