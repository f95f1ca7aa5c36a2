// Shared fixtures for browser tests: real <kibitz-room> elements against the real broker.
import { executeServerCommand } from '@web/test-runner-commands';
import '../../src/define.js';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';
import type { KibitzEventMap } from '../../src/element/events.js';
import type { Room } from '../../src/engine/room.js';
import { RtcLink } from '../../src/engine/rtc-link.js';

export async function brokerUrl(): Promise<string> {
  const url = await executeServerCommand<string, undefined>('broker-url');
  if (!url) throw new Error('no broker running');
  return url;
}

/** This page runs in Firefox: a test that cannot run there says why, next to the test. */
export const inFirefox = /\bFirefox\//.test(navigator.userAgent);

let counter = 0;
export const uniqueRoom = (label: string) => `${label} ${Date.now()} ${++counter} ${Math.random()}`;

export interface RoomAttrs {
  room: string;
  name: string;
  media?: string;
  signaling?: string;
  [attr: string]: string | undefined;
}

const made: KibitzRoomElement[] = [];

export function makeRoom(attrs: RoomAttrs): KibitzRoomElement {
  const el = document.createElement('kibitz-room');
  for (const [key, value] of Object.entries({ media: '', ...attrs })) if (value !== undefined) el.setAttribute(key, value);
  document.body.append(el);
  made.push(el);
  return el;
}

export function cleanup(): void {
  for (const el of made.splice(0)) el.remove();
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Every `detail` of one `kibitz-*` event, in order, typed by the event. */
export function collect<K extends keyof KibitzEventMap>(el: KibitzRoomElement, type: K): KibitzEventMap[K]['detail'][];
/** The same, for a caller that names the detail type itself. */
export function collect<T>(el: KibitzRoomElement, type: keyof KibitzEventMap): T[];
export function collect(el: KibitzRoomElement, type: keyof KibitzEventMap): unknown[] {
  const seen: unknown[] = [];
  el.addEventListener(type, (e) => seen.push(e.detail));
  return seen;
}

/** The engine behind a joined element. */
export function engineOf(el: KibitzRoomElement): Room {
  if (!el.engine) throw new Error(`${el.name} has no engine: join first`);
  return el.engine;
}

// Every data channel a page opens, by connection: a test reaches a link's channels through
// the platform (RtcLink's `pc` is public), never through the link's private fields.
const channelsByConnection = new WeakMap<RTCPeerConnection, Map<string, RTCDataChannel>>();
const createDataChannel = RTCPeerConnection.prototype.createDataChannel;
RTCPeerConnection.prototype.createDataChannel = function (this: RTCPeerConnection, label: string, init?: RTCDataChannelInit) {
  const channel = createDataChannel.call(this, label, init);
  let channels = channelsByConnection.get(this);
  if (!channels) channelsByConnection.set(this, (channels = new Map()));
  channels.set(label, channel);
  return channel;
};

/** The live WebRTC pieces of the link from `el` to one peer: its connection and its `control` and `content` channels. */
export function wireOf(
  el: KibitzRoomElement,
  peerId: string,
): { link: RtcLink; pc: RTCPeerConnection; control: RTCDataChannel; content: RTCDataChannel } {
  const link = engineOf(el).link(peerId);
  if (!(link instanceof RtcLink)) throw new Error(`${el.name} has no WebRTC link to ${peerId}`);
  const channels = channelsByConnection.get(link.pc);
  const control = channels?.get('control');
  const content = channels?.get('content');
  if (!control || !content) throw new Error(`the link to ${peerId} was made before the channels were recorded`);
  return { link, pc: link.pc, control, content };
}

export const ids = (el: KibitzRoomElement) => el.participants.map((p) => p.id);

/** Frames decoded on the inbound video from `peerId`, read from the live connection's stats. */
export async function framesDecoded(el: KibitzRoomElement, peerId: string): Promise<number> {
  const stats = await el.getStats(peerId);
  let frames = 0;
  stats?.forEach((report) => {
    if (report.type === 'inbound-rtp' && report.kind === 'video') frames = Math.max(frames, report.framesDecoded ?? 0);
  });
  return frames;
}
