import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { KibitzError, toKibitzError, type KibitzErrorCode } from '../errors.js';
import { Room, type Participant, type RoomStatus } from '../engine/room.js';
import { rtcLinkFactory } from '../engine/rtc-link.js';
import type { MediaSlot } from '../engine/link.js';
import type { LeaveReason } from '../engine/protocol.js';
import { Moderation, type HostTier } from '../engine/moderation.js';
import { systemClock } from '../engine/clock.js';
import { normalizeFingerprint } from '../crypto/command.js';
import { decodeHostPublicKey, unsealHostKey } from '../crypto/host-key.js';
import { persistentCertificate } from './certificate.js';
import { hasRelay, makeTransport, parseIceServers, parseMedia, parseName, parseRoom } from './config.js';
import { styles } from './styles.js';

/** One remote or local tile: a camera (with audio) or a screen share. */
interface Tile {
  key: string;
  peer: Participant;
  stream: MediaStream;
  screen: boolean;
}

/**
 * An end-to-end encrypted group call: media and data go browser to browser over a WebRTC
 * mesh; a content-blind broker only relays sealed handshakes.
 *
 * @summary Drop-in encrypted group call.
 * @tagname kibitz-room
 *
 * @csspart base - The outer box.
 * @csspart status - The connection state line (a live region).
 * @csspart grid - The box holding the tiles.
 * @csspart tile - One participant's tile (also `tile self`, `tile screen`).
 * @csspart video - The video inside a tile.
 * @csspart name - The name caption of a tile.
 * @csspart controls - The toolbar with the call buttons.
 * @csspart button - Every button (also `button join`, `button leave`, `button mic`, `button camera`, `button screen`, `button kick`, `button admit`, `button deny`).
 * @csspart host-menu - The host's panel: lock, waiting room, and the waiting list (shown only to the verified host).
 * @csspart notice - The full panel shown to a waiting, refused or kicked guest.
 *
 * @cssprop [--kibitz-background=#111418] - Background of the call.
 * @cssprop [--kibitz-foreground=#f4f6f8] - Text colour.
 * @cssprop [--kibitz-accent=#3d7cf5] - Buttons and focus rings.
 * @cssprop [--kibitz-danger=#d64545] - Leave and muted states.
 * @cssprop [--kibitz-radius=10px] - Corner radius of tiles and buttons.
 * @cssprop [--kibitz-gap=8px] - Space between tiles.
 * @cssprop [--kibitz-tile-min=220px] - Smallest tile width before the grid wraps.
 * @cssprop [--kibitz-font=system-ui, sans-serif] - Font family.
 *
 * @fires {CustomEvent<{ state: string }>} kibitz-state - The connection state changed.
 * @fires {CustomEvent<{ peer: object }>} kibitz-join - A participant entered the roster (self included, `peer.self`).
 * @fires {CustomEvent<{ peer: object, reason: string }>} kibitz-leave - A participant left: `left`, `timeout` or `kicked`.
 * @fires {CustomEvent<{ from: string, data: unknown, to: string | null }>} kibitz-message - Data from another participant (`to` is your id for a directed message, null for a broadcast).
 * @fires {CustomEvent<{ id: string }>} kibitz-coordinator - Another peer (or this one) became coordinator.
 * @fires {CustomEvent<{ code: string, message: string }>} kibitz-error - Something failed; `code` is stable.
 * @fires {CustomEvent<{ peer: object, slot: string, stream: MediaStream }>} kibitz-track - A remote stream gained a track (`slot`: audio, video or screen).
 * @fires {CustomEvent<{ id: string, from: string, to: string | null, name: string, type: string, size: number, data: Blob }>} kibitz-file - A file sent with sendFile() arrived whole.
 * @fires {CustomEvent<{ id: string, peer: string | null, direction: string, bytes: number, total: number }>} kibitz-progress - Progress of a transfer, `in` or `out`.
 * @fires {CustomEvent<{ participants: object[] }>} kibitz-participants - The roster or someone's media or fingerprint changed.
 * @fires {CustomEvent<{ peer: object, self: boolean }>} kibitz-kick - The host removed a participant (`self`: it was you).
 * @fires {CustomEvent<{ peer: { id: string, name: string } }>} kibitz-knock - Someone is waiting to be let in.
 * @fires {CustomEvent<{ id: string | null }>} kibitz-host - The verified host changed.
 * @fires {CustomEvent<{ locked: boolean }>} kibitz-lock - The room was locked or unlocked.
 * @fires {CustomEvent<{ on: boolean }>} kibitz-lobby - The waiting room was turned on or off.
 * @fires {CustomEvent<{ reason: string }>} kibitz-refused - The room did not let this peer in: `locked`, `denied`, `banned`.
 * @fires {CustomEvent<{ peer: string, state: string }>} kibitz-connection - A direct link is `reconnecting` or `connected` again.
 */
export class KibitzRoomElement extends LitElement {
  static override styles = styles;

  /** Room name; peers with the same name meet. Empty: an unguessable random room is created on join. */
  @property() room = '';

  /** Display name shown to others (at most 64 characters). */
  @property() name = '';

  /** Broker base URL (`ws://host:port/`, `https://host/`), `local` for same-browser tabs, or empty for this page's origin. */
  @property() signaling = '';

  /** JSON array of RTCIceServer objects (STUN/TURN). */
  @property({ attribute: 'ice-servers' }) iceServers = '';

  /** Use relay (TURN) candidates only: hides this peer's IP from the others; fails closed without a TURN server. */
  @property({ type: Boolean, attribute: 'relay-only' }) relayOnly = false;

  /** Space-separated `audio video`; empty for a data-only call. */
  @property() media = 'audio video';

  /** Join as soon as the element is connected. */
  @property({ type: Boolean }) autojoin = false;

  /** Render nothing; the page draws its own UI from events. Remote audio still plays. */
  @property({ type: Boolean, reflect: true }) headless = false;

  /** The room's committed host public key (base64url P-256). Enables signed moderation. */
  @property({ attribute: 'host-key' }) hostKey = '';

  /** The host's private key sealed under the host passphrase (travels in the link: use a strong passphrase). */
  @property({ attribute: 'host-seal' }) hostSeal = '';

  /** Soft host tier: whoever joins under this name is host. Spoofable; ignored when `host-key` is set. */
  @property({ attribute: 'host-name' }) hostName = '';

  @state() private status: RoomStatus = 'idle';
  @state() private roster: Participant[] = [];
  @state() private localStream: MediaStream | null = null;
  @state() private micOn = false;
  @state() private cameraOn = false;
  @state() private screenOn = false;
  @state() private reconnecting = new Set<string>();
  @state() private lastError: string | null = null;

  /**
   * The DTLS certificate for every link (JS property only). By default one certificate per
   * browser profile is kept in IndexedDB, so a host's ban follows this browser across
   * reloads and tabs; set your own to separate identities on one page.
   */
  @property({ attribute: false }) certificate: RTCCertificate | null = null;

  @state() private hostIdState: string | null = null;
  @state() private lockedState = false;
  @state() private lobbyState = false;
  @state() private knockList: { id: string; name: string }[] = [];

  private engine: Room | null = null;
  private moderation: Moderation | null = null;
  private hostSecret: Uint8Array | null = null;
  private readonly remote = new Map<string, { camera: MediaStream; screen: MediaStream }>();
  private screenStream: MediaStream | null = null;
  private joining: Promise<void> | null = null;
  private readonly onPageHide = () => this.leave();

  /** `idle`, `connecting`, `joined`, `waiting`, `refused`, `kicked`, `left` or `failed`. */
  get state(): RoomStatus {
    return this.status;
  }

  /** This peer's id in the room, once joined. */
  get selfId(): string | null {
    return this.engine?.selfId ?? null;
  }

  /** The id of the participant currently coordinating the room. */
  get coordinatorId(): string | null {
    return this.engine?.coordinatorId ?? null;
  }

  /** Everyone in the roster, in join order: `{ id, name, self, coordinator, audio, video, fingerprint, … }`. */
  get participants(): Participant[] {
    return this.roster.map((p) => ({ ...p }));
  }

  /** The verified host's id, or null (open room, or the host is not here). */
  get hostId(): string | null {
    return this.hostIdState;
  }

  /** Whether this peer is the verified host. */
  get isHost(): boolean {
    return this.hostIdState !== null && this.hostIdState === this.selfId;
  }

  /** Whether the host locked the room (new joiners are refused). */
  get locked(): boolean {
    return this.lockedState;
  }

  /** Whether the waiting room is on (joiners wait for the host). */
  get lobby(): boolean {
    return this.lobbyState;
  }

  /** Peers waiting to be let in: `{ id, name }`. */
  get knocks(): { id: string; name: string }[] {
    return this.knockList.map((k) => ({ ...k }));
  }

  /**
   * Become host: unseal the room's host key with the passphrase and prove it to every peer.
   * Rejects with ERR_BAD_PASSPHRASE, ERR_NO_HOST (open room) or ERR_BAD_SEAL.
   */
  async claimHost(passphrase: string): Promise<void> {
    try {
      if (this.moderation) return await this.moderation.claimHost(passphrase);
      if (this.hostTier() !== 'key') throw new KibitzError('ERR_NO_HOST', 'this room has no host key to claim');
      if (!this.hostSeal) throw new KibitzError('ERR_BAD_SEAL', 'this link carries no sealed host key');
      this.hostSecret = await unsealHostKey(this.hostSeal, passphrase, this.hostKey);
    } catch (err) {
      throw this.report(toKibitzError(err, 'ERR_BAD_PASSPHRASE'));
    }
  }

  /** Host only: remove a participant; it cannot come back (not by reloading, nor from a new tab). */
  kick(id: string): Promise<void> {
    return this.moderate('kick', id);
  }

  /** Host only: let a waiting peer in. */
  admit(id: string): Promise<void> {
    return this.moderate('admit', id);
  }

  /** Host only: turn a waiting peer away. */
  deny(id: string): Promise<void> {
    return this.moderate('deny', id);
  }

  /** Host only: refuse every new joiner. */
  lock(): Promise<void> {
    return this.moderate('lock');
  }

  /** Host only: accept new joiners again. */
  unlock(): Promise<void> {
    return this.moderate('unlock');
  }

  /** Host only: turn the waiting room on or off. */
  setLobby(on: boolean): Promise<void> {
    return this.moderate(on ? 'lobby-on' : 'lobby-off');
  }

  /** Host only: unlock, turn the waiting room off and lift every ban. */
  resetRoom(): Promise<void> {
    return this.moderate('reset');
  }

  /** Join the room. Resolves once this peer is in the roster; rejects with a KibitzError. */
  join(): Promise<void> {
    if (this.joining) return this.joining;
    this.joining = this.start().finally(() => {
      this.joining = null;
    });
    return this.joining;
  }

  /** Leave the call at once, telling the others. */
  leave(): void {
    this.engine?.leave();
    this.stopLocalMedia();
  }

  /**
   * Send data to every other participant, or to one (`to` = a participant id). JSON values
   * and binary (ArrayBuffer, typed arrays) up to 256 KiB; ordered and reliable.
   */
  send(data: unknown, to?: string): void {
    try {
      if (!this.engine) throw new KibitzError('ERR_NOT_JOINED', 'join the room before sending');
      this.engine.send(data, to);
    } catch (err) {
      throw this.report(toKibitzError(err, 'ERR_SEND'));
    }
  }

  /**
   * Send a large binary payload (a File/Blob, ArrayBuffer or typed array) to everyone or to
   * one participant, chunked under backpressure so memory stays bounded. Receivers get a
   * `kibitz-file` event with a Blob. Resolves with the transfer id once every byte is sent.
   */
  async sendFile(
    payload: Blob | ArrayBuffer | ArrayBufferView,
    options: { to?: string; name?: string; type?: string; signal?: AbortSignal; onProgress?: (sent: number, total: number) => void } = {},
  ): Promise<string> {
    try {
      if (!this.engine) throw new KibitzError('ERR_NOT_JOINED', 'join the room before sending');
      const { to, ...rest } = options;
      return await this.engine.sendFile(payload, to, rest);
    } catch (err) {
      throw this.report(toKibitzError(err, 'ERR_SEND'));
    }
  }

  /** Turn the microphone on or off without renegotiating. */
  async setMicrophone(on: boolean): Promise<void> {
    await this.setDevice('audio', on);
  }

  /** Turn the camera on or off without renegotiating (off releases the device). */
  async setCamera(on: boolean): Promise<void> {
    await this.setDevice('video', on);
  }

  /** Share a screen or window; the browser asks which. */
  async shareScreen(): Promise<void> {
    const engine = this.requireEngine();
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (err) {
      throw this.report(new KibitzError('ERR_MEDIA', `screen share was not started: ${(err as Error).message}`, { cause: err }));
    }
    this.screenStream?.getTracks().forEach((t) => t.stop());
    this.screenStream = stream;
    const [track] = stream.getVideoTracks();
    track.addEventListener('ended', () => void this.stopScreenShare());
    await engine.setTrack('screen', track);
    engine.setMediaFlags({ screen: true });
    this.screenOn = true;
  }

  /** Stop sharing the screen. */
  async stopScreenShare(): Promise<void> {
    this.screenStream?.getTracks().forEach((t) => t.stop());
    this.screenStream = null;
    this.screenOn = false;
    if (!this.engine) return;
    await this.engine.setTrack('screen', null);
    this.engine.setMediaFlags({ screen: false });
  }

  /** WebRTC statistics of the direct link to one participant (null when there is none). */
  getStats(peerId: string): Promise<RTCStatsReport | null> {
    return this.engine?.getStats(peerId) ?? Promise.resolve(null);
  }

  /** The remote stream of one participant: its camera and microphone, or its screen. */
  getStream(peerId: string, kind: 'camera' | 'screen' = 'camera'): MediaStream | null {
    if (peerId === this.selfId) return kind === 'camera' ? this.localStream : this.screenStream;
    return this.remote.get(peerId)?.[kind] ?? null;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('pagehide', this.onPageHide);
    // Warm the certificate lookup so join() does not wait on IndexedDB.
    if (!this.certificate) void persistentCertificate();
    if (this.autojoin && this.status !== 'joined') void this.join().catch(() => undefined);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('pagehide', this.onPageHide);
    this.leave();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('name') && this.engine && changed.get('name') !== undefined) this.engine.setName(this.name);
  }

  private async start(): Promise<void> {
    if (this.engine && ['joined', 'connecting', 'waiting'].includes(this.engine.status)) {
      return this.engine.join();
    }
    let engine: Room;
    try {
      const wish = parseMedia(this.media);
      const iceServers = parseIceServers(this.iceServers);
      if (this.relayOnly && !hasRelay(iceServers)) {
        throw new KibitzError('ERR_NO_RELAY', 'relay-only needs a TURN server in ice-servers; refusing to connect directly');
      }
      const transport = makeTransport(this.signaling);
      const room = parseRoom(this.room);
      const name = parseName(this.name);
      this.setStatus('connecting');
      this.hostTier(); // host-key and host-seal are checked before any device or network work
      const [certificate, stream] = await Promise.all([this.certificate ?? persistentCertificate(), this.openLocalMedia(wish)]);
      const localFingerprint = certificate ? normalizeFingerprint(certificate.getFingerprints()[0]?.value ?? '') || null : null;
      let moderation: Moderation | null = null;
      engine = new Room({
        helloProof: () => moderation?.helloProof() ?? undefined,
        room,
        name,
        transport,
        links: rtcLinkFactory({
          iceServers,
          iceTransportPolicy: this.relayOnly ? 'relay' : 'all',
          certificates: certificate ? [certificate] : undefined,
        }),
        tracks: { audio: stream?.getAudioTracks()[0] ?? null, video: stream?.getVideoTracks()[0] ?? null },
        media: wish.audio || wish.video,
      });
      moderation = new Moderation(engine, { hostKey: this.hostKey, hostSeal: this.hostSeal, hostName: this.hostName }, systemClock, localFingerprint);
      if (this.hostSecret) moderation.adoptKey(this.hostSecret);
      this.attachModeration(moderation);
    } catch (err) {
      const error = this.report(toKibitzError(err, 'ERR_BAD_ATTRIBUTE'));
      this.setStatus('failed');
      throw error;
    }
    this.attach(engine);
    if (!this.room) this.room = engine.room;
    await engine.join();
  }

  private attach(engine: Room): void {
    this.engine?.leave();
    this.engine = engine;
    this.remote.clear();
    const mine = () => this.engine === engine;
    engine.on('state', ({ state }) => {
      if (!mine()) return;
      this.setStatus(state);
      if (state === 'left' || state === 'failed' || state === 'kicked' || state === 'refused') this.stopLocalMedia();
    });
    engine.on('join', ({ peer }) => mine() && this.fire('kibitz-join', { peer }));
    engine.on('leave', ({ peer, reason }) => {
      if (!mine()) return;
      this.remote.delete(peer.id);
      if (this.reconnecting.has(peer.id)) {
        // A peer that left is no longer being reconnected to.
        const next = new Set(this.reconnecting);
        next.delete(peer.id);
        this.reconnecting = next;
      }
      this.fire('kibitz-leave', { peer, reason: reason as LeaveReason });
    });
    engine.on('message', (detail) => mine() && this.fire('kibitz-message', detail));
    engine.on('file', (detail) => mine() && this.fire('kibitz-file', detail));
    engine.on('progress', (detail) => mine() && this.fire('kibitz-progress', detail));
    engine.on('coordinator', ({ id }) => mine() && this.fire('kibitz-coordinator', { id }));
    engine.on('error', ({ code, message }) => mine() && this.report(new KibitzError(code, message)));
    engine.on('refused', ({ reason }) => mine() && this.fire('kibitz-refused', { reason }));
    engine.on('roomstate', ({ state }) => {
      if (mine()) this.knockList = state.knocks;
    });
    engine.on('participants', ({ participants }) => {
      if (!mine()) return;
      this.roster = participants;
      this.fire('kibitz-participants', { participants });
    });
    engine.on('track', ({ peerId, slot, track }) => mine() && this.addRemoteTrack(peerId, slot, track));
    engine.on('connection', ({ peerId, state }) => {
      if (!mine()) return;
      const next = new Set(this.reconnecting);
      if (state === 'reconnecting') next.add(peerId);
      else next.delete(peerId);
      this.reconnecting = next;
      this.fire('kibitz-connection', { peer: peerId, state });
    });
  }

  private attachModeration(moderation: Moderation): void {
    this.moderation?.detach();
    this.moderation = moderation;
    const mine = () => this.moderation === moderation;
    this.hostIdState = null;
    moderation.on('host', ({ id }) => {
      if (!mine()) return;
      this.hostIdState = id;
      this.fire('kibitz-host', { id });
    });
    moderation.on('kick', (detail) => mine() && this.fire('kibitz-kick', detail));
    moderation.on('knock', ({ peer }) => mine() && this.fire('kibitz-knock', { peer }));
    moderation.on('lock', ({ locked }) => {
      if (!mine()) return;
      this.lockedState = locked;
      this.fire('kibitz-lock', { locked });
    });
    moderation.on('lobby', ({ on }) => {
      if (!mine()) return;
      this.lobbyState = on;
      this.fire('kibitz-lobby', { on });
    });
  }

  private hostTier(): HostTier {
    if (this.hostKey) {
      try {
        decodeHostPublicKey(this.hostKey);
      } catch (err) {
        throw new KibitzError('ERR_BAD_ATTRIBUTE', `host-key: ${(err as Error).message}`, { cause: err });
      }
      return 'key';
    }
    if (this.hostSeal) throw new KibitzError('ERR_BAD_ATTRIBUTE', 'host-seal: needs the matching host-key');
    return this.hostName.trim() ? 'name' : 'none';
  }

  private async moderate(op: Parameters<Moderation['command']>[0], target = ''): Promise<void> {
    try {
      if (!this.moderation) {
        if (this.hostTier() === 'none') throw new KibitzError('ERR_NO_HOST', 'this is an open room: it has no host');
        throw new KibitzError('ERR_NOT_HOST', 'only the verified host can do that');
      }
      await this.moderation.command(op, target);
    } catch (err) {
      throw this.report(toKibitzError(err, 'ERR_NOT_HOST'));
    }
  }

  private addRemoteTrack(peerId: string, slot: MediaSlot, track: MediaStreamTrack): void {
    let streams = this.remote.get(peerId);
    if (!streams) this.remote.set(peerId, (streams = { camera: new MediaStream(), screen: new MediaStream() }));
    const stream = slot === 'screen' ? streams.screen : streams.camera;
    for (const old of stream.getTracks()) if (old.kind === track.kind && old !== track) stream.removeTrack(old);
    if (!stream.getTracks().includes(track)) stream.addTrack(track);
    const peer = this.roster.find((p) => p.id === peerId) ?? null;
    this.fire('kibitz-track', { peer, slot, stream });
    this.requestUpdate();
  }

  // ---- local media --------------------------------------------------------------------------

  private async openLocalMedia(wish: { audio: boolean; video: boolean }): Promise<MediaStream | null> {
    if (!wish.audio && !wish.video) return null;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: wish.audio, video: wish.video });
      this.localStream = stream;
      this.micOn = stream.getAudioTracks().length > 0;
      this.cameraOn = stream.getVideoTracks().length > 0;
      return stream;
    } catch (err) {
      // No device or no permission: join anyway, without media, and say why.
      this.report(new KibitzError('ERR_MEDIA', `joining without ${wish.video ? 'camera' : 'microphone'}: ${(err as Error).message}`, { cause: err }));
      return null;
    }
  }

  private async setDevice(kind: 'audio' | 'video', on: boolean): Promise<void> {
    const engine = this.requireEngine();
    const stream = (this.localStream ??= new MediaStream());
    const current = kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    if (kind === 'audio' && current) {
      // Muting keeps the track (instant unmute); the sender transmits silence.
      current.enabled = on;
    } else if (on && !current) {
      let track: MediaStreamTrack;
      try {
        const fresh = await navigator.mediaDevices.getUserMedia({ [kind]: true });
        track = fresh.getTracks()[0];
      } catch (err) {
        throw this.report(new KibitzError('ERR_MEDIA', `cannot open the ${kind === 'audio' ? 'microphone' : 'camera'}: ${(err as Error).message}`, { cause: err }));
      }
      stream.addTrack(track);
      await engine.setTrack(kind, track);
    } else if (!on && current) {
      // The camera is released so its light goes off; the transceiver stays.
      current.stop();
      stream.removeTrack(current);
      await engine.setTrack(kind, null);
    }
    if (kind === 'audio') this.micOn = on;
    else this.cameraOn = on;
    engine.setMediaFlags({ [kind]: on });
    this.localStream = new MediaStream(stream.getTracks());
  }

  private stopLocalMedia(): void {
    this.localStream?.getTracks().forEach((t) => t.stop());
    this.screenStream?.getTracks().forEach((t) => t.stop());
    this.localStream = null;
    this.screenStream = null;
    this.micOn = this.cameraOn = this.screenOn = false;
  }

  // ---- events -------------------------------------------------------------------------------

  private requireEngine(): Room {
    if (!this.engine || this.engine.status !== 'joined') throw this.report(new KibitzError('ERR_NOT_JOINED', 'join the room first'));
    return this.engine;
  }

  private setStatus(state: RoomStatus): void {
    if (this.status === state) return;
    this.status = state;
    if (state === 'joined') this.lastError = null;
    this.fire('kibitz-state', { state });
  }

  /** Dispatch `kibitz-error` and hand the error back for throwing. */
  private report(err: KibitzError): KibitzError {
    this.lastError = err.message;
    this.fire('kibitz-error', { code: err.code as KibitzErrorCode, message: err.message });
    return err;
  }

  private fire(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  // ---- rendering ----------------------------------------------------------------------------

  private tiles(): Tile[] {
    const tiles: Tile[] = [];
    for (const peer of this.roster) {
      const camera = peer.self ? this.localStream : (this.remote.get(peer.id)?.camera ?? null);
      tiles.push({ key: peer.id, peer, stream: camera ?? new MediaStream(), screen: false });
      const screen = peer.self ? this.screenStream : this.remote.get(peer.id)?.screen;
      if (peer.screen && screen) tiles.push({ key: `${peer.id}:screen`, peer, stream: screen, screen: true });
    }
    return tiles;
  }

  private statusText(): string {
    const others = this.roster.length - 1;
    switch (this.status) {
      case 'idle':
        return 'Not in the call';
      case 'connecting':
        return 'Connecting…';
      case 'joined':
        if (this.reconnecting.size) return 'Reconnecting…';
        return others > 0 ? `In the call with ${others} other${others === 1 ? '' : 's'}` : 'In the call — waiting for others';
      case 'waiting':
        return 'Waiting for the host to let you in…';
      case 'refused':
        return 'The room did not let you in.';
      case 'kicked':
        return 'You were removed from the call.';
      case 'left':
        return 'You left the call.';
      case 'failed':
        return `Could not connect${this.lastError ? `: ${this.lastError}` : '.'}`;
    }
  }

  private renderHostMenu() {
    return html`
      <section part="host-menu" class="host-menu" aria-label="Host controls">
        <button part="button lock" aria-pressed=${String(this.lockedState)}
          @click=${() => void (this.lockedState ? this.unlock() : this.lock()).catch(() => undefined)}>
          ${this.lockedState ? 'Unlock room' : 'Lock room'}
        </button>
        <button part="button lobby" aria-pressed=${String(this.lobbyState)}
          @click=${() => void this.setLobby(!this.lobbyState).catch(() => undefined)}>
          ${this.lobbyState ? 'Waiting room off' : 'Waiting room on'}
        </button>
        ${this.knockList.length
          ? html`<ul class="knocks" aria-label="Waiting to join">
              ${this.knockList.map(
                (k) => html`<li>
                  <span>${k.name || 'Guest'}</span>
                  <button part="button admit" @click=${() => void this.admit(k.id).catch(() => undefined)} aria-label=${`Let ${k.name || 'guest'} in`}>Admit</button>
                  <button part="button deny" @click=${() => void this.deny(k.id).catch(() => undefined)} aria-label=${`Turn ${k.name || 'guest'} away`}>Deny</button>
                </li>`,
              )}
            </ul>`
          : html`<span class="quiet">Nobody is waiting.</span>`}
      </section>
    `;
  }

  override render() {
    const audioOnly = this.roster.filter((p) => !p.self);
    if (this.headless) {
      return html`${audioOnly.map((p) => html`<audio hidden autoplay .srcObject=${this.remote.get(p.id)?.camera ?? null}></audio>`)}`;
    }
    const inCall = this.status === 'joined';
    const busy = this.status === 'connecting' || this.status === 'waiting';
    const blocked = this.status === 'waiting' || this.status === 'refused' || this.status === 'kicked';
    return html`
      <div part="base" class="base ${this.status}">
        <div part="status" class="status" role="status" aria-live="polite">${this.statusText()}</div>
        ${blocked ? html`<div part="notice" class="notice" role="alert">${this.statusText()}</div>` : nothing}
        ${this.isHost && inCall ? this.renderHostMenu() : nothing}
        <div part="grid" class="grid" role="list" aria-label="Participants" ?hidden=${blocked}>
          ${this.tiles().map(
            (tile) => html`
              <figure part="tile${tile.peer.self ? ' self' : ''}${tile.screen ? ' screen' : ''}" class="tile" role="listitem" data-peer=${tile.peer.id}>
                <video part="video" autoplay playsinline .muted=${tile.peer.self || tile.screen} .srcObject=${tile.stream}
                  aria-label=${`${tile.peer.name || 'Guest'}${tile.screen ? ' (screen)' : ''}`}
                  ?hidden=${tile.screen ? false : !tile.peer.video}></video>
                ${!tile.screen && !tile.peer.video ? html`<div class="avatar" aria-hidden="true">${initials(tile.peer.name)}</div>` : nothing}
                <figcaption part="name" class="name">
                  ${tile.peer.name || 'Guest'}${tile.peer.self ? ' (you)' : ''}${tile.screen ? ' — screen' : ''}
                  ${!tile.screen && !tile.peer.audio ? html`<span class="muted" aria-label="microphone off">· muted</span>` : nothing}
                  ${tile.peer.host ? html`<span class="badge">· host</span>` : nothing}
                </figcaption>
                ${this.isHost && !tile.peer.self && !tile.screen
                  ? html`<button part="button kick" class="kick" aria-label=${`Remove ${tile.peer.name || 'guest'} from the call`}
                      @click=${() => void this.kick(tile.peer.id).catch(() => undefined)}>Remove</button>`
                  : nothing}
              </figure>`,
          )}
        </div>
        <div part="controls" class="controls" role="toolbar" aria-label="Call controls">
          ${inCall
            ? html`<button part="button leave" class="leave" @click=${() => this.leave()}>Leave</button>`
            : html`<button part="button join" class="join" ?disabled=${busy} @click=${() => void this.join().catch(() => undefined)}>
                ${busy ? 'Joining…' : 'Join call'}
              </button>`}
          <button part="button mic" aria-pressed=${String(this.micOn)} ?disabled=${!inCall}
            @click=${() => void this.setMicrophone(!this.micOn).catch(() => undefined)}>${this.micOn ? 'Mute' : 'Unmute'}</button>
          <button part="button camera" aria-pressed=${String(this.cameraOn)} ?disabled=${!inCall}
            @click=${() => void this.setCamera(!this.cameraOn).catch(() => undefined)}>${this.cameraOn ? 'Camera off' : 'Camera on'}</button>
          <button part="button screen" aria-pressed=${String(this.screenOn)} ?disabled=${!inCall}
            @click=${() => void (this.screenOn ? this.stopScreenShare() : this.shareScreen()).catch(() => undefined)}>
            ${this.screenOn ? 'Stop sharing' : 'Share screen'}
          </button>
        </div>
      </div>
    `;
  }
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (parts.slice(0, 2).map((p) => [...p][0]).join('') || '?').toUpperCase();
}
