// Before joining: a camera preview, camera and microphone toggles, a microphone level meter,
// the device menus and the name field, then Join. The meter is read every 100 ms only while
// this panel is on screen; it writes the one <meter> directly instead of re-rendering.
import { html, nothing, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import type { DeviceKind, MediaDeviceEntry } from '../call-types.js';
import type { KibitzStrings } from './strings.js';
import { srcObject } from './src-object.js';

const METER_MS = 100;

/** What the pre-join panel reads from and does to the element. */
export interface PreJoinState {
  /** The media the call asks for (the `media` attribute). */
  wants: { audio: boolean; video: boolean };
  devices: MediaDeviceEntry[];
  preview: MediaStream | null;
  micOn: boolean;
  cameraOn: boolean;
  name: string;
  /** A join is under way (connecting, or waiting to be let in). */
  busy: boolean;
  /** Whether a speaker can be chosen in this browser. */
  canPickSpeaker: boolean;
}

export interface PreJoinActions {
  join(): void;
  setMicrophone(on: boolean): void;
  setCamera(on: boolean): void;
  setDevice(kind: DeviceKind, deviceId: string): void;
  setName(name: string): void;
  /** The microphone's level now, 0 to 1. */
  level(): number;
  /** Open the preview (camera and microphone as the call will use them). */
  startPreview(): void;
  /** The person is about to join (a pointer on the Join button, or focus on it): a head start for what joining fetches. */
  ready(): void;
}

type PreJoinHost = ReactiveControllerHost & { readonly renderRoot: HTMLElement | DocumentFragment; readonly isConnected: boolean };

export class PreJoin implements ReactiveController {
  /** Whether the panel was in the last render. */
  private shown = false;
  private meter: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly host: PreJoinHost,
    private readonly actions: PreJoinActions,
  ) {
    host.addController(this);
  }

  hostUpdated(): void {
    // An element taken off the page still renders once more (its leave()): no meter for it.
    if (this.shown && !this.meter && this.host.isConnected) {
      this.meter = setInterval(() => this.paintLevel(), METER_MS);
    } else if ((!this.shown || !this.host.isConnected) && this.meter) {
      this.stopMeter();
    }
  }

  hostDisconnected(): void {
    this.stopMeter();
  }

  private stopMeter(): void {
    if (this.meter) clearInterval(this.meter);
    this.meter = null;
  }

  private paintLevel(): void {
    const meter = this.host.renderRoot.querySelector<HTMLMeterElement>('[part~="level"]');
    if (!meter) return;
    let level = 0;
    try {
      level = this.actions.level();
    } catch {
      // No level yet (no microphone open).
    }
    meter.value = Number.isFinite(level) ? Math.min(1, Math.max(0, level)) : 0;
  }

  /** The panel, or nothing (and the meter stops) when `show` is false. */
  render(s: KibitzStrings, state: PreJoinState, show: boolean, gate: unknown): TemplateResult | typeof nothing {
    this.shown = show;
    if (!show) return nothing;
    const { wants, devices, preview, micOn, cameraOn, busy } = state;
    const act = this.actions;
    const menu = (kind: DeviceKind, label: string) => {
      const list = devices.filter((d) => d.kind === kind);
      if (!list.length) return nothing;
      return html`<label part="device-label" class="field">${label}
        <select part="device-select ${kind}" @change=${(e: Event) => act.setDevice(kind, (e.target as HTMLSelectElement).value)}>
          ${list.map((d, i) => html`<option value=${d.deviceId} ?selected=${d.selected}>${d.label || s.deviceFallback(kind, i + 1)}</option>`)}
        </select>
      </label>`;
    };
    return html`
      <section part="prejoin" class="prejoin" aria-labelledby="prejoin-heading">
        <h2 id="prejoin-heading" class="panel-heading">${s.preJoin}</h2>
        ${
          // Devices open on a click: that is where a browser asks for permission.
          (wants.audio || wants.video) && !preview
            ? html`<button part="button preview-start" @click=${act.startPreview}>${s.startPreview}</button>`
            : nothing
        }
        ${
          wants.video && preview
            ? html`<div class="preview-box">
              <video part="preview" autoplay playsinline muted ${srcObject(preview)} aria-label=${s.preview} ?hidden=${!cameraOn}></video>
              ${cameraOn ? nothing : html`<p class="quiet">${s.previewOff}</p>`}
            </div>`
            : nothing
        }
        <div class="prejoin-fields">
          <label part="name-label" class="field">${s.yourName}
            <input part="name-input" autocomplete="nickname" maxlength="64" .value=${live(state.name)}
              @input=${(e: Event) => act.setName((e.target as HTMLInputElement).value)} />
          </label>
          ${
            wants.audio
              ? html`<button part="button mic" aria-pressed=${String(micOn)} @click=${() => act.setMicrophone(!micOn)}>${micOn ? s.mute : s.unmute}</button>
                <label class="field">${s.micLevel}
                  <meter part="level" min="0" max="1" low="0.25" high="0.75" optimum="0.5" value="0"></meter>
                </label>`
              : nothing
          }
          ${
            wants.video
              ? html`<button part="button camera" aria-pressed=${String(cameraOn)} @click=${() => act.setCamera(!cameraOn)}>
                ${cameraOn ? s.cameraOff : s.cameraOn}
              </button>`
              : nothing
          }
          ${wants.video ? menu('camera', s.camera) : nothing} ${wants.audio ? menu('microphone', s.microphone) : nothing}
          ${state.canPickSpeaker ? menu('speaker', s.speaker) : nothing}
        </div>
        ${gate}
        <button part="button join" class="join" ?disabled=${busy} @pointerenter=${act.ready} @focus=${act.ready} @click=${act.join}>${busy ? s.joining : s.join}</button>
      </section>
    `;
  }
}
