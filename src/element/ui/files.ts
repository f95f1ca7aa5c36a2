// Files in the built-in UI: the "Send file" picker with a progress bar per outgoing transfer,
// and the prompt for incoming ones (offers no page listener took: Accept / Decline; accepted
// files: a download link, so the file is saved, never opened in the page). The list's template
// (files-view.ts) loads with the other in-call panels.
import { html, nothing, type ReactiveControllerHost, type TemplateResult } from 'lit';
import type { PromptedOffer, SavedFile } from '../room-controller.js';
import { panelsFor } from './lazy-panels.js';
import type { KibitzStrings } from './strings.js';

/** Progress repaints at most this often; the last byte always repaints. */
const REPAINT_MS = 100;

export interface Outgoing {
  key: number;
  name: string;
  sent: number;
  total: number;
  state: 'sending' | 'sent' | 'failed';
}

type SendFile = (file: File, onProgress: (sent: number, total: number) => void) => Promise<unknown>;

export class FilesPanel {
  outgoing: Outgoing[] = [];
  private counter = 0;

  constructor(
    private readonly host: ReactiveControllerHost & { readonly renderRoot: HTMLElement | DocumentFragment },
    private readonly sendFile: SendFile,
  ) {}

  /** A new call starts with no transfers listed. */
  clear(): void {
    this.outgoing = [];
    this.host.requestUpdate();
  }

  /** Send each picked file to everyone, listing its progress. */
  send(files: Iterable<File>): void {
    for (const file of files) {
      const entry: Outgoing = { key: ++this.counter, name: file.name, sent: 0, total: file.size, state: 'sending' };
      this.outgoing = [...this.outgoing, entry];
      let painted = 0;
      const progress = (sent: number, total: number) => {
        entry.sent = sent;
        entry.total = total;
        const now = performance.now();
        if (sent === total || now - painted >= REPAINT_MS) {
          painted = now;
          this.host.requestUpdate();
        }
      };
      // A refusal or failure is already reported as `kibitz-error`; the row says so too.
      void this.sendFile(file, progress).then(
        () => this.settle(entry, 'sent'),
        () => this.settle(entry, 'failed'),
      );
    }
    this.host.requestUpdate();
  }

  dismiss(key: number): void {
    this.outgoing = this.outgoing.filter((o) => o.key !== key);
    this.host.requestUpdate();
  }

  private settle(entry: Outgoing, state: Outgoing['state']): void {
    entry.state = state;
    if (state === 'sent') entry.sent = entry.total;
    this.host.requestUpdate();
  }

  /** The toolbar's "Send file" button and its (hidden) file picker. */
  button(s: KibitzStrings, enabled: boolean): TemplateResult {
    const picked = (e: Event) => {
      const input = e.target as HTMLInputElement;
      this.send([...(input.files ?? [])]);
      input.value = '';
    };
    return html`<input part="file-input" type="file" multiple hidden aria-label=${s.chooseFile} @change=${picked} />
      <button part="button send-file" ?disabled=${!enabled}
        @click=${() => this.host.renderRoot.querySelector<HTMLInputElement>('[part~="file-input"]')?.click()}>${s.sendFile}</button>`;
  }

  /** Outgoing transfers, offers waiting for an answer, and files received through the prompt. */
  render(
    s: KibitzStrings,
    offers: PromptedOffer[],
    saved: SavedFile[],
    dismissIncoming: (id: string) => void,
  ): TemplateResult | typeof nothing {
    if (!offers.length && !saved.length && !this.outgoing.length) return nothing;
    return panelsFor(this.host)?.filesView(s, this.outgoing, offers, saved, dismissIncoming, (key) => this.dismiss(key)) ?? nothing;
  }
}
