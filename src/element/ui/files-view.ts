// The file list's template, loaded with the other in-call panels (lazy-panels.ts); the
// outgoing transfers' state and the Send file button stay in files.ts.
import { html, nothing, type TemplateResult } from 'lit';
import type { PromptedOffer, SavedFile } from '../room-controller.js';
import type { Outgoing } from './files.js';
import type { KibitzStrings } from './strings.js';

/** Outgoing transfers, offers waiting for an answer, and files received through the prompt. */
export function filesView(
  s: KibitzStrings,
  outgoing: readonly Outgoing[],
  offers: readonly PromptedOffer[],
  saved: readonly SavedFile[],
  dismissIncoming: (id: string) => void,
  dismissOutgoing: (key: number) => void,
): TemplateResult {
  return html`
    <section part="files" class="files" aria-label=${s.files}>
      <ul aria-live="polite">
        ${outgoing.map((o) => {
          const what = o.state === 'sent' ? s.sent(o.name) : o.state === 'failed' ? s.sendFailed(o.name) : s.sending(o.name);
          return html`<li part="file-out ${o.state}">
            <span>${what}</span>
            <progress part="progress" max=${Math.max(o.total, 1)} .value=${o.total ? o.sent : o.state === 'sent' ? 1 : 0}
              aria-label=${s.sending(o.name)}></progress>
            ${
              o.state === 'sending'
                ? nothing
                : html`<button part="button dismiss-file" @click=${() => dismissOutgoing(o.key)} aria-label=${s.dismissLabel(o.name)}>${s.dismiss}</button>`
            }
          </li>`;
        })}
        ${offers.map((o) => {
          const what = s.fileWhat(o.name, o.size);
          return html`<li part="file-offer">
            <span>${s.fileOffer(o.peer.name || s.guest, what)}</span>
            <button part="button accept-file" @click=${o.accept} aria-label=${s.acceptLabel(what)}>${s.accept}</button>
            <button part="button decline-file" @click=${o.reject} aria-label=${s.declineLabel(what)}>${s.decline}</button>
          </li>`;
        })}
        ${saved.map(
          (f) => html`<li part="file-saved">
            <span>${s.fileFrom(f.name, f.from)}</span>
            <a part="save-file" class="download" href=${f.url} download=${f.name} aria-label=${s.downloadLabel(f.name)}>${s.download}</a>
            <button part="button dismiss-file" @click=${() => dismissIncoming(f.id)} aria-label=${s.dismissLabel(f.name)}>${s.dismiss}</button>
          </li>`,
        )}
      </ul>
    </section>
  `;
}
