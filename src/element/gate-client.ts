// The element's side of the admission gate: what the gate asks of this person, the credential
// they give (never reflected to an attribute), getting an ID token (OpenID popup, email code)
// bound to this device and room, and the form the built-in UI shows before joining.
import { html, nothing, type TemplateResult } from 'lit';
import { KibitzError, toKibitzError } from '../errors.js';
import { formatGate, parseGate, tokenNonce, type GateDescriptor, type GateReason } from '../crypto/gate.js';
import { deriveRoomKeys } from '../crypto/room-keys.js';
import type { GateCredential } from '../engine/gatekeeper.js';
import { KibitzGateEvent } from './events.js';
import type { KibitzStrings } from './ui/strings.js';

/** What a page may set as `credential`: a join code, or an ID token it got itself. */
export type CredentialInput = { code: string } | { idToken: string } | null;

/** The element's public side the client reads and sets. */
export interface GateClientHost extends EventTarget {
  readonly gate: string;
  /** The sealed host key from the host's link: its holder passes every gate but a code one. */
  readonly hostSeal: string;
  readonly invite: string;
  readonly room: string;
  readonly redirectUri: string;
  credential: CredentialInput;
  requestUpdate(): void;
}

export interface GateClientHooks {
  /** This device's certificate fingerprint. */
  fingerprint(): Promise<string | null>;
  /** Dispatch `kibitz-error` and hand the error back. */
  report(err: KibitzError): KibitzError;
}

const failed = (reason: GateReason | undefined, err: unknown): KibitzError => {
  const error = toKibitzError(err, 'ERR_GATE');
  (error as KibitzError & { reason?: GateReason }).reason ??= reason;
  return error;
};

export class GateClient {
  /** The ticket of the email code last requested. */
  private ticket: string | null = null;
  /** What the form holds while the person types. */
  codeInput = '';
  emailInput = '';
  emailSent = false;

  constructor(
    private readonly host: GateClientHost,
    private readonly hooks: GateClientHooks,
  ) {}

  /** The gate descriptor from the attribute; null without one. Throws ERR_BAD_ATTRIBUTE. */
  descriptor(): GateDescriptor | null {
    if (!this.host.gate.trim()) return null;
    try {
      return parseGate(this.host.gate);
    } catch (err) {
      throw new KibitzError('ERR_BAD_ATTRIBUTE', `gate: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The descriptor's canonical text ('' without a gate, or when the attribute is bad): what the room keys hash. */
  gateText(): string {
    try {
      const gate = this.descriptor();
      return gate ? formatGate(gate) : '';
    } catch {
      return '';
    }
  }

  /** What the engine gets: the invite from the link, and the page's code or ID token. */
  credential(): GateCredential {
    const given = this.host.credential;
    return {
      invite: this.host.invite.trim() || null,
      code: given && 'code' in given && typeof given.code === 'string' ? given.code : null,
      idToken: given && 'idToken' in given && typeof given.idToken === 'string' ? given.idToken : null,
    };
  }

  /** Whether the gate still asks for something before joining; fires `kibitz-gate` `needed` if so. */
  check(): void {
    const gate = this.descriptor();
    if (!gate) return;
    const have = this.credential();
    const missing =
      (gate.method === 'code' && !have.code) ||
      ((gate.method === 'oidc' || gate.method === 'email') && !have.idToken) ||
      (gate.method === 'invite' && !have.invite);
    // The host (its link holds the sealed key) gets in on the key alone, except in a code room.
    if (!missing || (this.host.hostSeal && gate.method !== 'code')) return;
    this.host.dispatchEvent(new KibitzGateEvent({ state: 'needed', method: gate.method }));
    throw new KibitzError('ERR_GATE', needs(gate));
  }

  /** The nonce an ID token must carry to count for this browser in this room. */
  async nonce(): Promise<string> {
    const fingerprint = await this.hooks.fingerprint();
    if (!fingerprint) throw new KibitzError('ERR_GATE', 'this browser has no certificate to bind a sign-in to');
    const descriptor = this.descriptor();
    const gate = descriptor ? formatGate(descriptor) : '';
    const { roomId } = await deriveRoomKeys(this.host.room, gate);
    return tokenNonce(fingerprint, roomId);
  }

  private give(idToken: string): void {
    this.host.credential = { idToken };
    this.host.requestUpdate();
  }

  private refuse(method: GateDescriptor['method'], err: unknown): KibitzError {
    const reason = (err as { reason?: GateReason }).reason;
    this.host.dispatchEvent(new KibitzGateEvent({ state: 'needed', method, ...(reason && { reason }) }));
    return this.hooks.report(failed(reason, err));
  }

  /** The door refused this peer's credential: forget it, so the form asks again. */
  refused(): void {
    this.host.credential = null;
    this.ticket = null;
    this.emailSent = false;
    this.host.requestUpdate();
  }

  /** OpenID Connect sign-in in a popup (authorization code + PKCE); the ID token becomes the credential. */
  async signIn(): Promise<void> {
    const gate = this.descriptor();
    if (gate?.method !== 'oidc') throw this.hooks.report(new KibitzError('ERR_GATE', "signIn() needs a gate whose method is 'oidc'"));
    try {
      const nonce = await this.nonce();
      const { signInWithPopup } = await import('../gate/sign-in.js');
      const redirectUri = this.host.redirectUri || location.origin + location.pathname;
      this.give(await signInWithPopup({ issuer: gate.issuer, clientId: gate.clientId, nonce, redirectUri }));
    } catch (err) {
      throw this.refuse('oidc', err);
    }
  }

  /** Ask the gate's email issuer to mail a code to `email`. */
  async requestEmailCode(email: string): Promise<void> {
    const gate = this.descriptor();
    if (gate?.method !== 'email')
      throw this.hooks.report(new KibitzError('ERR_GATE', "requestEmailCode() needs a gate whose method is 'email'"));
    try {
      const { startEmail } = await import('../gate/sign-in.js');
      this.ticket = await startEmail(gate.issuer, String(email).trim(), await this.nonce());
      this.emailSent = true;
      this.host.requestUpdate();
    } catch (err) {
      throw this.refuse('email', err);
    }
  }

  /** Give the mailed code; its ID token becomes the credential. */
  async submitEmailCode(code: string): Promise<void> {
    const gate = this.descriptor();
    if (gate?.method !== 'email')
      throw this.hooks.report(new KibitzError('ERR_GATE', "submitEmailCode() needs a gate whose method is 'email'"));
    try {
      if (!this.ticket) throw new KibitzError('ERR_GATE', 'call requestEmailCode(email) first');
      const { finishEmail } = await import('../gate/sign-in.js');
      this.give(await finishEmail(gate.issuer, this.ticket, String(code)));
    } catch (err) {
      throw this.refuse('email', err);
    }
  }

  /** The fields the gate asks for, shown before joining. */
  view(join: () => void, s: KibitzStrings): TemplateResult | typeof nothing {
    let gate: GateDescriptor | null;
    try {
      gate = this.descriptor();
    } catch {
      return nothing;
    }
    if (!gate) return nothing;
    const have = this.credential();
    const quiet = () => undefined;
    switch (gate.method) {
      case 'code':
        return html`<form part="gate" class="gate" @submit=${(e: Event) => {
          e.preventDefault();
          this.host.credential = { code: this.codeInput };
          join();
        }}>
          <label part="gate-label">${s.joinCode} <input part="gate-input" name="code" autocomplete="off" required
            .value=${this.codeInput} @input=${(e: Event) => (this.codeInput = (e.target as HTMLInputElement).value)} /></label>
          <button part="button gate-submit">${s.gateJoin}</button>
        </form>`;
      case 'oidc':
        return have.idToken
          ? html`<p part="gate" class="gate">${s.signedIn}</p>`
          : html`<div part="gate" class="gate"><button part="button sign-in" @click=${() => void this.signIn().catch(quiet)}>${s.signIn}</button></div>`;
      case 'email':
        if (have.idToken) return html`<p part="gate" class="gate">${s.emailVerified}</p>`;
        return html`<form part="gate" class="gate" @submit=${(e: Event) => {
          e.preventDefault();
          void (this.emailSent ? this.submitEmailCode(this.codeInput) : this.requestEmailCode(this.emailInput)).catch(quiet);
        }}>
          <label part="gate-label">${s.email} <input part="gate-input" name="email" type="email" autocomplete="email" required
            .value=${this.emailInput} @input=${(e: Event) => (this.emailInput = (e.target as HTMLInputElement).value)} /></label>
          ${
            this.emailSent
              ? html`<label part="gate-label">${s.emailCode} <input part="gate-input" name="code" autocomplete="one-time-code" required
                .value=${this.codeInput} @input=${(e: Event) => (this.codeInput = (e.target as HTMLInputElement).value)} /></label>`
              : nothing
          }
          <button part="button gate-submit">${this.emailSent ? s.verifyCode : s.sendCode}</button>
          ${
            this.emailSent
              ? html`<button part="button gate-restart" type="button" @click=${() => this.refused()}>${s.otherAddress}</button>`
              : nothing
          }
        </form>`;
      case 'invite':
        return have.invite ? nothing : html`<p part="gate" class="gate">${s.byInvitation}</p>`;
      case 'names':
        return html`<p part="gate" class="gate">${s.namesOnly}</p>`;
    }
  }
}

function needs(gate: GateDescriptor): string {
  switch (gate.method) {
    case 'code':
      return 'this room needs its join code: set credential = { code }';
    case 'oidc':
      return 'this room needs a sign-in: call signIn()';
    case 'email':
      return 'this room needs a verified email: call requestEmailCode(email), then submitEmailCode(code)';
    default:
      return 'this room needs a credential';
  }
}
