// This peer's own capture: camera and microphone in one stream, the screen in another.
// It opens, toggles, switches and stops devices and hands tracks to the room; it knows nothing
// of links or rosters. Before a call it keeps what the call should start with (microphone and
// camera on or off) and, while previewing, the devices the call will reuse. Every device
// failure is a KibitzError with code ERR_MEDIA.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { KibitzError } from '../errors.js';
import type { Room } from '../engine/room.js';

/** The part of the room local media talks to. */
export type MediaSink = Pick<Room, 'setTrack' | 'setMediaFlags'>;

/** A kind of capture track. */
export type CaptureKind = 'audio' | 'video';

export interface LocalMediaHooks {
  /** The room the tracks go to now (a call in progress or on its way), or null. */
  sink(): MediaSink | null;
  /** The device chosen for a kind, or null for the browser's default. */
  device(kind: CaptureKind): string | null;
  /** What the call asks for (the `media` attribute): a kind it does not ask for is never on before joining. */
  asked(): { audio: boolean; video: boolean };
  /** A capture track ended on its own (its device was unplugged or taken away). */
  lost(kind: CaptureKind): void;
}

const deviceName = (kind: CaptureKind) => (kind === 'audio' ? 'microphone' : 'camera');

const mediaError = (what: string, err: unknown) =>
  new KibitzError('ERR_MEDIA', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });

export class LocalMedia implements ReactiveController {
  /** Camera and microphone. A new stream object after every change, so a `<video>` re-binds. */
  camera: MediaStream | null = null;
  /** The shared screen, while sharing. */
  screen: MediaStream | null = null;
  /** Whether the devices were opened before joining, for a preview the call then reuses. */
  previewing = false;
  /** What the person wants on: toggled before or during a call, read by the next join. */
  private readonly wants = { audio: true, video: true };

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly hooks: LocalMediaHooks,
  ) {
    host.addController(this);
  }

  /** The microphone is sending: in or before a call, its track is on (or, with nothing open, it will be). */
  get micOn(): boolean {
    const track = this.track('audio');
    return track ? track.enabled : this.wants.audio && !this.hooks.sink() && this.hooks.asked().audio;
  }

  /** The camera is sending (or, before a call with nothing open, it will be). */
  get cameraOn(): boolean {
    return this.track('video') ? true : this.wants.video && !this.hooks.sink() && this.hooks.asked().video;
  }

  get screenOn(): boolean {
    return this.screen !== null;
  }

  hostDisconnected(): void {
    this.stop();
  }

  /**
   * Make sure what a call (or its preview) starts with is open: the microphone if `wish.audio`
   * (muted if it was turned off), the camera if `wish.video` and it was not turned off. Open
   * tracks are kept, so a join reuses the preview's. Rejects with ERR_MEDIA (no device, no
   * permission), releasing everything.
   */
  async open(wish: { audio: boolean; video: boolean }): Promise<MediaStream | null> {
    const want = { audio: wish.audio, video: wish.video && this.wants.video };
    const stream = this.camera ?? new MediaStream();
    for (const track of stream.getTracks()) {
      if (track.readyState === 'live' && want[track.kind as CaptureKind]) continue;
      track.stop();
      stream.removeTrack(track);
    }
    const missing = (['audio', 'video'] as const).filter((kind) => want[kind] && stream.getTracks().every((t) => t.kind !== kind));
    if (missing.length > 0) {
      try {
        for (const track of await this.capture(missing)) stream.addTrack(track);
      } catch (err) {
        this.stop();
        throw mediaError(`joining without ${missing.includes('video') ? 'camera' : 'microphone'}`, err);
      }
    }
    const audio = stream.getAudioTracks()[0];
    if (audio) audio.enabled = this.wants.audio;
    this.camera = stream.getTracks().length > 0 ? new MediaStream(stream.getTracks()) : null;
    this.host.requestUpdate();
    return this.camera;
  }

  /** Open the devices before joining, as `open()` would for the call. */
  async preview(wish: { audio: boolean; video: boolean }): Promise<void> {
    this.previewing = true;
    try {
      await this.open(wish);
    } catch (err) {
      this.previewing = false;
      throw err;
    }
  }

  /**
   * Turn the microphone or camera on or off without renegotiating. Muting keeps the audio
   * track (instant unmute, the sender transmits silence); the camera is released so its
   * light goes off, while its transceiver stays. Before a call without a preview, only the
   * wish is kept: the join opens what it asks for.
   */
  async set(kind: CaptureKind, on: boolean): Promise<void> {
    const sink = this.hooks.sink();
    const stream = this.camera ?? new MediaStream();
    const current = this.track(kind);
    const opening = sink !== null || this.previewing;
    if (kind === 'audio' && current) {
      current.enabled = on;
    } else if (on && !current && opening) {
      const [track] = await this.captureOne(kind, `cannot open the ${deviceName(kind)}`);
      stream.addTrack(track);
      await sink?.setTrack(kind, track);
    } else if (!on && current) {
      current.stop();
      stream.removeTrack(current);
      await sink?.setTrack(kind, null);
    }
    this.wants[kind] = on;
    sink?.setMediaFlags({ [kind]: on && this.track(kind, stream) !== null });
    this.camera = stream.getTracks().length > 0 ? new MediaStream(stream.getTracks()) : null;
    this.host.requestUpdate();
  }

  /** Tell a room that is about to join whether the microphone and camera are on. */
  announce(sink: MediaSink): void {
    sink.setMediaFlags({ audio: this.track('audio')?.enabled ?? false, video: this.track('video') !== null });
  }

  /**
   * Move an open microphone or camera to another device without renegotiating: the new track
   * replaces the old one on every link (replaceTrack) and keeps its mute state. Nothing to do
   * when that kind is not open: the next open uses the chosen device.
   */
  async switchDevice(kind: CaptureKind): Promise<void> {
    const current = this.track(kind);
    if (!current || !this.camera) return;
    const [track] = await this.captureOne(kind, `cannot switch the ${deviceName(kind)}`);
    track.enabled = current.enabled;
    const stream = this.camera;
    // The call may have replaced or dropped the track while the device opened.
    if (this.track(kind) !== current) return void track.stop();
    stream.removeTrack(current);
    stream.addTrack(track);
    await this.hooks.sink()?.setTrack(kind, track);
    current.stop();
    this.camera = new MediaStream(stream.getTracks());
    this.host.requestUpdate();
  }

  /** Share a screen or window (the browser asks which); stops by itself when the browser's own "stop" is used. */
  async shareScreen(sink: MediaSink): Promise<void> {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (err) {
      throw mediaError('screen share was not started', err);
    }
    stopAll(this.screen);
    this.screen = stream;
    const [track] = stream.getVideoTracks();
    track.addEventListener('ended', () => {
      if (this.screen === stream) void this.stopScreen(sink);
    });
    await sink.setTrack('screen', track);
    sink.setMediaFlags({ screen: true });
    this.host.requestUpdate();
  }

  async stopScreen(sink: MediaSink | null): Promise<void> {
    stopAll(this.screen);
    this.screen = null;
    this.host.requestUpdate();
    if (!sink) return;
    await sink.setTrack('screen', null);
    sink.setMediaFlags({ screen: false });
  }

  /** Release every device and end the preview. What the person wants on is kept for the next call. */
  stop(): void {
    stopAll(this.camera);
    stopAll(this.screen);
    this.camera = this.screen = null;
    this.previewing = false;
    this.host.requestUpdate();
  }

  /** The id of the device a live track of this kind captures from, or null. */
  inUse(kind: CaptureKind): string | null {
    return this.track(kind)?.getSettings().deviceId ?? null;
  }

  /** The live track of a kind in the camera stream, or null. */
  private track(kind: CaptureKind, stream = this.camera): MediaStreamTrack | null {
    return stream?.getTracks().find((t) => t.kind === kind && t.readyState === 'live') ?? null;
  }

  private async captureOne(kind: CaptureKind, what: string): Promise<MediaStreamTrack[]> {
    try {
      return await this.capture([kind]);
    } catch (err) {
      throw mediaError(what, err);
    }
  }

  /**
   * Open fresh tracks of these kinds on the chosen devices. A chosen device that cannot be
   * opened as asked (gone, or over-constrained) falls back to the browser's default.
   */
  private async capture(kinds: readonly CaptureKind[]): Promise<MediaStreamTrack[]> {
    const ask = (exact: boolean): MediaStreamConstraints => {
      const constraints: MediaStreamConstraints = {};
      for (const kind of kinds) {
        const id = exact ? this.hooks.device(kind) : null;
        constraints[kind] = id ? { deviceId: { exact: id } } : true;
      }
      return constraints;
    };
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(ask(true));
    } catch (err) {
      const gone = err instanceof DOMException && (err.name === 'OverconstrainedError' || err.name === 'NotFoundError');
      if (!gone || kinds.every((kind) => !this.hooks.device(kind))) throw err;
      stream = await navigator.mediaDevices.getUserMedia(ask(false));
    }
    const tracks = stream.getTracks();
    for (const track of tracks) {
      // Both: Firefox (153) hands an `ended` dispatched on a capture track only to `onended`,
      // not to listeners added with addEventListener. ended() runs once either way.
      track.addEventListener('ended', () => this.ended(track));
      track.onended = () => this.ended(track);
    }
    return tracks;
  }

  /**
   * A track that ends by itself lost its device (`stop()` never fires `ended`). The call goes
   * on without it: the links send nothing in its place, the flags say it is off, and turning
   * it on again (or choosing another device) opens a new one.
   */
  private ended(track: MediaStreamTrack): void {
    const stream = this.camera;
    if (!stream?.getTracks().includes(track)) return;
    const kind = track.kind as CaptureKind;
    track.stop();
    stream.removeTrack(track);
    this.camera = stream.getTracks().length > 0 ? new MediaStream(stream.getTracks()) : null;
    const sink = this.hooks.sink();
    if (sink) {
      void sink.setTrack(kind, null).catch(() => undefined);
      sink.setMediaFlags({ [kind]: false });
    } else {
      this.wants[kind] = false;
    }
    this.host.requestUpdate();
    this.hooks.lost(kind);
  }
}

function stopAll(stream: MediaStream | null): void {
  stream?.getTracks().forEach((t) => t.stop());
}
