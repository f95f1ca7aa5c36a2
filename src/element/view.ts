// The pieces of the built-in UI that hold no state: the words it shows and the templates of
// a tile and of the host's panel. The element decides what to show and wires the actions.
import { html, nothing, type TemplateResult } from 'lit';
import type { Participant, RoomState } from '../engine/room.js';
import type { SafetyAlarm } from '../engine/safety.js';
import { formatBytes } from '../engine/transfer.js';
import type { PromptedOffer, SavedFile } from './room-controller.js';

/** The status line (an ARIA live region): where this peer stands in the call. */
export function stateLine(state: RoomState, others: number, reconnecting: boolean, lastError: string | null): string {
  switch (state) {
    case 'idle':
      return 'Not in the call';
    case 'connecting':
      return 'Connecting…';
    case 'joined':
      if (reconnecting) return 'Reconnecting…';
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
      return `Could not connect${lastError ? `: ${lastError}` : '.'}`;
  }
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

/** One remote or local tile: a camera (with audio) or a screen share. */
export interface Tile {
  key: string;
  peer: Participant;
  stream: MediaStream;
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

/** The trust badge of a tile: a CSS part per state, with words (not colour alone). */
function trustBadge(peer: Participant, alarm: SafetyAlarm | null): TemplateResult | typeof nothing {
  if (alarm === 'commitment' || alarm === 'mismatch') {
    const why = alarm === 'commitment' ? 'the safety check was tampered with' : 'the safety codes did not match';
    return html`<span part="badge alarm" class="trust alarm" role="alert">⚠ not safe: ${why}</span>`;
  }
  if (peer.trust === 'changed') {
    return html`<span part="badge changed" class="trust changed" role="alert">⚠ ${peer.name || 'Guest'} is on a new device: verify again</span>`;
  }
  if (peer.trust === 'verified') return html`<span part="badge verified" class="trust verified">✓ verified</span>`;
  return nothing;
}

/**
 * The "Verify" control and its panel: the pair's code to read aloud, then Match / No match.
 * The panel is a labelled group that follows its button in the tab order.
 */
function verifyView(peer: Participant, verify: VerifyControls): TemplateResult {
  const label = peer.name || 'guest';
  const panel = `safety-${peer.id}`;
  return html`
    <button part="button verify" class="verify" aria-expanded=${String(verify.open)} aria-controls=${panel}
      ?disabled=${!peer.safetyCode} aria-label=${`Verify ${label}: compare your safety code`} @click=${verify.toggle}>
      ${peer.safetyCode ? 'Verify' : 'Verifying…'}
    </button>
    ${
      verify.open && peer.safetyCode
        ? html`<div part="safety" class="safety" id=${panel} role="group" aria-label=${`Safety code with ${label}`}
          @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && verify.toggle()}>
          <p>Read this aloud with ${label}. Their screen must show the same code for you.</p>
          <p part="safety-code" class="code">${peer.safetyCode}</p>
          <button part="button match" @click=${() => verify.answer(true)}>Match</button>
          <button part="button mismatch" @click=${() => verify.answer(false)}>No match</button>
        </div>`
        : nothing
    }`;
}

/**
 * A participant's tile; `kick` (shown to the host, on others' camera tiles) removes it;
 * `verify` (on others' camera tiles) compares the pair's safety code.
 */
export function tileView({ peer, stream, screen }: Tile, kick: (() => void) | null, verify: VerifyControls | null = null): TemplateResult {
  const label = peer.name || 'Guest';
  return html`
    <figure part="tile${peer.self ? ' self' : ''}${screen ? ' screen' : ''}" class="tile" role="listitem" data-peer=${peer.id}>
      <video part="video" autoplay playsinline .muted=${peer.self || screen} .srcObject=${stream}
        aria-label=${`${label}${screen ? ' (screen)' : ''}`}
        ?hidden=${screen ? false : !peer.video}></video>
      ${!screen && !peer.video ? html`<div class="avatar" aria-hidden="true">${initials(peer.name)}</div>` : nothing}
      <figcaption part="name" class="name">
        ${label}${peer.self ? ' (you)' : ''}${screen ? ' — screen' : ''}
        ${!screen && !peer.audio ? html`<span class="muted" aria-label="microphone off">· muted</span>` : nothing}
        ${peer.host ? html`<span class="badge">· host</span>` : nothing}
        ${!peer.self && !screen ? trustBadge(peer, verify?.alarm ?? null) : nothing}
      </figcaption>
      ${verify && !peer.self && !screen ? verifyView(peer, verify) : nothing}
      ${
        kick && !peer.self && !screen
          ? html`<button part="button kick" class="kick" aria-label=${`Remove ${peer.name || 'guest'} from the call`} @click=${kick}>Remove</button>`
          : nothing
      }
    </figure>`;
}

export interface HostMenuActions {
  toggleLock(): void;
  toggleLobby(): void;
  admit(peerId: string): void;
  deny(peerId: string): void;
}

/** The verified host's panel: lock, waiting room, and who is waiting. */
export function hostMenuView(
  control: { locked: boolean; lobby: boolean; knocks: { id: string; name: string }[] },
  act: HostMenuActions,
): TemplateResult {
  const { locked, lobby, knocks } = control;
  return html`
    <section part="host-menu" class="host-menu" aria-label="Host controls">
      <button part="button lock" aria-pressed=${String(locked)} @click=${act.toggleLock}>${locked ? 'Unlock room' : 'Lock room'}</button>
      <button part="button lobby" aria-pressed=${String(lobby)} @click=${act.toggleLobby}>${lobby ? 'Waiting room off' : 'Waiting room on'}</button>
      ${
        knocks.length
          ? html`<ul class="knocks" aria-label="Waiting to join">
            ${knocks.map(
              (k) => html`<li>
                <span>${k.name || 'Guest'}</span>
                <button part="button admit" @click=${() => act.admit(k.id)} aria-label=${`Let ${k.name || 'guest'} in`}>Admit</button>
                <button part="button deny" @click=${() => act.deny(k.id)} aria-label=${`Turn ${k.name || 'guest'} away`}>Deny</button>
              </li>`,
            )}
          </ul>`
          : html`<span class="quiet">Nobody is waiting.</span>`
      }
    </section>
  `;
}

/**
 * Files offered to this peer that no page listener took (Accept / Decline), and files
 * accepted here, ready to save (a download link: the file is never opened in the page).
 */
export function filesView(offers: PromptedOffer[], saved: SavedFile[], dismiss: (id: string) => void): TemplateResult | typeof nothing {
  if (!offers.length && !saved.length) return nothing;
  return html`
    <section part="files" class="files" aria-label="Files">
      <ul aria-live="polite">
        ${offers.map((o) => {
          const what = `${o.name || 'a file'} (${formatBytes(o.size)})`;
          return html`<li part="file-offer">
            <span>${o.peer.name || 'Guest'} wants to send you ${what}</span>
            <button part="button accept-file" @click=${o.accept} aria-label=${`Accept ${what}`}>Accept</button>
            <button part="button decline-file" @click=${o.reject} aria-label=${`Decline ${what}`}>Decline</button>
          </li>`;
        })}
        ${saved.map(
          (f) => html`<li part="file-saved">
            <span>${f.name} from ${f.from}</span>
            <a part="save-file" href=${f.url} download=${f.name}>Save</a>
            <button part="button dismiss-file" @click=${() => dismiss(f.id)} aria-label=${`Dismiss ${f.name}`}>Dismiss</button>
          </li>`,
        )}
      </ul>
    </section>
  `;
}
