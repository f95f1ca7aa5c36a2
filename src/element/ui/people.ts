// The participant list: everyone in the call with their state in words (host, muted, camera
// off, speaking, link quality), and for the verified host a Remove action per participant.
import { html, nothing, type TemplateResult } from 'lit';
import type { CallParticipant } from '../call-types.js';
import type { KibitzStrings } from './strings.js';

export interface PeopleContext {
  strings: KibitzStrings;
  /** Remove a participant (shown to the verified host only). */
  kick: ((peerId: string) => void) | null;
}

export function peopleView(participants: CallParticipant[], { strings: s, kick }: PeopleContext): TemplateResult {
  return html`
    <section part="people" class="panel people" aria-labelledby="people-heading">
      <h2 id="people-heading" class="panel-heading">${s.peopleHeading(participants.length)}</h2>
      <ul class="people-list">
        ${participants.map((peer) => {
          const name = peer.name || s.guest;
          const states = [
            peer.host && s.hostBadge,
            peer.coordinator && s.coordinator,
            !peer.audio && s.muted,
            !peer.video && s.cameraIsOff,
            peer.speaking && s.speaking,
            !peer.self && peer.quality && s.quality(peer.quality),
          ].filter((x): x is string => typeof x === 'string');
          return html`<li part="person${peer.speaking ? ' speaking' : ''}" class="person" data-person=${peer.id}>
            <span class="person-name">${name}${peer.self ? s.you : ''}</span>
            ${states.length ? html`<span part="person-state" class="quiet">${states.join(' · ')}</span>` : nothing}
            ${
              kick && !peer.self
                ? html`<button part="button kick" class="kick" aria-label=${s.removeLabel(name)} @click=${() => kick(peer.id)}>${s.remove}</button>`
                : nothing
            }
          </li>`;
        })}
      </ul>
    </section>
  `;
}
