// The chat panel's template, loaded with the other in-call panels (lazy-panels.ts); its state
// and the chat envelope stay in chat.ts, which every page loads.
import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import { MAX_CHAT_TEXT, type ChatViewState } from './chat.js';
import type { KibitzStrings } from './strings.js';

/** The chat panel: the log (a live region), then the field. */
export function chatView(s: KibitzStrings, canSend: boolean, chat: ChatViewState): TemplateResult {
  // Escape closes the panel (handled on the section); Enter sends, Shift+Enter is a new line.
  const keydown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      chat.submit();
    }
  };
  return html`
    <section part="chat" class="panel chat" id="chat-panel" aria-labelledby="chat-heading" ?hidden=${!chat.open}
      @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && (e.preventDefault(), chat.close())}>
      <h2 id="chat-heading" class="panel-heading">${s.chatHeading}</h2>
      <div part="chat-log" class="chat-log" role="log" aria-live="polite" aria-label=${s.chatLog} tabindex="0">
        ${
          chat.messages.length
            ? html`<ol class="chat-messages">
              ${chat.messages.map(
                (m) => html`<li part="chat-message${m.self ? ' self' : ''}" class="chat-message">
                  <span part="chat-name" class="chat-name">${m.name}</span>
                  <time part="chat-time" class="chat-time quiet" datetime=${m.at.toISOString()}>${s.time(m.at)}</time>
                  <p part="chat-text" class="chat-text">${m.text}</p>
                </li>`,
              )}
            </ol>`
            : html`<p class="quiet">${s.chatEmpty}</p>`
        }
      </div>
      <form class="chat-form" @submit=${(e: Event) => (e.preventDefault(), chat.submit())}>
        <label for="chat-input" class="sr-only">${s.chatInput}</label>
        <textarea part="chat-input" id="chat-input" rows="2" maxlength=${MAX_CHAT_TEXT} ?disabled=${!canSend}
          aria-describedby="chat-hint" .value=${live(chat.draft)}
          @input=${(e: Event) => chat.setDraft((e.target as HTMLTextAreaElement).value)} @keydown=${keydown}></textarea>
        <button part="button chat-send" ?disabled=${!canSend}>${s.chatSend}</button>
        <p id="chat-hint" class="quiet hint">${s.chatHint}</p>
        ${chat.error ? html`<p part="chat-error" class="chat-error" role="alert">${s.chatFailed(chat.error)}</p>` : nothing}
      </form>
    </section>
  `;
}
