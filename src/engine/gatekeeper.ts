// Who gets in, and who each peer believes is who. The coordinator runs the room's gate on every
// hello before rostering; then, on each pair's own link, both ends show each other their
// credential and each verifies it against the certificate fingerprint it reads from that live
// link. So a member's `identity.verified` is this peer's own finding, never the coordinator's
// word, and with `verifiedOnly` nothing flows to or from a peer until it holds. The gatekeeper
// holds no Room: input arrives through `screen`/`sync`/`receive`, output leaves through its port.
import { normalizeFingerprint } from '../crypto/command.js';
import { nameOnList, tokenNonce, type GateDescriptor, type GateMethod, type GateReason } from '../crypto/gate.js';
import { codeProof, openJoinCode, verifyCodeProof } from '../crypto/join-code.js';
import { holderProof, verifyInvite, type InviteSecret } from '../crypto/invite.js';
import type { RoomKeys } from '../crypto/room-keys.js';
import type { Clock } from './clock.js';
import type { GateRequest } from './coordinator.js';
import { readFingerprint, type Link } from './link.js';
import { encodeControl, type PeerKind } from './protocol.js';

/** Who a participant proved to be, as this peer sees it. */
export interface Identity {
  /** The gate method the credential answered; `host` for the verified host admitted on its key. */
  method: GateMethod | 'host';
  /** The invited name (invite) or the listed name (names). */
  name?: string;
  /** The verified address (oidc, email). */
  email?: string;
  /** What the invite makes its holder (invite): a person, or an agent. */
  kind?: PeerKind;
  /** This peer checked the credential itself, against its own live link to the holder. */
  verified: boolean;
}

/** What a joiner brings: an invite from its link, a join code, or an ID token. */
export interface GateCredential {
  /** The invite as its link's `invite` field carries it, or already read. */
  invite?: InviteSecret | string | null;
  code?: string | null;
  idToken?: string | null;
}

/** A credential as it travels: bound to the holder's certificate where the method allows. */
export type WireCredential = { m: 'invite'; t: unknown; p: string } | { m: 'code'; p: string } | { m: 'token'; t: string };

type Checked = { ok: true; identity: Identity; inviteId?: string } | { ok: false; reason: GateReason };

/** Wrong join codes one device may try at a coordinator before it is refused for good. */
export const CODE_TRIES_PER_DEVICE = 5;
/** Wrong join codes the whole room accepts per window at one coordinator: fresh certificates are free. */
export const CODE_TRIES_PER_WINDOW = 20;
export const CODE_TRY_WINDOW_MS = 60_000;

export interface GateReport {
  peerId: string;
  identity: Identity | null;
  /** Set when the peer's credential did not verify here. */
  refused?: GateReason;
}

/** What the gatekeeper needs from the room; it calls nothing else. */
export interface GatekeeperPort {
  readonly selfId: string;
  readonly clock: Clock;
  readonly gate: GateDescriptor | null;
  /** The committed host key (invites are signed with it). */
  readonly hostKey: string | null;
  readonly localFingerprint: string | null;
  /** Hold content and media from and to peers this peer has not verified. */
  readonly verifiedOnly: boolean;
  keys(): Promise<RoomKeys>;
  linkOf(peerId: string): Link | null;
  nameOf(peerId: string): string | null;
  /** The verified host's id, or null. */
  hostId(): string | null;
  /** Whether this peer holds the host key (it passes every gate but a code one on it). */
  holdsHostKey(): boolean;
  report(detail: GateReport): void;
  /** A peer became clear for content and media under `verifiedOnly`. */
  cleared(peerId: string): void;
}

interface Pair {
  peerId: string;
  /** The remote fingerprint as this end reads it live. */
  seen: string | null;
  result: Checked | null;
  queue: Promise<unknown>;
}

export class Gatekeeper {
  private readonly pairs = new WeakMap<Link, Pair>();
  private stretched: Uint8Array | null = null;
  private own: Promise<{ cred: WireCredential | null } | { reason: GateReason }> | null = null;
  private self: Identity | null = null;
  /** Kinds read from invites at the door, by joiner id, until the joiner is rostered. */
  private readonly doorKinds = new Map<string, PeerKind>();
  /** Wrong join codes by device fingerprint, and the room-wide window, at this coordinator. */
  private readonly tries = new Map<string, number>();
  private window: number[] = [];

  constructor(
    private readonly port: GatekeeperPort,
    private readonly credential: GateCredential & { invite?: InviteSecret | null },
  ) {}

  get method(): GateMethod | null {
    return this.port.gate?.method ?? null;
  }

  /**
   * This peer's own credential, bound to its certificate and the room; or the reason it cannot
   * get in (a code that does not open the link's commitment is known to be wrong here, so it
   * never costs a try at the door).
   */
  prepare(): Promise<{ cred: WireCredential | null } | { reason: GateReason }> {
    this.own ??= this.build();
    return this.own;
  }

  private async build(): Promise<{ cred: WireCredential | null } | { reason: GateReason }> {
    const gate = this.port.gate;
    if (!gate) return { cred: null };
    const fp = normalizeFingerprint(this.port.localFingerprint ?? '');
    const { roomId } = await this.port.keys();
    switch (gate.method) {
      case 'names':
        this.self = { method: 'names', name: this.port.nameOf(this.port.selfId) ?? '', verified: false };
        return { cred: null };
      case 'code': {
        if (!this.credential.code || !fp) return { reason: 'bad-credential' };
        const stretched = await openJoinCode(this.credential.code, gate.commit).catch(() => null);
        if (!stretched) return { reason: 'bad-credential' };
        this.stretched = stretched;
        this.self = { method: 'code', verified: true };
        return { cred: { m: 'code', p: await codeProof(stretched, roomId, fp) } };
      }
      case 'invite': {
        const invite = this.credential.invite;
        // Without an invite only the host gets in: anyone else would only open an empty room.
        if (!invite || !fp) return this.port.holdsHostKey() ? { cred: null } : { reason: 'bad-credential' };
        this.self = { method: 'invite', name: invite.token.name, kind: invite.token.as, verified: false };
        const p = await holderProof(invite, roomId, fp);
        const cred: WireCredential = { m: 'invite', t: invite.token, p };
        // Checked like anyone else's, so an invite for another room or past its time says so now.
        const checked = await this.check(cred, fp, '', roomId);
        if (!checked.ok) return { reason: checked.reason };
        this.self = checked.identity;
        return { cred };
      }
      case 'oidc':
      case 'email': {
        const token = this.credential.idToken;
        if (!token) return { cred: null };
        this.self = { method: gate.method, verified: false };
        return { cred: { m: 'token', t: token } };
      }
    }
  }

  /**
   * The kind the invite a joiner showed at this coordinator's door makes it (taken once, when
   * the joiner is rostered); null when its credential says nothing of it.
   */
  doorKind(id: string): PeerKind | null {
    const kind = this.doorKinds.get(id) ?? null;
    this.doorKinds.delete(id);
    return kind;
  }

  /** What this peer's own invite makes it (null without one: the declared kind holds). */
  get invitedAs(): PeerKind | null {
    return this.port.gate?.method === 'invite' ? (this.credential.invite?.token.as ?? null) : null;
  }

  /** This peer's own identity once its credential is prepared (null without a gate). */
  get selfIdentity(): Identity | null {
    const gate = this.port.gate;
    if (!gate) return null;
    if (this.self?.verified) return this.self;
    if (this.port.hostId() === this.port.selfId && gate.method !== 'code') return { method: 'host', verified: true };
    return this.self ?? { method: gate.method, verified: false };
  }

  /**
   * Check a credential shown by the holder whose certificate this peer reads as `fingerprint`.
   * Never throws: anything unreadable is `bad-credential`, an issuer that cannot be reached
   * `issuer-unreachable` (fail closed).
   */
  async check(cred: unknown, fingerprint: string | null, name: string, roomId?: string, door = true): Promise<Checked> {
    const gate = this.port.gate;
    if (!gate) return { ok: true, identity: { method: 'host', verified: false } };
    const fp = normalizeFingerprint(fingerprint ?? '');
    if (gate.method === 'names') {
      return nameOnList(name, gate.names)
        ? { ok: true, identity: { method: 'names', name, verified: false } }
        : { ok: false, reason: 'not-allowed' };
    }
    // Sizes are bounded where credentials enter: the door (hello) and the decoder (cred frames).
    if (!fp || typeof cred !== 'object' || cred === null) return { ok: false, reason: 'bad-credential' };
    const id = roomId ?? (await this.port.keys()).roomId;
    const c = cred as Record<string, unknown>;
    try {
      switch (gate.method) {
        case 'invite': {
          if (c.m !== 'invite' || !this.port.hostKey) return { ok: false, reason: 'bad-credential' };
          const result = await verifyInvite(c.t, c.p, {
            hostKey: this.port.hostKey,
            roomId: id,
            fingerprint: fp,
            now: this.port.clock.now(),
          });
          if (!result.ok) return result;
          const identity: Identity = { method: 'invite', name: result.invite.name, kind: result.invite.as, verified: true };
          return { ok: true, identity, inviteId: result.invite.id };
        }
        case 'code':
          if (c.m !== 'code' || !this.stretched) return { ok: false, reason: 'bad-credential' };
          return (await verifyCodeProof(this.stretched, id, fp, c.p))
            ? { ok: true, identity: { method: 'code', verified: true } }
            : { ok: false, reason: 'bad-credential' };
        case 'oidc':
        case 'email': {
          if (c.m !== 'token' || typeof c.t !== 'string') return { ok: false, reason: 'bad-credential' };
          // The JOSE code loads only in rooms that need it.
          const { verifyIdToken } = await import('../gate/id-token.js');
          const result = await verifyIdToken(c.t, {
            issuer: gate.issuer,
            audience: gate.method === 'oidc' ? gate.clientId : EMAIL_AUDIENCE,
            nonce: await tokenNonce(fp, id),
            allow: gate.allow,
            now: this.port.clock.now(),
            // A member shows the token it was admitted with: past its expiry it is still bound
            // to that member's certificate and this room, so only the door insists on a fresh one.
            allowExpired: !door,
          });
          return result.ok ? { ok: true, identity: { method: gate.method, email: result.email, verified: true } } : result;
        }
      }
    } catch {
      return { ok: false, reason: 'bad-credential' };
    }
  }

  /**
   * The coordinator's gate on a hello, after bans and the host's proof: null lets the joiner
   * on to lock and lobby. A verified host needs no credential, except in a code room, where
   * every coordinator needs the code itself to check anyone else's.
   */
  async screen(hello: GateRequest, isHost: boolean): Promise<GateReason | null> {
    const gate = this.port.gate;
    if (!gate || (isHost && gate.method !== 'code')) return null;
    const fp = normalizeFingerprint(hello.fingerprint ?? '');
    if (gate.method === 'code') {
      if (!fp) return 'bad-credential';
      const now = this.port.clock.now();
      this.window = this.window.filter((t) => now - t < CODE_TRY_WINDOW_MS);
      if ((this.tries.get(fp) ?? 0) >= CODE_TRIES_PER_DEVICE || this.window.length >= CODE_TRIES_PER_WINDOW) return 'too-many-tries';
    }
    const checked = await this.check(hello.credential, fp, hello.name);
    if (checked.ok) {
      if (checked.inviteId && this.inviteInUse(checked.inviteId, fp)) return 'already-in-use';
      if (checked.identity.kind) this.doorKinds.set(hello.id, checked.identity.kind);
      return null;
    }
    if (gate.method === 'code' && checked.reason === 'bad-credential') {
      const count = (this.tries.get(fp) ?? 0) + 1;
      this.tries.set(fp, count);
      this.window.push(this.port.clock.now());
      if (count >= CODE_TRIES_PER_DEVICE) return 'too-many-tries';
    }
    return checked.reason;
  }

  /** Whether another device in the room holds this invite now (this peer's own use included). */
  private inviteInUse(inviteId: string, fingerprint: string): boolean {
    const own = this.credential.invite;
    const selfFp = normalizeFingerprint(this.port.localFingerprint ?? '');
    if (own?.token.id === inviteId && selfFp && selfFp !== fingerprint) return true;
    for (const pair of this.members()) {
      const r = pair.result;
      if (r?.ok && r.inviteId === inviteId && pair.seen && pair.seen !== fingerprint) return true;
    }
    return false;
  }

  private readonly known = new Set<string>();

  private *members(): Iterable<Pair> {
    for (const peerId of this.known) {
      const link = this.port.linkOf(peerId);
      const pair = link && this.pairs.get(link);
      if (pair) yield pair;
    }
  }

  /** What this peer knows of `peerId`: its own finding for others, its own credential for itself. */
  identityOf(peerId: string): Identity | null {
    if (!this.port.gate) return null;
    if (peerId === this.port.selfId) return this.selfIdentity;
    const link = this.port.linkOf(peerId);
    const result = link ? this.pairs.get(link)?.result : null;
    if (result?.ok) return result.identity;
    if (this.port.hostId() === peerId && this.port.gate.method !== 'code') return { method: 'host', verified: true };
    return { method: this.port.gate.method, verified: false };
  }

  /** Under `verifiedOnly`, whether content and media may flow with `peerId`. */
  isClear(peerId: string): boolean {
    if (!this.port.verifiedOnly || peerId === this.port.selfId) return true;
    return this.identityOf(peerId)?.verified === true;
  }

  /** Show this peer's credential on every open member link that has not seen it. */
  sync(members: readonly string[]): void {
    // A room without a gate has no credentials to show or check.
    if (!this.port.gate) return;
    for (const peerId of members) {
      if (peerId === this.port.selfId) continue;
      this.known.add(peerId);
      const link = this.port.linkOf(peerId);
      if (link?.isOpen && !this.pairs.has(link)) this.begin(peerId, link);
    }
    for (const peerId of [...this.known]) if (!members.includes(peerId)) this.known.delete(peerId);
  }

  private begin(peerId: string, link: Link): Pair {
    const pair: Pair = { peerId, seen: null, result: null, queue: Promise.resolve() };
    this.pairs.set(link, pair);
    pair.queue = (async () => {
      const own = await this.prepare();
      if ('cred' in own && !link.isClosed) link.sendControl(encodeControl({ t: 'cred', c: own.cred }));
      pair.seen = await readFingerprint(link, this.port.clock);
    })();
    return pair;
  }

  /** A credential frame on `link`, the current link of member `peerId`. */
  receive(peerId: string, link: Link, cred: unknown): void {
    const gate = this.port.gate;
    if (!gate) return;
    const pair = this.pairs.get(link) ?? this.begin(peerId, link);
    pair.queue = pair.queue.then(async () => {
      // One credential per link: a second is ignored, so a peer cannot swap identities mid-call.
      if (pair.result) return;
      // No credential at all (a host admitted on its key, or an old client): unverified, which
      // verified-only holds; an alarm is for a credential shown that fails here.
      if (cred === null && gate.method !== 'names') {
        this.port.report({ peerId, identity: this.identityOf(peerId) });
        return;
      }
      const wasClear = this.isClear(peerId);
      // Checked against the certificate this end reads on the link, never a fingerprint it was told.
      pair.result = await this.check(cred, pair.seen, this.port.nameOf(peerId) ?? '', undefined, false);
      if (pair.result.ok) {
        this.port.report({ peerId, identity: pair.result.identity });
        if (!wasClear && this.isClear(peerId)) this.port.cleared(peerId);
      } else {
        this.port.report({ peerId, identity: this.identityOf(peerId), refused: pair.result.reason });
      }
    });
  }

  /** The verified host changed: under `verifiedOnly` it may now be clear. */
  hostChanged(peerId: string | null): void {
    if (peerId && this.port.verifiedOnly && this.isClear(peerId)) this.port.cleared(peerId);
  }
}

/** The audience the email issuer puts in its tokens. */
export const EMAIL_AUDIENCE = 'kibitz';
