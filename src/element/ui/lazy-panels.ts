// The in-call panels (chat log, participant list, host panel, file list) load as one chunk
// beside the script-tag bundle, with their styles, so a page that never joins never fetches
// them. Loading starts when a call is created (ChatPanel.clear) and overlaps the broker
// handshake; a panel asked for before its code is here renders nothing and appears on the
// re-render that follows.
import type { ReactiveControllerHost } from 'lit';
import type * as PanelsModule from './panels.js';

type Panels = typeof PanelsModule;
export type PanelHost = ReactiveControllerHost & { readonly renderRoot: HTMLElement | DocumentFragment };

let panels: Panels | null = null;
let loading: Promise<Panels> | null = null;
const waiting = new Set<PanelHost>();
/** Shadow roots that hold the panels' styles. */
const styled = new WeakSet<HTMLElement | DocumentFragment>();

/** The panels' code, loaded once; a failed load is tried again on the next call. */
export function loadPanels(): Promise<Panels> {
  loading ??= import('./panels.js').then(
    (loaded) => {
      panels = loaded;
      for (const host of waiting) host.requestUpdate();
      waiting.clear();
      return loaded;
    },
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

/** The panels if loaded (their styles then in `host`'s shadow root); otherwise null, and `host` renders again once they are. */
export function panelsFor(host: PanelHost): Panels | null {
  if (panels) {
    adoptStyles(host.renderRoot, panels);
    return panels;
  }
  waiting.add(host);
  // A failed load leaves the panel out; the next render tries again.
  loadPanels().catch(() => undefined);
  return null;
}

/** Add the panels' rules after the element's own, once per shadow root. */
function adoptStyles(root: HTMLElement | DocumentFragment, { panelStyles }: Panels): void {
  if (styled.has(root)) return;
  styled.add(root);
  const sheet = panelStyles.styleSheet;
  if (root instanceof ShadowRoot && sheet) {
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } else {
    // Where lit falls back to <style> elements, so do these rules.
    const style = document.createElement('style');
    style.textContent = panelStyles.cssText;
    root.append(style);
  }
}
