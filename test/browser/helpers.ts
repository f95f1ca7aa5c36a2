// Shared fixtures for browser tests: real <kibitz-room> elements against the real broker.
import { executeServerCommand } from '@web/test-runner-commands';
import '../../src/define.js';
import type { KibitzRoomElement } from '../../src/element/kibitz-room.js';

export async function brokerUrl(): Promise<string> {
  const url = await executeServerCommand<string, undefined>('broker-url');
  if (!url) throw new Error('no broker running');
  return url;
}

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

export function collect<T = unknown>(el: EventTarget, type: string): T[] {
  const seen: T[] = [];
  el.addEventListener(type, (e) => seen.push((e as CustomEvent<T>).detail));
  return seen;
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
