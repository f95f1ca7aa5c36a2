// The participant list: everyone in the call with their state in words (host, muted, camera
// off, speaking, link quality), and for the verified host a Remove action per participant.
import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import { ACT, type Act } from '../../crypto/acts.js';
import type { CallParticipant } from '../call-types.js';
import type { KibitzStrings } from './strings.js';

export interface PeopleContext {
  strings: KibitzStrings;
  /** Remove a participant (shown to the verified host only). */
  kick: ((peerId: string) => void) | null;
  /** Allow or forbid one act to a participant (the verified host of a room with a host key only). */
  grant: ((peerId: string, act: Act, allowed: boolean) => void) | null;
}

/** The host's checkboxes: what this participant may do. */
function grantsView(s: KibitzStrings, peer: CallParticipant, name: string, grant: NonNullable<PeopleContext['grant']>): TemplateResult {
  return html`<fieldset part="grants" class="grants">
    <legend>${s.grantsLegend(name)}</legend>
    ${ACT.map(
      (act) => html`<label class="grant"
        ><input type="checkbox" part="grant-toggle ${act}" .checked=${live(peer.grant.act.includes(act))}
          @change=${(e: Event) => grant(peer.id, act, (e.target as HTMLInputElement).checked)} />
        ${s.actName(act)}</label
      >`,
    )}
  </fieldset>`;
}

export function peopleView(participants: CallParticipant[], { strings: s, kick, grant }: PeopleContext): TemplateResult {
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
            ${grant && !peer.self ? grantsView(s, peer, name, grant) : nothing}
          </li>`;
        })}
      </ul>
    </section>
  `;
}
