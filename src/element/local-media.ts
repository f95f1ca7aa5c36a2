// This peer's own capture: camera and microphone in one stream, the screen in another.
// It opens, toggles and stops devices and hands tracks to the room; it knows nothing of
// links or rosters. Every device failure is a KibitzError with code ERR_MEDIA.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { KibitzError } from '../errors.js';
import type { Room } from '../engine/room.js';

/** The part of the room local media talks to. */
export type MediaSink = Pick<Room, 'setTrack' | 'setMediaFlags'>;

export type DeviceKind = 'audio' | 'video';

const deviceName = (kind: DeviceKind) => (kind === 'audio' ? 'microphone' : 'camera');

const mediaError = (what: string, err: unknown) =>
  new KibitzError('ERR_MEDIA', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });

export class LocalMedia implements ReactiveController {
  /** Camera and microphone. A new stream object after every change, so a `<video>` re-binds. */
  camera: MediaStream | null = null;
  /** The shared screen, while sharing. */
  screen: MediaStream | null = null;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  get micOn(): boolean {
    return this.camera?.getAudioTracks()[0]?.enabled ?? false;
  }

  get cameraOn(): boolean {
    return (this.camera?.getVideoTracks().length ?? 0) > 0;
  }

  get screenOn(): boolean {
    return this.screen !== null;
  }

  hostDisconnected(): void {
    this.stop();
  }

  /** Open what the call starts with. Rejects with ERR_MEDIA (no device, no permission). */
  async open(wish: { audio: boolean; video: boolean }): Promise<MediaStream | null> {
    if (!wish.audio && !wish.video) return null;
    try {
      this.camera = await navigator.mediaDevices.getUserMedia({ audio: wish.audio, video: wish.video });
    } catch (err) {
      throw mediaError(`joining without ${wish.video ? 'camera' : 'microphone'}`, err);
    }
    this.host.requestUpdate();
    return this.camera;
  }

  /**
   * Turn the microphone or camera on or off without renegotiating. Muting keeps the audio
   * track (instant unmute, the sender transmits silence); the camera is released so its
   * light goes off, while its transceiver stays.
   */
  async set(kind: DeviceKind, on: boolean, sink: MediaSink): Promise<void> {
    const stream = this.camera ?? new MediaStream();
    const current = kind === 'audio' ? stream.getAudioTracks()[0] : stream.getVideoTracks()[0];
    if (kind === 'audio' && current) {
      current.enabled = on;
    } else if (on && !current) {
      let track: MediaStreamTrack;
      try {
        [track] = (await navigator.mediaDevices.getUserMedia({ [kind]: true })).getTracks();
      } catch (err) {
        throw mediaError(`cannot open the ${deviceName(kind)}`, err);
      }
      stream.addTrack(track);
      await sink.setTrack(kind, track);
    } else if (!on && current) {
      current.stop();
      stream.removeTrack(current);
      await sink.setTrack(kind, null);
    }
    sink.setMediaFlags({ [kind]: on });
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

  /** Release every device. */
  stop(): void {
    stopAll(this.camera);
    stopAll(this.screen);
    this.camera = this.screen = null;
    this.host.requestUpdate();
  }
}

function stopAll(stream: MediaStream | null): void {
  stream?.getTracks().forEach((t) => t.stop());
}
