// The in-call panels in one chunk (see lazy-panels.ts): chat log, file list, participant list
// and the host's panel, with their styles.
export { chatView } from './chat-view.js';
export { filesView } from './files-view.js';
export { hostPanelView } from './host-panel.js';
export { peopleView } from './people.js';
export { panelStyles } from './panel-styles.js';
