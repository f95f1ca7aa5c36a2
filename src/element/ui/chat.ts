// The chat: its envelope on the engine's data channel, and the panel that shows it.
//
// A chat message travels as the JSON value `{ "kibitz": "chat", "text": "…" }` through the same
// channel as `send()`. Such values are reserved: they arrive as `kibitz-chat`, never as
// `kibitz-message`, so a page's own data cannot be taken for chat or the other way round.
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { loadPanels, panelsFor } from './lazy-panels.js';
import type { KibitzStrings } from './strings.js';

/** The most characters one chat message carries. */
export const MAX_CHAT_TEXT = 4000;
/** The most messages the panel keeps; older ones scroll away for good. */
const KEPT = 200;

export interface ChatEnvelope {
  kibitz: 'chat';
  text: string;
}

export const chatEnvelope = (text: string): ChatEnvelope => ({ kibitz: 'chat', text });

/** Whether `data` is in the reserved chat envelope (well-formed or not). */
export const isChatEnvelope = (data: unknown): data is { kibitz: 'chat' } =>
  typeof data === 'object' && data !== null && !Array.isArray(data) && (data as { kibitz?: unknown }).kibitz === 'chat';

/** The text of a well-formed chat envelope, or null. */
export function chatText(data: unknown): string | null {
  if (!isChatEnvelope(data)) return null;
  const text = (data as { text?: unknown }).text;
  return typeof text === 'string' && text.trim() && text.length <= MAX_CHAT_TEXT ? text : null;
}

export interface ChatEntry {
  key: number;
  name: string;
  text: string;
  at: Date;
  self: boolean;
}

/** What the panel's view reads and does (ui/chat-view.ts). */
export interface ChatViewState {
  readonly messages: readonly ChatEntry[];
  readonly open: boolean;
  readonly error: string | null;
  readonly draft: string;
  setDraft(text: string): void;
  submit(): void;
  close(): void;
}

type ChatHost = ReactiveControllerHost & HTMLElement & { readonly renderRoot: HTMLElement | DocumentFragment; readonly headless?: boolean };

/** The chat panel's state: the messages, whether it is open, how many arrived unseen. */
export class ChatPanel implements ReactiveController {
  messages: ChatEntry[] = [];
  open = false;
  unread = 0;
  /** Why the last message was not sent (shown until the next try). */
  error: string | null = null;
  private draft = '';
  private counter = 0;
  private scrollPending = false;

  constructor(
    private readonly host: ChatHost,
    private readonly send: (text: string) => void,
  ) {
    host.addController(this);
  }

  hostUpdated(): void {
    if (!this.scrollPending) return;
    this.scrollPending = false;
    const log = this.host.renderRoot.querySelector<HTMLElement>('.chat-log');
    if (log) log.scrollTop = log.scrollHeight;
  }

  /** A message from someone else. */
  received(name: string, text: string, at: Date): void {
    this.add({ key: ++this.counter, name, text, at, self: false });
    if (!this.open) this.unread++;
  }

  /** A message this peer sent (from the panel, or the page's `sendChat()`). */
  posted(name: string, text: string): void {
    this.add({ key: ++this.counter, name, text, at: new Date(), self: true });
  }

  /** A new call starts with an empty chat (and the in-call panels start loading, unless nothing is drawn). */
  clear(): void {
    if (!this.host.headless) panelsFor(this.host);
    this.messages = [];
    this.unread = 0;
    this.error = null;
    this.host.requestUpdate();
  }

  /** Open or close the panel; opening reads every message and puts the cursor in the field. */
  async toggle(open = !this.open): Promise<void> {
    this.open = open;
    if (open) this.unread = 0;
    this.scrollPending = open;
    this.host.requestUpdate();
    // The field to focus exists once the panel's code is here.
    await loadPanels().catch(() => undefined);
    await this.host.updateComplete;
    const target = open ? '[part~="chat-input"]' : '[part~="chat-toggle"]';
    this.host.renderRoot.querySelector<HTMLElement>(target)?.focus();
  }

  private add(entry: ChatEntry): void {
    this.messages = [...this.messages.slice(-(KEPT - 1)), entry];
    this.scrollPending = true;
    this.host.requestUpdate();
  }

  private submit(): void {
    const text = this.draft;
    if (!text.trim()) return;
    try {
      this.send(text);
    } catch (err) {
      // Also reported as `kibitz-error`; the draft stays, to try again.
      this.error = err instanceof Error ? err.message : String(err);
      this.host.requestUpdate();
      return;
    }
    this.error = null;
    this.draft = '';
    this.host.requestUpdate();
  }

  /** The toolbar button that opens the panel, with the unread count while it is closed. */
  toggleButton(s: KibitzStrings): TemplateResult {
    const unread = !this.open && this.unread > 0;
    return html`<button part="button chat-toggle" aria-pressed=${String(this.open)} aria-controls="chat-panel"
      aria-label=${unread ? s.chatUnread(this.unread) : s.chat} @click=${() => void this.toggle()}>
      ${s.chat}${unread ? html` <span part="unread" class="unread" aria-hidden="true">${this.unread}</span>` : nothing}
    </button>`;
  }

  /** The panel: the log (a live region), then the field; nothing until its code is loaded. */
  render(s: KibitzStrings, canSend: boolean): TemplateResult | typeof nothing {
    return (
      panelsFor(this.host)?.chatView(s, canSend, {
        messages: this.messages,
        open: this.open,
        error: this.error,
        draft: this.draft,
        setDraft: (text) => (this.draft = text),
        submit: () => this.submit(),
        close: () => void this.toggle(false),
      }) ?? nothing
    );
  }
}
