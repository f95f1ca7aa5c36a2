// The call's toolbar, in a call: Leave, microphone, camera, screen, then the panels' buttons
// (send a file, chat with its unread count, people), which their own pieces draw.
import { html, type TemplateResult } from 'lit';
import type { KibitzStrings } from './strings.js';

export interface ToolbarState {
  micOn: boolean;
  cameraOn: boolean;
  screenOn: boolean;
  peopleOpen: boolean;
}

export interface ToolbarActions {
  leave(): void;
  setMicrophone(on: boolean): void;
  setCamera(on: boolean): void;
  setScreen(on: boolean): void;
  togglePeople(): void;
}

export function toolbarView(s: KibitzStrings, state: ToolbarState, act: ToolbarActions, panels: TemplateResult[]): TemplateResult {
  const { micOn, cameraOn, screenOn, peopleOpen } = state;
  return html`<div part="controls" class="controls" role="toolbar" aria-label=${s.controls}>
    <button part="button leave" class="leave" @click=${act.leave}>${s.leave}</button>
    <button part="button mic" aria-pressed=${String(micOn)} @click=${() => act.setMicrophone(!micOn)}>${micOn ? s.mute : s.unmute}</button>
    <button part="button camera" aria-pressed=${String(cameraOn)} @click=${() => act.setCamera(!cameraOn)}>
      ${cameraOn ? s.cameraOff : s.cameraOn}
    </button>
    <button part="button screen" aria-pressed=${String(screenOn)} @click=${() => act.setScreen(!screenOn)}>
      ${screenOn ? s.stopSharing : s.shareScreen}
    </button>
    ${panels}
    <button part="button people-toggle" aria-pressed=${String(peopleOpen)} @click=${act.togglePeople}>${s.people}</button>
  </div>`;
}
