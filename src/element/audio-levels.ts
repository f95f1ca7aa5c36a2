// Who is speaking: an audio level per participant, measured in this browser with Web Audio.
// One AudioContext, one AnalyserNode per audio track, read on a timer (never per animation
// frame). Nothing runs while there is no unmuted audio track to measure: the timer stops and
// the context is suspended. `speaking` follows the level with hysteresis and a hold time, so a
// pause between words does not make it flicker. Only a change of `speaking` reaches the host
// (and re-renders it); a level meter reads `level()` on its own timer.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** How often the levels are read. */
export const LEVEL_SAMPLE_MS = 120;

/**
 * When a level counts as speaking: it turns on at `on` or above, and off only after the level
 * stayed below `off` for `holdMs`. Levels map the loudest 10 ms of the last sample interval
 * linearly from -60 dBFS (0) to 0 dBFS (1): `on` is about -33 dBFS, `off` about -42 dBFS.
 */
export const SPEAKING = { on: 0.45, off: 0.3, holdMs: 800 } as const;

/** Whether a participant is speaking, and since when its level has been quiet. */
export interface SpeakingState {
  speaking: boolean;
  /** When the level last was at or above `SPEAKING.off` (milliseconds, any monotonic clock). */
  lastLoud: number;
}

/**
 * The next speaking state from a level read at `now`: on at `SPEAKING.on`, off once the level
 * has stayed below `SPEAKING.off` for `SPEAKING.holdMs`.
 *
 * @example
 * let state = { speaking: false, lastLoud: 0 };
 * state = nextSpeaking(state, 0.8, 1000); // speaking
 * state = nextSpeaking(state, 0.1, 1500); // still speaking (held)
 * state = nextSpeaking(state, 0.1, 1900); // quiet
 */
export function nextSpeaking(state: SpeakingState, level: number, now: number): SpeakingState {
  const lastLoud = level >= SPEAKING.off ? now : state.lastLoud;
  if (!state.speaking) return { speaking: level >= SPEAKING.on, lastLoud };
  return { speaking: now - lastLoud < SPEAKING.holdMs, lastLoud };
}

/**
 * The level (0..1) of a block of samples: the RMS of its loudest 10 ms, in dBFS, mapped
 * linearly from -60 dB (0) to 0 dB (1). The loudest slice, not the whole block's mean, so a
 * syllable is heard whole however the sample interval falls on it.
 */
export function levelOf(samples: Float32Array, sampleRate: number): number {
  const slice = Math.max(1, Math.round(sampleRate / 100));
  let loudest = 0;
  for (let start = 0; start < samples.length; start += slice) {
    const end = Math.min(samples.length, start + slice);
    let energy = 0;
    for (let i = start; i < end; i++) energy += samples[i] * samples[i];
    loudest = Math.max(loudest, energy / (end - start));
  }
  if (loudest === 0) return 0;
  const db = 10 * Math.log10(loudest);
  return Math.min(1, Math.max(0, (db + 60) / 60));
}

export interface AudioLevelSource {
  /** The audio tracks to measure now, by key: only live and unmuted ones (the others are silent). */
  tracks(): Map<string, MediaStreamTrack>;
  /** Whether the participant under `key` started or stopped speaking. */
  changed(key: string, speaking: boolean): void;
}

interface Meter {
  key: string;
  track: MediaStreamTrack;
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
  level: number;
  state: SpeakingState;
}

/**
 * Levels and speaking state by key. Follows the tracks its source names on each of the host's
 * updates; `stop()` (the call is over, or the host left the page) closes the AudioContext.
 */
export class AudioLevels implements ReactiveController {
  private context: AudioContext | null = null;
  private readonly meters = new Map<string, Meter>();
  /** Shared by every meter: one read at a time. */
  private buffer = new Float32Array(0);
  private timer: ReturnType<typeof setInterval> | null = null;
  private resuming = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly source: AudioLevelSource,
  ) {
    host.addController(this);
  }

  /** The level of `key` (0..1), as last read; 0 when it is not measured. */
  level(key: string): number {
    return this.meters.get(key)?.level ?? 0;
  }

  /** Whether `key` is speaking now. */
  speaking(key: string): boolean {
    return this.meters.get(key)?.state.speaking ?? false;
  }

  hostUpdated(): void {
    // After this update, not inside it: a quiet speaker's news re-renders the host.
    const dropped = this.sync();
    if (dropped.length > 0) queueMicrotask(() => this.notifyDropped(dropped));
  }

  hostDisconnected(): void {
    this.stop();
  }

  /**
   * Browsers run an AudioContext only once the page has had a user gesture (a click on Join or
   * on the preview): asked again on each update while there is something to measure.
   */
  private resume(): void {
    const context = this.context;
    if (context?.state !== 'suspended' || this.meters.size === 0 || this.resuming) return;
    // One request at a time: a browser that holds the context back leaves it pending.
    this.resuming = true;
    void context
      .resume()
      .catch(() => undefined)
      .finally(() => (this.resuming = false));
  }

  /** Stop measuring and close the context; a later track opens a new one. */
  stop(): void {
    this.notifyDropped([...this.meters.keys()].map((key) => this.drop(key)));
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    void this.context?.close().catch(() => undefined);
    this.context = null;
  }

  /** Measure exactly the tracks the source names now; returns the meters dropped. */
  private sync(): Meter[] {
    const wanted = this.source.tracks();
    const dropped: Meter[] = [];
    for (const [key, meter] of this.meters) if (wanted.get(key) !== meter.track) dropped.push(this.drop(key));
    for (const [key, track] of wanted) if (!this.meters.has(key) && track.readyState === 'live') this.watch(key, track);
    if (this.meters.size > 0) {
      this.timer ??= setInterval(() => this.sample(), LEVEL_SAMPLE_MS);
      this.resume();
    } else if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
      if (this.context?.state === 'running') void this.context.suspend().catch(() => undefined);
    }
    return dropped;
  }

  private watch(key: string, track: MediaStreamTrack): void {
    try {
      this.context ??= new AudioContext();
      const context = this.context;
      const source = context.createMediaStreamSource(new MediaStream([track]));
      const analyser = context.createAnalyser();
      // The window covers a whole sample interval, so no sound falls between two reads. Only
      // the time-domain copy is read: no FFT is ever computed.
      analyser.fftSize = 2 ** Math.ceil(Math.log2((context.sampleRate * LEVEL_SAMPLE_MS) / 1000));
      source.connect(analyser);
      if (this.buffer.length < analyser.fftSize) this.buffer = new Float32Array(analyser.fftSize);
      this.meters.set(key, { key, track, source, analyser, level: 0, state: { speaking: false, lastLoud: 0 } });
    } catch {
      // No Web Audio here (or the track cannot be read): this participant shows no level.
    }
  }

  private drop(key: string): Meter {
    const meter = this.meters.get(key)!;
    meter.source.disconnect();
    this.meters.delete(key);
    return meter;
  }

  /** Meters that stopped: a speaker among them is quiet now. */
  private notifyDropped(dropped: Meter[]): void {
    for (const meter of dropped) if (meter.state.speaking) this.source.changed(meter.key, false);
  }

  private sample(): void {
    if (this.context?.state !== 'running') return;
    const now = performance.now();
    for (const [key, meter] of this.meters) {
      const samples = this.buffer.subarray(0, meter.analyser.fftSize);
      meter.analyser.getFloatTimeDomainData(samples);
      // A meter falls back smoothly instead of dropping to zero between syllables.
      const level = Math.max(levelOf(samples, this.context.sampleRate), meter.level * 0.6);
      const rounded = level < 0.01 ? 0 : Math.round(level * 100) / 100;
      meter.level = rounded;
      const before = meter.state.speaking;
      meter.state = nextSpeaking(meter.state, rounded, now);
      if (meter.state.speaking !== before) this.source.changed(key, meter.state.speaking);
    }
  }
}
