// The cameras, microphones and speakers this browser offers, and which of each the element
// uses or will use. The list comes from enumerateDevices() and is read again on `devicechange`
// and after a device opens (labels appear only once the page may use media). The choice of a
// device is a preference: it holds until another is chosen, and falls back to the browser's
// default when its device is gone.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { DeviceKind, MediaDeviceEntry } from './call-types.js';

const KIND_OF: Record<string, DeviceKind | undefined> = { videoinput: 'camera', audioinput: 'microphone', audiooutput: 'speaker' };
const ORDER: readonly DeviceKind[] = ['camera', 'microphone', 'speaker'];

/** Whether `kind` names a device kind (`camera`, `microphone` or `speaker`). */
export const isDeviceKind = (kind: unknown): kind is DeviceKind => typeof kind === 'string' && ORDER.includes(kind as DeviceKind);

export interface DeviceSource {
  /** The id of the device a live capture of this kind uses now, or null when none is open. */
  inUse(kind: 'camera' | 'microphone'): string | null;
  /** The list or the selection changed. */
  changed(devices: MediaDeviceEntry[]): void;
}

export class DeviceList implements ReactiveController {
  private found: MediaDeviceEntry[] = [];
  private readonly chosen: Record<DeviceKind, string | null> = { camera: null, microphone: null, speaker: null };
  /** The list as last announced, to announce only changes. */
  private announced = '[]';
  private readonly onDeviceChange = () => void this.refresh();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly source: DeviceSource,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    navigator.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
    void this.refresh();
  }

  hostDisconnected(): void {
    navigator.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
  }

  hostUpdated(): void {
    // Opening, switching or losing a device re-renders the host: the selection may have moved.
    this.announce();
  }

  /**
   * Every device, cameras then microphones then speakers, with exactly one `selected` per kind
   * that has any: the device in use, else the one chosen, else the browser's default (its
   * `default` entry, or the first).
   */
  get entries(): MediaDeviceEntry[] {
    return ORDER.flatMap((kind) => {
      const ofKind = this.found.filter((d) => d.kind === kind);
      const live = kind === 'speaker' ? null : this.source.inUse(kind);
      const pick = [live, this.chosen[kind], 'default'].find((id) => id && ofKind.some((d) => d.deviceId === id)) ?? ofKind[0]?.deviceId;
      return ofKind.map((d) => ({ ...d, selected: d.deviceId === pick }));
    });
  }

  /** The chosen device of a kind while it is present, else null (the browser's default). */
  preferred(kind: DeviceKind): string | null {
    const id = this.chosen[kind];
    return id && this.found.some((d) => d.kind === kind && d.deviceId === id) ? id : null;
  }

  /** Whether a device of this kind and id is in the list (read afresh when it is not). */
  async has(kind: DeviceKind, deviceId: string): Promise<boolean> {
    const known = () => this.found.some((d) => d.kind === kind && d.deviceId === deviceId);
    if (known()) return true;
    await this.refresh();
    return known();
  }

  /** Make `deviceId` the preference for its kind. */
  choose(kind: DeviceKind, deviceId: string): void {
    this.chosen[kind] = deviceId;
    this.host.requestUpdate();
  }

  /** Read the list again; announces it when it changed. */
  async refresh(): Promise<void> {
    let devices: MediaDeviceInfo[] = [];
    try {
      devices = (await navigator.mediaDevices?.enumerateDevices()) ?? [];
    } catch {
      // No media devices in this context (an insecure page): the list stays empty.
    }
    this.found = devices.flatMap((d) => {
      const kind = KIND_OF[d.kind];
      // Before permission some browsers list placeholder entries with an empty id: nothing to choose.
      return kind && d.deviceId ? [{ kind, deviceId: d.deviceId, groupId: d.groupId, label: d.label, selected: false }] : [];
    });
    this.host.requestUpdate();
  }

  private announce(): void {
    const devices = this.entries;
    const text = JSON.stringify(devices);
    if (text === this.announced) return;
    this.announced = text;
    this.source.changed(devices);
  }
}
