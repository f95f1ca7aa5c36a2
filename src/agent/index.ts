// The engine in Node, for AI participants: `createAgent({ link, name })` joins the room a link
// opens, as the element would, over libdatachannel instead of a browser's RTCPeerConnection.
// It is the same Room: it verifies host commands, grants and credentials like any peer, and
// the others enforce on it what its grant allows (by default: read the chat, messages to it
// and the names; send nothing that counts).
import { WebSocket as NodeWebSocket } from 'ws';
import { parseRoomLink, type RoomLinkAttributes } from '../crypto/room-link.js';
import { KibitzError, toKibitzError } from '../errors.js';
import type { Grant } from '../engine/grants.js';
import type { Participant } from '../engine/participant.js';
import { MAX_NAME_LENGTH, cleanName, type PeerKind } from '../engine/protocol.js';
import { Room, type RoomEvents } from '../engine/room.js';
import { PeerJsTransport, type WebSocketClass } from '../signaling/peerjs.js';
import { defaultCertificatePath, loadOrCreateCertificate, type AgentCertificate } from './certificate.js';
import { ReleasableClock } from './clock.js';
import { nodeLinkFactory, toLibIceServers } from './node-link.js';

export { createCertificate, defaultCertificatePath, loadOrCreateCertificate, type AgentCertificate } from './certificate.js';
export { KibitzError, type KibitzErrorCode } from '../errors.js';
export type { Grant, Participant, RoomEvents };

export interface AgentOptions {
  /** The room link the host made for this agent: usually a personal invite with `kind: 'agent'`. */
  link: string;
  /** The name the others see, at most 64 characters. */
  name: string;
  /** Base URL of the PeerJS-compatible broker; default: the link's own origin (where the page and its broker are served). */
  signaling?: string;
  /** The PEM file holding this agent's certificate, made on first run; default `~/.kibitz-agent/<name>.pem`. */
  certificate?: string;
  /** What this peer says it is; an invite's kind overrides it. Default `agent`. */
  kind?: PeerKind;
  /** STUN/TURN servers, as RTCIceServer objects (`stun:`, `turn:`, `turns:` URLs). */
  iceServers?: RTCIceServer[];
  /** A room's join code, when its gate asks for one. */
  code?: string;
}

/** The events an agent reports: the Room's (`message`, `join`, `leave`, `grant`, `participants`, `state`, …). */
export type AgentEvents = RoomEvents;

export class Agent {
  /** This agent's certificate fingerprint (normalised): what the others see, and what the host grants to. */
  readonly fingerprint: string;

  constructor(
    /** The engine underneath, for what this wrapper does not show. */
    readonly room: Room,
    certificate: AgentCertificate,
    private readonly clock: ReleasableClock,
  ) {
    this.fingerprint = certificate.fingerprint;
  }

  /** This agent's id in the room (it changes on every join). */
  get id(): string {
    return this.room.selfId;
  }

  /** Everyone in the room, this agent included, each with its kind, fingerprint, grant and identity. */
  get participants(): Participant[] {
    return this.room.participants;
  }

  /** What the others let this agent perceive and do, as far as it knows the host's record. */
  get grant(): Grant {
    return this.room.grantOf(this.room.selfId);
  }

  /** Listen to a room event; returns the function that stops listening. */
  on<K extends keyof AgentEvents>(type: K, handler: (detail: AgentEvents[K]) => void): () => void {
    return this.room.on(type, handler);
  }

  /**
   * Send to everyone, or to one participant (as Room.send). Without the `chat` grant the others
   * drop it and tell the host; a broadcast goes only to those granted the chat.
   */
  send(data: unknown, to?: string): void {
    this.room.send(data, to);
  }

  /** Leave the room and close every connection; nothing is left to keep the process alive. */
  leave(): void {
    this.room.leave();
    this.clock.release();
  }
}

/**
 * Join the room `link` opens; resolves once joined. Rejects with ERR_BAD_LINK for a link that
 * is not a room link, ERR_BAD_ATTRIBUTE for a bad name, signaling URL, certificate file or ICE
 * server, and otherwise with the error the join failed with (ERR_REFUSED at the gate,
 * ERR_SIGNALING, ERR_JOIN_TIMEOUT, …).
 * @example
 * const agent = await createAgent({ link: inviteLink, name: 'Scribe' });
 * agent.on('message', ({ peerId, data }) => console.log(peerId, data));
 */
export async function createAgent(options: AgentOptions): Promise<Agent> {
  const attrs = parseRoomLink(options?.link);
  const name = agentName(options.name);
  const kind = options.kind ?? 'agent';
  if (kind !== 'agent' && kind !== 'person') throw new KibitzError('ERR_BAD_ATTRIBUTE', "kind: 'person' or 'agent'");
  const transport = brokerFor(options.signaling, options.link);
  let iceServers;
  try {
    iceServers = toLibIceServers(options.iceServers ?? []);
  } catch (err) {
    throw new KibitzError('ERR_BAD_ATTRIBUTE', `iceServers: ${(err as Error).message}`, { cause: err });
  }
  const certificate = loadOrCreateCertificate(options.certificate ?? defaultCertificatePath(name), name || 'kibitz-agent');
  const clock = new ReleasableClock();
  const room = new Room({
    ...roomFields(attrs),
    name,
    kind,
    transport,
    links: nodeLinkFactory({ certificate, iceServers }),
    clock,
    localFingerprint: certificate.fingerprint,
    media: false,
    credential: { invite: attrs.invite ?? null, code: options.code ?? null, idToken: null },
  });
  try {
    await room.join();
  } catch (err) {
    room.leave();
    clock.release();
    throw toKibitzError(err, 'ERR_SIGNALING');
  }
  return new Agent(room, certificate, clock);
}

/** The Room fields a link carries (the host's sealed key is never an agent's business). */
function roomFields(attrs: RoomLinkAttributes) {
  return {
    room: attrs.room,
    host: { hostKey: attrs['host-key'], hostName: attrs['host-name'] },
    gate: attrs.gate ?? null,
  };
}

function agentName(value: unknown): string {
  if (typeof value !== 'string') throw new KibitzError('ERR_BAD_ATTRIBUTE', 'name: a string');
  // The same cleaning every receiver applies, so what is set is what the others see.
  const name = cleanName(value, Infinity);
  if (!name) throw new KibitzError('ERR_BAD_ATTRIBUTE', 'name: an agent needs a name people can read');
  if (name.length > MAX_NAME_LENGTH) throw new KibitzError('ERR_BAD_ATTRIBUTE', `name: at most ${MAX_NAME_LENGTH} characters`);
  return name;
}

/** The broker: `signaling`, else the origin the link points at (the demo serves both from one origin). */
function brokerFor(signaling: string | undefined, link: string): PeerJsTransport {
  let base = signaling?.trim();
  if (!base) {
    const origin = link.startsWith('#') ? null : new URL(link).origin;
    if (!origin || origin === 'null') throw new KibitzError('ERR_BAD_ATTRIBUTE', 'signaling: the link has no origin; give the broker URL');
    base = origin + '/';
  }
  try {
    // Node 20 has no global WebSocket; ws's is the same interface.
    return new PeerJsTransport(base, 'peerjs', NodeWebSocket as unknown as WebSocketClass);
  } catch (err) {
    if (err instanceof KibitzError) throw new KibitzError('ERR_BAD_ATTRIBUTE', `signaling: ${err.message}`, { cause: err });
    throw new KibitzError('ERR_BAD_ATTRIBUTE', `signaling: "${base}" is not a URL; use ws://host:port/ or https://host/`, { cause: err });
  }
}
