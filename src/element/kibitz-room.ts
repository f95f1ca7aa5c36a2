import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { property } from 'lit/decorators.js';
import { KibitzError, toKibitzError } from '../errors.js';
import type { AcceptFiles, FileLimits, Grant, Participant, Room, RoomOptions, RoomState } from '../engine/room.js';
import type { RtcLinkFactory } from '../engine/rtc-link.js';
import { ACT, type Act } from '../crypto/acts.js';
import { normalizeFingerprint } from '../crypto/fingerprint.js';
import { unsealHostKey } from '../crypto/host-key.js';
import { persistentCertificate } from './certificate.js';
import type { IndexedDbPinStore } from './pins.js';
import { deriveRoomKeys } from '../crypto/room-keys.js';
import { parseKind, parseMedia, parseName, parseRoom, parseSignaling } from './config.js';
import { resolveAcceptFiles, resolveFileLimits } from '../engine/file-options.js';
import type { IceRefresh } from './ice-servers.js';
import { loadCall, loadedCall, type CallPartsModule } from './load-call.js';
import { ChatPanel, chatEnvelope, MAX_CHAT_TEXT } from './ui/chat.js';
import { FilesPanel } from './ui/files.js';
import { panelsFor } from './ui/lazy-panels.js';
import { PreJoin } from './ui/prejoin.js';
import { toolbarView } from './ui/toolbar.js';
import { defaultStrings, mergeStrings, stateLine, type KibitzStrings } from './ui/strings.js';
import type { Tile } from './ui/tile.js';
import { applySpeaker, canPickSpeaker } from './ui/speaker.js';
import { LocalMedia, type CaptureKind } from './local-media.js';
import { AudioLevels } from './audio-levels.js';
import { DeviceList, isDeviceKind } from './devices.js';
import type { LinkQualityMonitor } from './link-quality.js';
import type { CallParticipant, DeviceKind as CallDeviceKind, MediaDeviceEntry as CallDevice } from './call-types.js';
import { KibitzDevicesEvent, KibitzQualityEvent, KibitzSpeakingEvent } from './events.js';
import { GateClient, type CredentialInput } from './gate-client.js';
import { RoomController } from './room-controller.js';
import { styles } from './styles.js';
import { srcObject } from './ui/src-object.js';

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
 * @csspart tile - One participant's tile (also `tile self`, `tile screen`; `tile pinned` while pinned, shown first and full width; `tile speaking` while that participant speaks).
 * @csspart video - The video inside a tile.
 * @csspart name - The name caption of a tile.
 * @csspart host-badge - The "host" word in the verified host's tile caption.
 * @csspart indicator - A state word in a tile caption: `indicator muted` (microphone off), `indicator camera-off`, `indicator speaking`.
 * @csspart quality - The link quality word on another participant's tile: `quality good`, `quality fair` or `quality poor`.
 * @csspart controls - The toolbar with the call buttons (in a call).
 * @csspart button - Every button (also `button join`, `button leave`, `button mic`, `button camera`, `button screen`, `button pin` (`aria-pressed`), `button fullscreen`, `button send-file`, `button chat-toggle`, `button chat-send`, `button people-toggle`, `button preview-start` (opens the devices before joining), `button kick`, `button admit`, `button deny`, `button lock`, `button lobby`).
 * @csspart prejoin - The panel before joining: preview, camera and microphone toggles, level meter, device menus, name and `button join`.
 * @csspart preview - The camera preview video in the pre-join panel.
 * @csspart level - The microphone level meter (a `<meter>`, 0 to 1) in the pre-join panel.
 * @csspart name-label - The label of the name field in the pre-join panel.
 * @csspart name-input - The name field in the pre-join panel.
 * @csspart device-label - The label of a device menu.
 * @csspart device-select - A device menu: `device-select camera`, `device-select microphone`, `device-select speaker`.
 * @csspart people - The participant list panel (`button people-toggle` opens it); the verified host gets a `button kick` per participant.
 * @csspart person - One row of the participant list (`person speaking` while that participant speaks).
 * @csspart person-state - The state words of a row: host, muted, camera off, speaking, link quality.
 * @csspart grants - In a room with a host key, the verified host's checkboxes of what a participant may do (a fieldset in its row).
 * @csspart grant-toggle - One of those checkboxes: `grant-toggle speak`, `grant-toggle camera`, `grant-toggle screen`, `grant-toggle chat`, `grant-toggle files` (calls `setGrant`).
 * @csspart chat - The chat panel (`button chat-toggle` opens it).
 * @csspart chat-log - The list of chat messages (a live region).
 * @csspart chat-message - One chat message (`chat-message self` for yours), with `chat-name`, `chat-time` and `chat-text`.
 * @csspart chat-name - The sender's name of a chat message.
 * @csspart chat-time - The time of a chat message (a `<time>`).
 * @csspart chat-text - The text of a chat message.
 * @csspart chat-input - The chat field: Enter sends, Shift+Enter is a new line, Escape closes the panel.
 * @csspart chat-error - Why the last chat message was not sent.
 * @csspart unread - The unread count on `button chat-toggle` while the chat is closed.
 * @csspart file-input - The hidden file picker behind `button send-file`.
 * @csspart host-menu - The host's panel: lock, waiting room, and the waiting list (shown only to the verified host).
 * @csspart notice - The full panel shown to a waiting, refused or kicked guest.
 * @csspart badge - A trust badge on another participant's tile: `badge verified` (its safety code was confirmed on this browser), `badge changed` (its name was confirmed on another device), `badge alarm` (the safety check was tampered with, or the codes did not match).
 * @csspart safety - The panel a tile's `button verify` opens: the pair's code (`safety-code`) with `button match` and `button mismatch`.
 * @csspart safety-code - The safety code to read aloud (five groups of three digits).
 * @csspart gate - What the room's gate asks before joining: a join code field, a `button sign-in`, or email and code fields (`gate-label`, `gate-input`, `button gate-submit`).
 * @csspart gate-label - A label in the gate form.
 * @csspart gate-input - A field in the gate form.
 * @csspart gate-restart - The email form's "Use another address" button (also `button`).
 * @csspart files - The built-in file list: files you send from the UI (`file-out sending`, `file-out sent`, `file-out failed`, each with a `progress` bar), offers no page listener took (`file-offer`, with `button accept-file` and `button decline-file`) and files accepted there (`file-saved`, with a `save-file` download link and `button dismiss-file`).
 * @csspart progress - The progress bar of a file you send (a `<progress>`).
 *
 * @cssprop [--kibitz-background=#111418] - Background of the call.
 * @cssprop [--kibitz-foreground=#f4f6f8] - Text colour.
 * @cssprop [--kibitz-accent=#2b63d6] - Buttons and focus rings.
 * @cssprop [--kibitz-danger=#c13838] - Leave, Remove and the unread count.
 * @cssprop [--kibitz-speaking=#7ee2a8] - The outline of a speaking participant's tile.
 * @cssprop [--kibitz-radius=10px] - Corner radius of tiles and buttons.
 * @cssprop [--kibitz-gap=8px] - Space between tiles.
 * @cssprop [--kibitz-tile-min=220px] - Smallest tile width before the grid wraps.
 * @cssprop [--kibitz-font=system-ui, sans-serif] - Font family.
 *
 * @fires {KibitzStateEvent} kibitz-state - The connection state changed: `{ state }`.
 * @fires {KibitzJoinEvent} kibitz-join - A participant entered the roster, this peer included (`peer.self`): `{ peer }`.
 * @fires {KibitzLeaveEvent} kibitz-leave - A participant left: `{ peer, reason }`, reason `left`, `timeout` or `kicked`.
 * @fires {KibitzMessageEvent} kibitz-message - Data from another participant: `{ peerId, data, to }` (`peerId` is the sender; `to` is your id for a directed message, null for a broadcast).
 * @fires {KibitzCoordinatorEvent} kibitz-coordinator - Another peer (or this one) became coordinator: `{ peerId }`.
 * @fires {KibitzErrorEvent} kibitz-error - Something failed: `{ code, message }`; `code` is stable.
 * @fires {KibitzTrackEvent} kibitz-track - A participant's stream gained a track: `{ peer, slot, stream }` (`slot`: audio, video or screen). Fires once the sender is in the roster.
 * @fires {KibitzFileEvent} kibitz-file - A file sent with sendFile() arrived whole: `{ id, peerId, to, name, type, size, data }` (`data` is a Blob).
 * @fires {KibitzFileOfferEvent} kibitz-file-offer - A participant offers a file: `{ id, peer, to, name, type, size, accept(), reject(), settled }`; nothing is sent before `accept()`. Cancelable: `preventDefault()` keeps the built-in prompt away while the page decides; undecided offers expire (declined).
 * @fires {KibitzProgressEvent} kibitz-progress - Progress of a transfer: `{ id, peerId, direction, bytes, total }`, direction `in` or `out`.
 * @fires {KibitzParticipantsEvent} kibitz-participants - The roster or someone's media or fingerprint changed: `{ participants }`, as the `participants` property shows them (with `speaking` and `quality`).
 * @fires {KibitzKickEvent} kibitz-kick - The host removed a participant: `{ peer, self }` (`self`: it was you).
 * @fires {KibitzKnockEvent} kibitz-knock - Someone is waiting to be let in: `{ peerId, name }`.
 * @fires {KibitzHostEvent} kibitz-host - The verified host changed: `{ peerId }` (null: no host here).
 * @fires {KibitzLockEvent} kibitz-lock - The room was locked or unlocked: `{ locked }`.
 * @fires {KibitzLobbyEvent} kibitz-lobby - The waiting room was turned on or off: `{ on }`.
 * @fires {KibitzRefusedEvent} kibitz-refused - The room did not let this peer in: `{ reason }`, `locked`, `denied`, `banned` or a gate reason (see kibitz-gate).
 * @fires {KibitzConnectionEvent} kibitz-connection - A direct link is `reconnecting` or `connected` again: `{ peerId, state }`.
 * @fires {KibitzGateEvent} kibitz-gate - This peer at the room's gate: `{ state, method, reason? }`, state `needed`, `checking`, `admitted` or `refused`, reason `bad-credential`, `expired`, `not-allowed`, `issuer-unreachable`, `already-in-use` or `too-many-tries`. With `peer`: an alarm, that admitted member's credential did not verify here.
 * @fires {KibitzGrantEvent} kibitz-grant - A participant's grant changed: `{ peer, grant }` (`grant`: `{ perceive, act }`, as this browser enforces it).
 * @fires {KibitzChatEvent} kibitz-chat - A chat message from another participant (the built-in chat or `sendChat()`): `{ peer, text, at }` (`at`: arrival time, ms since the epoch). Chat never fires `kibitz-message`.
 * @fires {KibitzAuditEvent} kibitz-audit - On the host only: an honest member dropped what a participant had no grant to send: `{ peer, blocked, reporter }` (`blocked`: `chat` or `files`).
 * @fires {KibitzSafetyEvent} kibitz-safety - A pair's safety code is ready, its trust changed, or an alarm went off: `{ peer, code, trust, alarm? }` (`trust`: `unverified`, `verified` or `changed`; `alarm`: `commitment`, `mismatch` or `changed`).
 * @fires {KibitzDevicesEvent} kibitz-devices - The cameras, microphones or speakers changed, or the one selected for a kind did: `{ devices }`.
 * @fires {KibitzSpeakingEvent} kibitz-speaking - A participant (this peer included) started or stopped speaking: `{ peer, speaking }`.
 * @fires {KibitzQualityEvent} kibitz-quality - The quality of the direct link to a participant changed: `{ peer, quality }` (`good`, `fair` or `poor`).
 */
export class KibitzRoomElement extends LitElement {
  static override styles = styles;

  /** Room name; peers with the same name meet. Empty: an unguessable random room is created on join. */
  @property() room = '';

  /** Display name shown to others (at most 64 characters). Changing it mid-call renames you for everyone. */
  @property() name = '';

  /** Broker base URL (`ws://host:port/`, `https://host/`), `local` for same-browser tabs, or empty for this page's origin. */
  @property() signaling = '';

  /** JSON array of RTCIceServer objects (STUN/TURN). */
  @property({ attribute: 'ice-servers' }) iceServers = '';

  /**
   * A URL (same-origin, or cross-origin with CORS) answering `{ "iceServers": [...] }` with
   * short-lived TURN credentials, fetched afresh before every join (same-origin cookies sent,
   * 10 s timeout). Its servers come first, then those of `ice-servers`. Any failure rejects
   * the join with ERR_ICE_SERVERS.
   */
  @property({ attribute: 'ice-servers-url' }) iceServersUrl = '';

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

  /**
   * The DTLS certificate for every link (JS property only). By default one certificate per
   * browser profile is kept in IndexedDB, so a host's ban follows this browser across
   * reloads and tabs; set your own to separate identities on one page.
   */
  @property({ attribute: false }) certificate: RTCCertificate | null = null;

  /**
   * Who decides on incoming files: `ask` (a `kibitz-file-offer` event, then the built-in
   * prompt; declined at once when headless and no listener took it), `all` (every file within
   * `file-limits`) or `none`.
   */
  @property({ attribute: 'accept-files' }) acceptFiles: AcceptFiles = 'ask';

  /**
   * Limits for incoming files: JSON (or, as a property, an object) with any of `maxFileBytes`
   * (default 64 MiB), `maxSenderBytes` (64 MiB held at once per sender), `maxTotalBytes`
   * (256 MiB at once in all), `idleMs` (30000: a transfer silent this long is cut off) and
   * `offerMs` (60000: an undecided offer is declined).
   */
  @property({ attribute: 'file-limits' }) fileLimits: string | Partial<FileLimits> = '';

  /**
   * The room's admission gate, as the link carries it (JSON, e.g. `{"method":"invite"}`): part
   * of the room's identity, so a link without it leads to another, empty room.
   */
  @property() gate = '';

  /** A personal invite, from the invitee's link (`parseRoomLink(link).invite`). */
  @property() invite = '';

  /** Exchange no media or data with a peer until this browser has verified its credential itself. */
  @property({ type: Boolean, attribute: 'verified-only', reflect: true }) verifiedOnly = false;

  /**
   * What this peer joins as: `person` (default) or `agent` (an AI participant: by default it
   * reads the chat, messages to it and the names, and may do nothing until the host grants
   * more). In a room without a gate this is the joiner's own word; an invite's kind overrides it.
   */
  @property() kind: 'person' | 'agent' = 'person';

  /** Where an OpenID sign-in popup returns: any page of this origin that loads Kibitz (default: this page). */
  @property({ attribute: 'redirect-uri' }) redirectUri = '';

  /**
   * What this person shows at the gate (JS property only, never reflected): `{ code }` for a
   * join code, `{ idToken }` for an ID token the page got itself. `signIn()` and
   * `submitEmailCode()` set it.
   */
  @property({ attribute: false }) credential: CredentialInput = null;

  /**
   * The words of the built-in UI (JS property only): any part of the English defaults
   * (`defaultStrings`, exported), merged over them, e.g. `{ join: 'Rejoindre', inCallWith: (n) => … }`.
   * Strings that carry values are functions of them; a key of the wrong type is ignored.
   */
  @property({ attribute: false }) strings: Partial<KibitzStrings> = {};

  private readonly local: LocalMedia = new LocalMedia(this, {
    sink: () => this.mediaSink(),
    device: (kind) => this.deviceList.preferred(kind === 'audio' ? 'microphone' : 'camera'),
    asked: () => askedMedia(this.media),
    lost: (kind) => this.deviceLost(kind),
  });
  private readonly deviceList: DeviceList = new DeviceList(this, {
    inUse: (kind) => this.local.inUse(kind === 'camera' ? 'video' : 'audio'),
    changed: (devices) => this.dispatchEvent(new KibitzDevicesEvent({ devices })),
  });
  private readonly levels = new AudioLevels(this, {
    tracks: () => this.measuredTracks(),
    changed: (key, speaking) => {
      const peer = this.participants.find((p) => (key === SELF ? p.self : p.id === key));
      if (peer) this.dispatchEvent(new KibitzSpeakingEvent({ peer, speaking }));
      this.requestUpdate();
    },
  });
  /** Samples each link's quality during a call; made with the first call (its code loads with the engine). */
  private linkQuality: LinkQualityMonitor | null = null;
  private readonly gateClient = new GateClient(this, {
    fingerprint: async () => this.selfFingerprint ?? fingerprintOf(this.certificate ?? (await persistentCertificate())!),
    report: (err) => this.call.report(err),
  });
  private readonly call = new RoomController(this, {
    prepare: () => this.roomOptions(),
    created: (engine) => {
      if (!this.room) this.room = engine.room;
      this.local.announce(engine);
      this.chat.clear();
      this.files.clear();
    },
    chat: (peer, text, at) => this.chat.received(peer.name || this.texts.guest, text, new Date(at)),
    describe: (participants) => this.describe(participants),
    ended: () => {
      this.iceRefresh?.stop();
      this.local.stop();
      this.levels.stop();
      this.linkQuality?.stop();
    },
    canPrompt: () => !this.headless,
  });
  /** Pins of peers whose safety code this browser's user confirmed; every Room reads them afresh. */
  private pins: IndexedDbPinStore | null = null;
  /** The certificate read from this profile's store, once known. */
  private storedCertificate: RTCCertificate | null = null;
  /** The participant whose safety-code panel is open. */
  private verifying: string | null = null;
  /** Keeps `ice-servers-url` credentials fresh during a call. */
  private iceRefresh: IceRefresh | null = null;
  /** The host key unsealed by claimHost() before joining; the next Room proves it. */
  private hostSecret: Uint8Array | null = null;
  private readonly onPageHide = () => this.leave();
  private readonly hostActions = {
    toggleLock: () => void (this.locked ? this.unlock() : this.lock()).catch(quiet),
    toggleLobby: () => void this.setLobby(!this.lobby).catch(quiet),
    admit: (id: string) => void this.admit(id).catch(quiet),
    deny: (id: string) => void this.deny(id).catch(quiet),
  };
  // The built-in UI's own state (ui/): chat, outgoing files, the pre-join panel.
  private readonly chat = new ChatPanel(this, (text) => this.sendChat(text));
  private readonly files = new FilesPanel(this, (file, onProgress) =>
    this.sendFile(file, { name: file.name, type: file.type, onProgress }),
  );
  private readonly preJoin = new PreJoin(this, {
    join: () => void this.join().catch(quiet),
    setMicrophone: (on) => void this.setMicrophone(on).catch(quiet),
    setCamera: (on) => void this.setCamera(on).catch(quiet),
    setDevice: (kind, id) => void this.setDevice(kind, id).catch(quiet),
    setName: (name) => void (this.name = name),
    level: () => this.audioLevel(null),
    startPreview: () => void this.startPreview().catch(quiet),
    // The engine is fetched at join(); a pointer on Join (or focus) starts the fetch a moment early.
    ready: () => void loadCall().catch(quiet),
  });
  /** The strings in use: `strings` over the defaults. */
  private texts: KibitzStrings = defaultStrings;
  /** The tile shown first and large (a participant id, or `id:screen`). */
  private pinned: string | null = null;
  private peopleOpen = false;
  private readonly toolbarActions = {
    leave: () => this.leave(),
    setMicrophone: (on: boolean) => void this.setMicrophone(on).catch(quiet),
    setCamera: (on: boolean) => void this.setCamera(on).catch(quiet),
    setScreen: (on: boolean) => void (on ? this.shareScreen() : this.stopScreenShare()).catch(quiet),
    togglePeople: () => ((this.peopleOpen = !this.peopleOpen), this.requestUpdate()),
  };

  constructor() {
    super();
    // A credential the door refused is forgotten, so the built-in form asks again.
    this.addEventListener('kibitz-gate', (event) => {
      if (event.detail.state === 'refused' && !event.detail.peer) this.gateClient.refused();
    });
  }

  /** The engine behind the element (a `Room`), for advanced use and tests; null before the first join. */
  get engine(): Room | null {
    return this.call.engine;
  }

  /** `idle`, `connecting`, `joined`, `waiting`, `refused`, `kicked`, `left` or `failed`. */
  get state(): RoomState {
    return this.call.state;
  }

  /** This peer's id in the room, once joined. */
  get selfId(): string | null {
    return this.engine?.selfId ?? null;
  }

  /** The id of the participant currently coordinating the room. */
  get coordinatorId(): string | null {
    return this.engine?.coordinatorId ?? null;
  }

  /**
   * Everyone in the roster, in join order: `{ id, name, self, coordinator, audio, video, fingerprint, …,
   * speaking, quality }`. `speaking`: this browser hears that participant speak now (for self,
   * its own microphone). `quality`: `good`, `fair` or `poor` for the direct link to it, sampled
   * every 3 s (null for self and before the first sample).
   */
  get participants(): CallParticipant[] {
    return this.describe(this.call.participants);
  }

  /** The engine's roster plus what this browser measures: who is speaking, how good each link is. */
  private describe(participants: Participant[]): CallParticipant[] {
    return participants.map((p) => ({
      ...p,
      speaking: this.levels.speaking(p.self ? SELF : p.id),
      quality: p.self ? null : (this.linkQuality?.get(p.id) ?? null),
    }));
  }

  /**
   * This browser's DTLS certificate fingerprint: what the others see on their links to you.
   * Null until the certificate is known (it is read when the element connects).
   */
  get selfFingerprint(): string | null {
    const certificate = this.certificate ?? this.storedCertificate;
    return this.engine?.selfFingerprint ?? (certificate ? fingerprintOf(certificate) : null);
  }

  /**
   * Say whether the safety code you compared with participant `id` (`participants[].safetyCode`,
   * read aloud or shown side by side) matched. A match pins that participant's device with its
   * name on this browser profile: it shows `verified`, also after a reload. No match raises the
   * `mismatch` alarm (`kibitz-safety`): someone may be in the middle; leave, or meet elsewhere.
   * Rejects with ERR_UNKNOWN_PEER, or ERR_NO_SAFETY_CODE before the pair's code is ready.
   */
  async confirmSafetyCode(id: string, matches: boolean): Promise<void> {
    try {
      if (!this.engine) throw notJoined();
      await this.engine.confirmSafetyCode(id, matches);
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_UNKNOWN_PEER'));
    }
  }

  /** The verified host's id, or null (open room, or the host is not here). */
  get hostId(): string | null {
    return this.engine?.hostId ?? null;
  }

  /** Whether this peer is the verified host. */
  get isHost(): boolean {
    return this.engine?.isHost ?? false;
  }

  /** Whether the host locked the room (new joiners are refused). */
  get locked(): boolean {
    return this.engine?.control.locked ?? false;
  }

  /** Whether the waiting room is on (joiners wait for the host). */
  get lobby(): boolean {
    return this.engine?.control.lobby ?? false;
  }

  /** Peers waiting to be let in: `{ id, name }`. */
  get knocks(): { id: string; name: string }[] {
    return this.engine?.knocks ?? [];
  }

  /**
   * Become host: unseal the room's host key with the passphrase and prove it to every peer
   * (before joining: prove it on join). Rejects with ERR_BAD_PASSPHRASE, ERR_NO_HOST (no host
   * key to claim) or ERR_BAD_SEAL.
   */
  async claimHost(passphrase: string): Promise<void> {
    try {
      const engine = this.engine;
      if (engine && ['connecting', 'joined', 'waiting'].includes(engine.state)) return await engine.claimHost(passphrase);
      if (!this.hostKey) throw new KibitzError('ERR_NO_HOST', 'this room has no host key to claim');
      this.hostSecret = await unsealHostKey(this.hostSeal, passphrase, this.hostKey);
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_BAD_PASSPHRASE'));
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

  /**
   * Join the room. Resolves once this peer is in the roster; rejects with a KibitzError
   * (ERR_GATE, with a `kibitz-gate` `needed` event, when the room's gate asks for a credential
   * not given yet).
   */
  join(): Promise<void> {
    try {
      if (this.state !== 'joined') this.gateClient.check();
    } catch (err) {
      return Promise.reject(this.call.report(toKibitzError(err, 'ERR_GATE')));
    }
    return this.call.join();
  }

  /** OpenID Connect sign-in for an `oidc` gate, in a popup (call it from a click); the ID token becomes `credential`. */
  signIn(): Promise<void> {
    return this.gateClient.signIn();
  }

  /**
   * The nonce an ID token must carry to count for this browser in this room (base64url of
   * SHA-256 over this device's certificate fingerprint and the room id), for a page that gets
   * its ID token itself and sets `credential = { idToken }`.
   */
  tokenNonce(): Promise<string> {
    return this.gateClient.nonce().catch((err: unknown) => Promise.reject(this.call.report(toKibitzError(err, 'ERR_GATE'))));
  }

  /** For an `email` gate: ask the gate's issuer to mail a sign-in code to `email`. */
  requestEmailCode(email: string): Promise<void> {
    return this.gateClient.requestEmailCode(email);
  }

  /** For an `email` gate: give the mailed code; the issuer's ID token becomes `credential`. */
  submitEmailCode(code: string): Promise<void> {
    return this.gateClient.submitEmailCode(code);
  }

  /**
   * Host only, in a room whose gate is `invite`: a personal invite link for `name`, signed with
   * the host key. `expiresIn` in milliseconds (default a week); `base` is the page the link
   * opens (default this one); `kind: 'agent'` invites an AI participant (an agent's grant).
   */
  async createInvite(name: string, options: { expiresIn?: number; base?: string; kind?: 'person' | 'agent' } = {}): Promise<string> {
    try {
      if (!this.engine || this.engine.state !== 'joined') throw notJoined();
      return await this.engine.createInvite(name, options);
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_BAD_INVITE'));
    }
  }

  /**
   * Host only: set what a participant's device may perceive (`audio`, `camera`, `screen`,
   * `chat`, `direct`, `roster`) and do (`speak`, `camera`, `screen`, `chat`, `files`). The
   * grant is signed into the room's state and enforced by every peer, across reloads and
   * after the host leaves.
   */
  async setGrant(peerId: string, grant: Grant): Promise<void> {
    try {
      if (!this.engine) throw notJoined();
      await this.engine.setGrant(peerId, grant);
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_BAD_GRANT'));
    }
  }

  /** Host only: put a participant's device back on its kind's default grant. */
  async resetGrant(peerId: string): Promise<void> {
    try {
      if (!this.engine) throw notJoined();
      await this.engine.resetGrant(peerId);
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_BAD_GRANT'));
    }
  }

  /** Leave the call at once, telling the others. */
  leave(): void {
    this.call.leave();
  }

  /**
   * Send data to every other participant, or to one (`to` = a participant id). JSON values
   * and binary (ArrayBuffer, typed arrays) up to 256 KiB; ordered and reliable.
   */
  send(data: unknown, to?: string): void {
    try {
      if (!this.engine) throw notJoined();
      this.engine.send(data, to);
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_SEND'));
    }
  }

  /**
   * Send a chat message to every other participant: what the built-in chat panel sends. It
   * travels as the reserved JSON value `{ kibitz: 'chat', text }` on the same channel as
   * `send()` and arrives as `kibitz-chat` (never `kibitz-message`). At most 4000 characters;
   * throws ERR_SEND for an empty or longer text, or when this participant is not granted
   * `chat` (the others would drop it), ERR_NOT_JOINED outside a call.
   */
  sendChat(text: string): void {
    try {
      if (!this.engine) throw notJoined();
      if (typeof text !== 'string' || !text.trim()) throw new KibitzError('ERR_SEND', 'a chat message needs some text');
      if (text.length > MAX_CHAT_TEXT) throw new KibitzError('ERR_SEND', `a chat message has at most ${MAX_CHAT_TEXT} characters`);
      const self = this.participants.find((p) => p.self);
      if (self && !self.grant.act.includes('chat')) throw new KibitzError('ERR_SEND', 'this participant is not granted chat');
      this.engine.send(chatEnvelope(text));
      this.chat.posted(self?.name || this.texts.guest, text);
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_SEND'));
    }
  }

  /**
   * Send a large binary payload (a File/Blob, ArrayBuffer or typed array) to everyone or to
   * one participant, chunked under backpressure so memory stays bounded. Each recipient is
   * asked first (`kibitz-file-offer`) and nothing is sent to it before it accepts; then it
   * gets a `kibitz-file` event with a Blob. Resolves with the transfer id once every byte is
   * sent; rejects with ERR_TRANSFER_REFUSED (declined, or no answer), ERR_TRANSFER_LIMIT
   * (over the recipient's limits) or ERR_TRANSFER_STALLED if any recipient refused or cut it
   * off (the others still get it whole).
   */
  async sendFile(
    payload: Blob | ArrayBuffer | ArrayBufferView,
    options: { to?: string; name?: string; type?: string; signal?: AbortSignal; onProgress?: (sent: number, total: number) => void } = {},
  ): Promise<string> {
    try {
      if (!this.engine) throw notJoined();
      const { to, ...rest } = options;
      return await this.engine.sendFile(payload, to, rest);
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_SEND'));
    }
  }

  /**
   * Turn the microphone on or off without renegotiating. Before joining it sets what the call
   * starts with (and mutes or unmutes the preview); a microphone that was lost opens again.
   */
  setMicrophone(on: boolean): Promise<void> {
    return this.local.set('audio', on).catch((err: unknown) => Promise.reject(this.call.report(toKibitzError(err, 'ERR_MEDIA'))));
  }

  /**
   * Turn the camera on or off without renegotiating (off releases the device). Before joining
   * it sets whether the call starts with the camera, and turns the preview's camera on or off.
   */
  setCamera(on: boolean): Promise<void> {
    return this.local.set('video', on).catch((err: unknown) => Promise.reject(this.call.report(toKibitzError(err, 'ERR_MEDIA'))));
  }

  /** Share a screen or window; the browser asks which. */
  shareScreen(): Promise<void> {
    return this.withMedia((engine) => this.local.shareScreen(engine));
  }

  /** Stop sharing the screen. */
  stopScreenShare(): Promise<void> {
    return this.local.stopScreen(this.engine);
  }

  /** WebRTC statistics of the direct link to one participant (null when there is none). */
  getStats(peerId: string): Promise<RTCStatsReport | null> {
    return this.engine?.getStats(peerId) ?? Promise.resolve(null);
  }

  /** The stream of one participant, this peer included: its camera and microphone, or its screen. */
  getStream(peerId: string, kind: 'camera' | 'screen' = 'camera'): MediaStream | null {
    if (peerId === this.selfId) return kind === 'camera' ? this.local.camera : this.local.screen;
    return this.call.stream(peerId, kind);
  }

  // ---- devices, speaking and link quality -----------------------------------------------------

  /**
   * (read-only) The cameras, microphones and speakers this browser offers, from
   * `enumerateDevices()`, read again on `devicechange`: `{ kind, deviceId, groupId, label,
   * selected }`. One entry per kind is `selected`: the device in use, else the one chosen with
   * `setDevice()`, else the browser's default. Until the page may use media, browsers hide labels
   * (Chromium also the ids: such placeholders are left out).
   */
  get devices(): CallDevice[] {
    return this.deviceList.entries;
  }

  /**
   * (read-only) The speaker chosen with `setDevice('speaker', id)`, or null for the default
   * output: media elements that play the call (`getStream()` of others) call
   * `setSinkId(speakerId)` with it.
   */
  get speakerId(): string | null {
    return this.deviceList.preferred('speaker');
  }

  /**
   * (read-only) This peer's camera and microphone stream, as a preview before joining
   * (`startPreview()`) and in the call (the same stream as `getStream(selfId)`); null while no
   * device is open. A new stream object after every change, so a `<video>` re-binds.
   */
  get previewStream(): MediaStream | null {
    return this.local.camera;
  }

  /** (read-only) Whether the microphone is on: in a call, it is sending; before joining, the call will start with it on. */
  get microphoneOn(): boolean {
    return this.local.micOn;
  }

  /** (read-only) Whether the camera is on: in a call, it is sending; before joining, the call will start with it on. */
  get cameraOn(): boolean {
    return this.local.cameraOn;
  }

  /**
   * Use another camera, microphone or speaker (`deviceId` from `devices`). In a call a camera or
   * microphone switches live on every link (no renegotiation), keeping its mute or camera-off
   * state; a speaker becomes `speakerId`. Before joining it is the device the preview and the
   * call open. An unknown kind or device rejects with ERR_BAD_DEVICE; a device that fails to
   * open, with ERR_MEDIA. Either way the call goes on as it was.
   */
  async setDevice(kind: CallDeviceKind, deviceId: string): Promise<void> {
    try {
      if (!isDeviceKind(kind))
        throw new KibitzError('ERR_BAD_DEVICE', `no such device kind: ${String(kind)} (camera, microphone or speaker)`);
      if (typeof deviceId !== 'string' || !(await this.deviceList.has(kind, deviceId))) {
        throw new KibitzError('ERR_BAD_DEVICE', `no ${kind} with that deviceId`);
      }
      this.deviceList.choose(kind, deviceId);
      if (kind !== 'speaker') await this.local.switchDevice(kind === 'camera' ? 'video' : 'audio');
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_MEDIA'));
    }
  }

  /**
   * Open the camera and microphone before joining, as the `media` attribute, `setCamera()`,
   * `setMicrophone()` and `setDevice()` say, to show them (`previewStream`) and measure the
   * microphone (`audioLevel(null)`). `join()` then sends these tracks instead of opening new
   * ones. Call it from a click where a browser asks for permission. Rejects with ERR_MEDIA (no
   * device, no permission), ERR_BAD_ATTRIBUTE (a bad `media`); does nothing in a call.
   */
  async startPreview(): Promise<void> {
    try {
      if (this.mediaSink()) return;
      await this.local.preview(parseMedia(this.media));
      void this.deviceList.refresh();
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_MEDIA'));
    }
  }

  /** Close the preview's camera and microphone (nothing in a call: `leave()` releases them). */
  stopPreview(): void {
    if (!this.mediaSink()) this.local.stop();
  }

  /**
   * The audio level of a participant's microphone as this browser hears it, 0 (silence) to 1,
   * read every 120 ms with Web Audio: for a level meter, read on a timer (a level change does
   * not re-render the element; a change of `participants[].speaking` does).
   * `null` (or `selfId`) is this peer's own microphone, also in the preview before joining. 0
   * for a muted or unknown participant.
   */
  audioLevel(peerId: string | null): number {
    return this.levels.level(peerId === null || peerId === this.selfId ? SELF : peerId);
  }

  /** The engine, while it takes tracks: a call in progress or on its way. */
  private mediaSink(): Room | null {
    const engine = this.engine;
    return engine && (engine.state === 'connecting' || engine.state === 'joined' || engine.state === 'waiting') ? engine : null;
  }

  /** A capture device went away mid-call or mid-preview: say so, and read the device list again. */
  private deviceLost(kind: CaptureKind): void {
    const name = kind === 'audio' ? 'microphone' : 'camera';
    this.call.report(
      new KibitzError('ERR_DEVICE_LOST', `the ${name} stopped (unplugged or taken by another app); the call goes on without it`),
    );
    void this.deviceList.refresh();
  }

  /** The audio tracks to measure: this peer's while its microphone is on, and each remote one that is not muted. */
  private measuredTracks(): Map<string, MediaStreamTrack> {
    const tracks = new Map<string, MediaStreamTrack>();
    const own = this.local.camera?.getAudioTracks()[0];
    if (own?.enabled && own.readyState === 'live') tracks.set(SELF, own);
    if (!this.mediaSink()) return tracks;
    for (const peer of this.call.participants) {
      const track = peer.self || !peer.audio ? undefined : this.call.stream(peer.id, 'camera')?.getAudioTracks()[0];
      if (track?.readyState === 'live') tracks.set(peer.id, track);
    }
    return tracks;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('pagehide', this.onPageHide);
    // Warm the certificate lookup so join() does not wait on IndexedDB.
    if (!this.certificate) void persistentCertificate().then((certificate) => void (this.storedCertificate = certificate));
    if (this.autojoin && this.state !== 'joined') void this.join().catch(quiet);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.iceRefresh?.stop();
    window.removeEventListener('pagehide', this.onPageHide);
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('strings')) this.texts = mergeStrings(this.strings);
    // A human-chosen room name is stretched before use (slow on purpose): start as soon as it is known.
    if ((changed.has('room') || changed.has('gate')) && this.room.trim()) {
      void deriveRoomKeys(this.room, this.gateClient.gateText()).catch(quiet);
    }
    // A rename mid-call reaches everyone; the first value is the one the join sends. Done
    // before rendering: the engine's roster event re-renders, and this render picks it up.
    if (!changed.has('name') || !this.engine || changed.get('name') === undefined) return;
    try {
      this.engine.setName(parseName(this.name));
    } catch (err) {
      this.call.report(toKibitzError(err, 'ERR_BAD_ATTRIBUTE'));
    }
  }

  /**
   * With `ice-servers-url`, fetch fresh credentials before these expire, for as long as the
   * call lasts: a link made later (a newcomer) or an ICE restart needs valid ones.
   */
  private refreshIce({ IceRefresh, iceServersFor }: CallPartsModule, links: RtcLinkFactory, servers: RTCIceServer[]): void {
    this.iceRefresh?.stop();
    this.iceRefresh = null;
    const [inline, url, relayOnly] = [this.iceServers, this.iceServersUrl, this.relayOnly];
    if (!url.trim()) return;
    this.iceRefresh = new IceRefresh(
      () => iceServersFor(inline, url, relayOnly),
      (fresh) => links.setIceServers(fresh),
      (err) => this.call.report(toKibitzError(err, 'ERR_ICE_SERVERS')),
    );
    this.iceRefresh.schedule(servers);
  }

  /** The link quality monitor, made once its code is here; it samples while joined. */
  private monitorLinks({ LinkQualityMonitor }: CallPartsModule): LinkQualityMonitor {
    return new LinkQualityMonitor(this, {
      joined: () => this.state === 'joined',
      peers: () => this.call.participants.filter((p) => !p.self).map((p) => p.id),
      stats: (peerId) => this.getStats(peerId),
      changed: (peerId, quality) => {
        const peer = this.participants.find((p) => p.id === peerId);
        if (peer) this.dispatchEvent(new KibitzQualityEvent({ peer, quality }));
        this.requestUpdate();
      },
    });
  }

  /**
   * Everything the Room is made from. Attributes are checked before any device is opened,
   * except the ICE servers and the host credential: those are checked (and fetched) alongside
   * the devices, and a failure then releases what was opened (the controller does).
   */
  private async roomOptions(): Promise<RoomOptions> {
    const wish = parseMedia(this.media);
    const signaling = parseSignaling(this.signaling);
    const room = parseRoom(this.room);
    const name = parseName(this.name);
    const files = { acceptFiles: resolveAcceptFiles(this.acceptFiles), fileLimits: resolveFileLimits(parseFileLimits(this.fileLimits)) };
    // The call's code (script-tag build: kibitz-engine.js) and the ICE servers arrive alongside
    // the devices, awaited after them: a failure leaves none open.
    const loading = loadCall();
    const ice = loading.then(({ iceServersFor }) => iceServersFor(this.iceServers, this.iceServersUrl, this.relayOnly));
    // Their failures are thrown where they are awaited; this keeps one that comes first from being reported as unhandled.
    for (const pending of [loading, ice]) pending.catch(() => undefined);
    const [certificate, stream] = await Promise.all([
      this.certificate ?? persistentCertificate(),
      // No device or no permission: join anyway, without media, and say why.
      this.local.open(wish).catch((err) => (this.call.report(toKibitzError(err, 'ERR_MEDIA')), null)),
    ]);
    const parts = await loading;
    const iceServers = await ice;
    const { makeTransport, rtcLinkFactory } = parts;
    this.linkQuality ??= this.monitorLinks(parts);
    const transport = makeTransport(signaling);
    const links = rtcLinkFactory({
      iceServers,
      iceTransportPolicy: this.relayOnly ? 'relay' : 'all',
      certificates: certificate ? [certificate] : undefined,
    });
    this.refreshIce(parts, links, iceServers);
    return {
      room,
      name,
      transport,
      links,
      tracks: { audio: stream?.getAudioTracks()[0] ?? null, video: stream?.getVideoTracks()[0] ?? null },
      media: wish.audio || wish.video,
      host: { hostKey: this.hostKey, hostSeal: this.hostSeal, hostName: this.hostName },
      localFingerprint: certificate ? normalizeFingerprint(certificate.getFingerprints()[0]?.value ?? '') || null : null,
      hostSecret: this.hostSecret,
      pins: (this.pins ??= new parts.IndexedDbPinStore()),
      ...files,
      replayStore: parts.localReplayStore(this.hostKey),
      gate: this.gateClient.descriptor(),
      credential: this.gateClient.credential(),
      verifiedOnly: this.verifiedOnly,
      kind: parseKind(this.kind),
    };
  }

  private async moderate(op: Parameters<Room['moderate']>[0], target?: string): Promise<void> {
    try {
      if (!this.engine) throw notJoined();
      await this.engine.moderate(op, target);
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_NOT_HOST'));
    }
  }

  /** Run a local-media change against the joined engine; failures are reported as `kibitz-error`. */
  private async withMedia(change: (engine: Room) => Promise<void>): Promise<void> {
    try {
      // The engine takes tracks in any state; devices only open for a call in progress.
      if (this.engine?.state !== 'joined') throw notJoined();
      await change(this.engine);
    } catch (err) {
      throw this.call.report(toKibitzError(err, 'ERR_MEDIA'));
    }
  }

  // ---- rendering ----------------------------------------------------------------------------
  // The element is a thin shell: each piece of the UI is a file in ui/ (tile, pre-join, chat,
  // files, participant list, host panel, strings). They render into this one shadow root, so
  // every part is the element's own and `kibitz-room::part(…)` reaches it.

  private tiles(): Tile[] {
    const tiles: Tile[] = [];
    for (const peer of this.participants) {
      const camera = peer.self ? this.local.camera : this.call.stream(peer.id, 'camera');
      tiles.push({ key: peer.id, peer, stream: camera, screen: false });
      const screen = peer.self ? this.local.screen : this.call.stream(peer.id, 'screen');
      if (peer.screen && screen) tiles.push({ key: `${peer.id}:screen`, peer, stream: screen, screen: true });
    }
    // The pinned tile comes first (and spans the grid).
    const pinned = tiles.findIndex((t) => t.key === this.pinned);
    if (pinned > 0) tiles.unshift(...tiles.splice(pinned, 1));
    return tiles;
  }

  /** The Verify control of a remote tile. */
  private verifyControls(peer: Participant) {
    return {
      open: this.verifying === peer.id,
      alarm: this.call.alarms.get(peer.id) ?? null,
      toggle: () => void this.showCode(this.verifying === peer.id ? null : peer.id, peer.id),
      answer: (matches: boolean) => void this.confirmSafetyCode(peer.id, matches).then(() => this.showCode(null, peer.id), quiet),
    };
  }

  /** Open one tile's code panel (or none); focus follows, to the choice or back to the button. */
  private async showCode(open: string | null, peerId: string): Promise<void> {
    this.verifying = open;
    this.requestUpdate();
    await this.updateComplete;
    const part = open ? 'match' : 'verify';
    this.renderRoot.querySelector<HTMLElement>(`[data-peer="${peerId}"] [part~="${part}"]`)?.focus();
  }

  private localState() {
    return { micOn: this.local.micOn, cameraOn: this.local.cameraOn, screenOn: this.local.screenOn };
  }

  /** The host's checkbox: one act allowed or forbidden, the rest of the grant kept. */
  private allow(peerId: string, act: Act, allowed: boolean): void {
    const peer = this.participants.find((p) => p.id === peerId);
    if (!peer) return;
    const acts = ACT.filter((a) => (a === act ? allowed : peer.grant.act.includes(a)));
    // A refusal is reported as `kibitz-error`; the boxes then show the grant as it stands.
    void this.setGrant(peerId, { perceive: peer.grant.perceive, act: acts }).catch(() => this.requestUpdate());
  }

  private togglePin(key: string): void {
    this.pinned = this.pinned === key ? null : key;
    this.requestUpdate();
  }

  private stateText(): string {
    return stateLine(this.texts, this.state, this.participants.length - 1, this.call.reconnecting.size > 0, this.call.lastError);
  }

  /** What the pre-join panel shows: the preview (or the call's own stream) and the media the call asks for. */
  private preJoinState(busy: boolean) {
    let wants = { audio: false, video: false };
    try {
      wants = parseMedia(this.media);
    } catch {
      // A bad `media` is reported on join.
    }
    return {
      wants,
      devices: this.devices,
      preview: this.previewStream,
      micOn: this.microphoneOn,
      cameraOn: this.cameraOn,
      name: this.name,
      busy,
      canPickSpeaker: canPickSpeaker(),
    };
  }

  protected override updated(): void {
    applySpeaker(this.renderRoot, this.speakerId ?? '');
  }

  override render() {
    const s = this.texts;
    const others = this.participants.filter((p) => !p.self);
    if (this.headless) {
      return html`${others.map((p) => html`<audio hidden autoplay ${srcObject(this.call.stream(p.id, 'camera'))}></audio>`)}`;
    }
    const inCall = this.state === 'joined';
    const busy = this.state === 'connecting' || this.state === 'waiting';
    const blocked = this.state === 'waiting' || this.state === 'refused' || this.state === 'kicked';
    const preJoin = this.preJoinState(busy);
    const tiles = this.tiles();
    // Tiles exist only in a call, whose code (the tile view with it) has arrived by then.
    const call = loadedCall();
    const self = this.participants.find((p) => p.self);
    const canChat = self?.grant.act.includes('chat') ?? false;
    const canSendFiles = (self?.grant.act.includes('files') ?? false) && others.length > 0;
    return html`
      <div part="base" class="base ${this.state}">
        <div part="status" class="status" role="status" aria-live="polite">${this.stateText()}</div>
        ${blocked ? html`<div part="notice" class="notice" role="alert">${this.stateText()}</div>` : nothing}
        ${(this.isHost && inCall && panelsFor(this)?.hostPanelView(s, this, this.hostActions)) || nothing}
        ${this.preJoin.render(s, preJoin, !inCall, busy ? nothing : this.gateClient.view(() => void this.join().catch(quiet), s))}
        ${this.files.render(s, this.call.offers, this.call.saved, (id) => this.call.dismiss(id))}
        <div class="stage">
          ${
            tiles.length && call
              ? html`<div part="grid" class="grid" role="list" aria-label=${s.participantsGrid} ?hidden=${blocked}>
                ${call.repeat(
                  tiles,
                  (tile) => tile.key,
                  (tile) =>
                    call.tileView(tile, {
                      strings: s,
                      pinned: tile.key === this.pinned,
                      togglePin: () => this.togglePin(tile.key),
                      verify: inCall ? this.verifyControls(tile.peer) : null,
                    }),
                )}
              </div>`
              : nothing
          }
          ${
            inCall
              ? html`<div class="side" ?hidden=${!this.peopleOpen && !this.chat.open}>
                ${
                  this.peopleOpen
                    ? (panelsFor(this)?.peopleView(this.participants, {
                        strings: s,
                        kick: this.isHost ? (id) => void this.kick(id).catch(quiet) : null,
                        grant: this.isHost && this.hostKey ? (id, act, allowed) => this.allow(id, act, allowed) : null,
                      }) ?? nothing)
                    : nothing
                }
                ${this.chat.render(s, canChat)}
              </div>`
              : nothing
          }
        </div>
        ${
          inCall
            ? toolbarView(s, { ...this.localState(), peopleOpen: this.peopleOpen }, this.toolbarActions, [
                this.files.button(s, canSendFiles),
                this.chat.toggleButton(s),
              ])
            : nothing
        }
      </div>
    `;
  }
}

/** `file-limits` as JSON text or an object; the engine checks the fields. */
function parseFileLimits(value: string | Partial<FileLimits>): Partial<FileLimits> | undefined {
  if (typeof value !== 'string') return value ?? undefined;
  if (!value.trim()) return undefined;
  try {
    return JSON.parse(value) as Partial<FileLimits>;
  } catch {
    throw new KibitzError('ERR_BAD_ATTRIBUTE', 'file-limits: must be a JSON object such as {"maxFileBytes": 10485760}');
  }
}

const notJoined = () => new KibitzError('ERR_NOT_JOINED', 'join the room first');
/** The key of this peer's own level (no participant id is empty). */
const SELF = '';
/** The media a call asks for; a bad `media` asks for none (join reports it). */
const askedMedia = (media: string) => {
  try {
    return parseMedia(media);
  } catch {
    return { audio: false, video: false };
  }
};
const fingerprintOf = (certificate: RTCCertificate) => normalizeFingerprint(certificate.getFingerprints()[0]?.value ?? '') || null;
/** A button's failure is already reported as `kibitz-error`. */
const quiet = () => undefined;
