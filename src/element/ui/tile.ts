// One participant's tile: their camera or screen, name, host and trust badges, the muted,
// camera-off, speaking and link-quality states (in words, never colour alone), and the
// per-tile actions: pin, full screen, and the safety-code panel.
import { html, nothing, type TemplateResult } from 'lit';
import type { Participant } from '../../engine/room.js';
import type { SafetyAlarm } from '../../engine/safety.js';
import type { CallParticipant } from '../call-types.js';
import type { KibitzStrings } from './strings.js';
import { srcObject } from './src-object.js';

/** One tile: a camera (with audio) or a screen share. */
export interface Tile {
  key: string;
  peer: CallParticipant;
  stream: MediaStream | null;
  screen: boolean;
}

/** The safety-code controls of a remote camera tile. */
export interface VerifyControls {
  /** The code panel is open on this tile. */
  open: boolean;
  /** The last alarm about this peer, if any. */
  alarm: SafetyAlarm | null;
  toggle(): void;
  answer(matches: boolean): void;
}

export interface TileContext {
  strings: KibitzStrings;
  pinned: boolean;
  togglePin(): void;
  /** The safety-code control (on others' camera tiles, in a call). */
  verify: VerifyControls | null;
}

/** Up to two initials for a tile without video; `?` for a nameless guest. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (
    parts
      .slice(0, 2)
      .map((p) => [...p][0])
      .join('') || '?'
  ).toUpperCase();
}

/** The trust badge of a tile: a CSS part per state, with words (not colour alone). */
function trustBadge(s: KibitzStrings, peer: Participant, alarm: SafetyAlarm | null): TemplateResult | typeof nothing {
  if (alarm === 'commitment' || alarm === 'mismatch') {
    return html`<span part="badge alarm" class="trust alarm" role="alert">${s.notSafe(alarm)}</span>`;
  }
  if (peer.trust === 'changed') {
    return html`<span part="badge changed" class="trust changed" role="alert">${s.newDevice(peer.name || s.guest)}</span>`;
  }
  if (peer.trust === 'verified') return html`<span part="badge verified" class="trust verified">${s.verified}</span>`;
  return nothing;
}

/**
 * The "Verify" control and its panel: the pair's code to read aloud, then Match / No match.
 * The panel is a labelled group that follows its button in the tab order.
 */
function verifyView(s: KibitzStrings, peer: Participant, verify: VerifyControls): TemplateResult {
  const label = peer.name || s.guest;
  const panel = `safety-${peer.id}`;
  return html`
    <button part="button verify" class="verify" aria-expanded=${String(verify.open)} aria-controls=${panel}
      ?disabled=${!peer.safetyCode} aria-label=${s.verifyLabel(label)} @click=${verify.toggle}>
      ${peer.safetyCode ? s.verify : s.verifying}
    </button>
    ${
      verify.open && peer.safetyCode
        ? html`<div part="safety" class="safety" id=${panel} role="group" aria-label=${s.safetyGroup(label)}
          @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && verify.toggle()}>
          <p>${s.safetyHelp(label)}</p>
          <p part="safety-code" class="code">${peer.safetyCode}</p>
          <button part="button match" @click=${() => verify.answer(true)}>${s.match}</button>
          <button part="button mismatch" @click=${() => verify.answer(false)}>${s.noMatch}</button>
        </div>`
        : nothing
    }`;
}

/** Full screen for the tile holding the button; a refusal (no user gesture, no permission) changes nothing. */
function fullScreen(event: Event): void {
  const tile = (event.currentTarget as HTMLElement).closest<HTMLElement>('.tile');
  if (!tile?.requestFullscreen) return;
  try {
    void tile.requestFullscreen().catch(() => undefined);
  } catch {
    // Older engines throw instead of rejecting.
  }
}

/** The states a tile's part names: `tile`, plus `self`, `screen`, `pinned`, `speaking`. */
function tileParts(tile: Tile, pinned: boolean): string {
  const { peer, screen } = tile;
  return ['tile', peer.self && 'self', screen && 'screen', pinned && 'pinned', !screen && peer.speaking && 'speaking']
    .filter(Boolean)
    .join(' ');
}

/** A participant's tile. */
export function tileView(tile: Tile, ctx: TileContext): TemplateResult {
  const { peer, stream, screen } = tile;
  const s = ctx.strings;
  const label = peer.name || s.guest;
  const camera = !screen;
  return html`
    <div part=${tileParts(tile, ctx.pinned)} class="tile${ctx.pinned ? ' pinned' : ''}${camera && peer.speaking ? ' speaking' : ''}"
      role="listitem" data-peer=${peer.id}>
      <video part="video" autoplay playsinline .muted=${peer.self || screen} ${srcObject(stream)}
        aria-label=${screen ? s.screenLabel(label) : label}
        ?hidden=${screen ? false : !peer.video}></video>
      ${camera && !peer.video ? html`<div class="avatar" aria-hidden="true">${initials(peer.name)}</div>` : nothing}
      <div part="name" class="name">
        ${label}${peer.self ? s.you : ''}${screen ? s.screenSuffix : ''}
        ${peer.host ? html`<span part="host-badge" class="badge">· ${s.hostBadge}</span>` : nothing}
        ${camera && !peer.audio ? html`<span part="indicator muted" class="muted" title=${s.mutedLabel}>· ${s.muted}</span>` : nothing}
        ${camera && !peer.video ? html`<span part="indicator camera-off" class="camera-off">· ${s.cameraIsOff}</span>` : nothing}
        ${camera && peer.speaking ? html`<span part="indicator speaking" class="speaking-word">· ${s.speaking}</span>` : nothing}
        ${camera && !peer.self && peer.quality ? html`<span part="quality ${peer.quality}" class="quality ${peer.quality}">· ${s.quality(peer.quality)}</span>` : nothing}
        ${!peer.self && camera ? trustBadge(s, peer, ctx.verify?.alarm ?? null) : nothing}
      </div>
      <div class="tile-actions">
        <button part="button pin" aria-pressed=${String(ctx.pinned)} aria-label=${s.pin(screen ? s.screenLabel(label) : label)}
          @click=${ctx.togglePin}>${s.pinText}</button>
        <button part="button fullscreen" aria-label=${s.fullScreen(screen ? s.screenLabel(label) : label)}
          @click=${fullScreen}>${s.fullScreenText}</button>
      </div>
      ${ctx.verify && !peer.self && camera ? verifyView(s, peer, ctx.verify) : nothing}
    </div>`;
}
