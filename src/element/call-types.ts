// What the element adds to the engine's view of a call: the devices this browser offers, and
// per participant whether it is speaking and how good the link to it is. The engine knows
// nothing of these; the element measures them in this browser.
import type { Participant } from '../engine/room.js';

/** A kind of local device, in the element's words. */
export type DeviceKind = 'camera' | 'microphone' | 'speaker';

/** One device from `enumerateDevices()`; `label` is empty until the page may use media. */
export interface MediaDeviceEntry {
  kind: DeviceKind;
  deviceId: string;
  groupId: string;
  label: string;
  /** The device this element uses (or will use) for its kind. */
  selected: boolean;
}

/** The link to a participant, from round-trip time and loss (`getStats`), sampled every few seconds. */
export type LinkQuality = 'good' | 'fair' | 'poor';

/** A participant as the element shows it: the engine's view, plus what this browser measures. */
export interface CallParticipant extends Participant {
  /** Its audio is above the speaking threshold now (this peer's own microphone for `self`). */
  speaking: boolean;
  /** Quality of the direct link to it; null for self and before the first sample. */
  quality: LinkQuality | null;
}
