// Attribute values in, validated configuration out. Every rejection is a KibitzError with
// code ERR_BAD_ATTRIBUTE naming the attribute, so a page learns exactly what to fix.
import { KibitzError } from '../errors.js';
import { MAX_NAME_LENGTH, cleanName } from '../engine/names.js';
import { brokerSocketUrl } from '../signaling/broker-url.js';

export interface MediaWish {
  audio: boolean;
  video: boolean;
}

const bad = (attribute: string, message: string) => new KibitzError('ERR_BAD_ATTRIBUTE', `${attribute}: ${message}`);

/** `media="audio video"`: space-separated; empty means data only. */
export function parseMedia(value: string | null | undefined): MediaWish {
  const tokens = (value ?? 'audio video').trim().split(/\s+/).filter(Boolean);
  const unknown = tokens.filter((t) => t !== 'audio' && t !== 'video');
  if (unknown.length) throw bad('media', `unknown token(s) ${unknown.map((t) => `"${t}"`).join(', ')}; use "audio", "video" or nothing`);
  return { audio: tokens.includes('audio'), video: tokens.includes('video') };
}

/** `ice-servers`: a JSON array of RTCIceServer objects. */
export function parseIceServers(value: string | null | undefined): RTCIceServer[] {
  if (!value || !value.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw bad('ice-servers', 'must be a JSON array of RTCIceServer objects');
  }
  return checkIceServers(parsed, (message) => bad('ice-servers', message));
}

/**
 * The rules every ICE server list meets, whether from the `ice-servers` attribute or an
 * `ice-servers-url` endpoint: an array of objects, each with `urls` (stun:, stuns:, turn: or
 * turns:) and optional string `username` and `credential`. `fail` makes the error to throw.
 */
export function checkIceServers(parsed: unknown, fail: (message: string) => KibitzError): RTCIceServer[] {
  if (!Array.isArray(parsed)) throw fail('must be a JSON array');
  return parsed.map((server: unknown, i) => {
    if (typeof server !== 'object' || server === null) throw fail(`entry ${i} is not an object`);
    const { urls, username, credential } = server as Record<string, unknown>;
    const list = typeof urls === 'string' ? [urls] : urls;
    if (!Array.isArray(list) || !list.length || !list.every((u) => typeof u === 'string' && /^(stuns?|turns?):/.test(u))) {
      throw fail(`entry ${i} needs "urls" of stun:, stuns:, turn: or turns: URLs`);
    }
    if (username !== undefined && typeof username !== 'string') throw fail(`entry ${i}: username must be a string`);
    if (credential !== undefined && typeof credential !== 'string') throw fail(`entry ${i}: credential must be a string`);
    return { urls: list as string[], ...(username !== undefined && { username }), ...(credential !== undefined && { credential }) };
  });
}

export function hasRelay(servers: RTCIceServer[]): boolean {
  return servers.some((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^turns?:/.test(u)));
}

/**
 * `signaling`: "local" (one browser's tabs), a broker base URL (ws:, wss:, http: or https:), or
 * empty for the page's own origin; checked as the transport will use it.
 */
export function parseSignaling(value: string | null | undefined): string {
  const spec = (value ?? '').trim();
  if (spec === 'local') return spec;
  try {
    brokerSocketUrl(brokerBase(spec), 'probe', 'probe');
  } catch (err) {
    if (err instanceof KibitzError) throw bad('signaling', err.message);
    throw bad('signaling', `"${spec}" is not a URL; use ws://host:port/, https://host/ or "local"`);
  }
  return spec;
}

/** The broker base URL a checked `signaling` value names: the page's own origin when empty. */
export const brokerBase = (spec: string): string => spec || (typeof location !== 'undefined' ? location.origin + '/' : '');

export function parseName(value: string | null | undefined): string {
  // The same cleaning every receiver applies, so what you set is what the others see.
  const name = cleanName(value ?? '', Infinity);
  if (name.length > MAX_NAME_LENGTH) throw bad('name', `at most ${MAX_NAME_LENGTH} characters`);
  return name;
}

export function parseKind(value: string | null | undefined): 'person' | 'agent' {
  const kind = (value ?? '').trim() || 'person';
  if (kind !== 'person' && kind !== 'agent') throw bad('kind', "'person' or 'agent'");
  return kind;
}

export function parseRoom(value: string | null | undefined): string {
  const room = (value ?? '').trim();
  if ([...room].length > 256) throw bad('room', 'at most 256 characters');
  return room;
}
