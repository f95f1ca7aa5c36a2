// The verified host's panel: lock the room, the waiting room, and who is knocking.
import { html, type TemplateResult } from 'lit';
import type { KibitzStrings } from './strings.js';

export interface HostPanelActions {
  toggleLock(): void;
  toggleLobby(): void;
  admit(peerId: string): void;
  deny(peerId: string): void;
}

export interface HostPanelState {
  locked: boolean;
  lobby: boolean;
  knocks: { id: string; name: string }[];
}

export function hostPanelView(s: KibitzStrings, { locked, lobby, knocks }: HostPanelState, act: HostPanelActions): TemplateResult {
  return html`
    <section part="host-menu" class="host-menu" aria-label=${s.hostControls}>
      <button part="button lock" aria-pressed=${String(locked)} @click=${act.toggleLock}>${locked ? s.unlockRoom : s.lockRoom}</button>
      <button part="button lobby" aria-pressed=${String(lobby)} @click=${act.toggleLobby}>${lobby ? s.lobbyOff : s.lobbyOn}</button>
      ${
        knocks.length
          ? html`<ul class="knocks" aria-label=${s.waitingList}>
            ${knocks.map((k) => {
              const name = k.name || s.guest;
              return html`<li>
                <span>${name}</span>
                <button part="button admit" @click=${() => act.admit(k.id)} aria-label=${s.admitLabel(name)}>${s.admit}</button>
                <button part="button deny" @click=${() => act.deny(k.id)} aria-label=${s.denyLabel(name)}>${s.deny}</button>
              </li>`;
            })}
          </ul>`
          : html`<span class="quiet">${s.nobodyWaiting}</span>`
      }
    </section>
  `;
}
