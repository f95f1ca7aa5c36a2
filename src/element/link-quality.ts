// How good the direct link to each participant is, from the connection's own statistics:
// round-trip time and packet loss, read with getStats() every few seconds while in a call.
// The classification is a pure function of one sample; the monitor only reads stats, keeps
// the counters a loss rate needs, and says when a participant's quality changes.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { LinkQuality } from './call-types.js';

/**
 * The thresholds, inclusive of the better class: a link is `good` when its round-trip time is
 * at most 300 ms and it loses at most 2% of packets, `fair` up to 600 ms and 8%, `poor` beyond
 * either. Around 300 ms a conversation starts to feel laggy and concealment starts to be heard
 * above 2% loss; past 600 ms people talk over each other and past 8% speech breaks up.
 */
export const LINK_THRESHOLDS = {
  good: { rttMs: 300, loss: 0.02 },
  fair: { rttMs: 600, loss: 0.08 },
} as const;

/** One reading of a link: round-trip time in milliseconds and the fraction of packets lost (0..1); null when unknown. */
export interface LinkSample {
  rttMs: number | null;
  loss: number | null;
}

/**
 * The quality of a link from one sample: the worse of what its round-trip time and its loss
 * say (see `LINK_THRESHOLDS`). Null when neither is known yet.
 *
 * @example
 * classifyLink({ rttMs: 40, loss: 0 }); // 'good'
 * classifyLink({ rttMs: 40, loss: 0.05 }); // 'fair'
 * classifyLink({ rttMs: 900, loss: null }); // 'poor'
 */
export function classifyLink(sample: LinkSample): LinkQuality | null {
  const grades: LinkQuality[] = [];
  if (isMeasure(sample.rttMs)) grades.push(grade(sample.rttMs, LINK_THRESHOLDS.good.rttMs, LINK_THRESHOLDS.fair.rttMs));
  if (isMeasure(sample.loss)) grades.push(grade(sample.loss, LINK_THRESHOLDS.good.loss, LINK_THRESHOLDS.fair.loss));
  if (grades.length === 0) return null;
  return grades.includes('poor') ? 'poor' : grades.includes('fair') ? 'fair' : 'good';
}

const isMeasure = (value: number | null): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const grade = (value: number, good: number, fair: number): LinkQuality => (value <= good ? 'good' : value <= fair ? 'fair' : 'poor');

/** Running counters of the inbound RTP streams of one link, so loss is measured between two samples. */
export interface LossCounters {
  lost: number;
  received: number;
}

/** What `readLinkStats` needs of a stats report: a Map of stats objects works as well as an RTCStatsReport. */
export interface StatsLike {
  forEach(callback: (stats: Record<string, unknown>) => void): void;
}

/**
 * One sample from a link's stats report. RTT: the selected candidate pair's
 * `currentRoundTripTime` (the transport's `selectedCandidatePairId`, else a nominated pair that
 * succeeded), else the largest `remote-inbound-rtp` `roundTripTime`. Loss: `packetsLost` over
 * `packetsLost + packetsReceived` of the inbound RTP streams since `previous`, or the largest
 * `remote-inbound-rtp` `fractionLost` (what the other side reports of our packets), whichever
 * is worse. Returns the counters to pass as `previous` next time.
 *
 * @example
 * const { sample, counters } = readLinkStats(await pc.getStats(), null);
 */
export function readLinkStats(report: StatsLike, previous: LossCounters | null): { sample: LinkSample; counters: LossCounters } {
  const all: Record<string, unknown>[] = [];
  report.forEach((stats) => void all.push(stats));
  const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

  const selectedId = all.find((s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')?.selectedCandidatePairId;
  const pair =
    all.find((s) => s.type === 'candidate-pair' && s.id === selectedId) ??
    all.find((s) => s.type === 'candidate-pair' && (s.selected === true || (s.nominated === true && s.state === 'succeeded')));
  let rtt = num(pair?.currentRoundTripTime);
  let remoteFraction: number | null = null;
  const counters: LossCounters = { lost: 0, received: 0 };
  for (const s of all) {
    if (s.type === 'remote-inbound-rtp') {
      const roundTrip = num(s.roundTripTime);
      if (pair?.currentRoundTripTime === undefined && roundTrip !== null) rtt = Math.max(rtt ?? 0, roundTrip);
      const fraction = num(s.fractionLost);
      if (fraction !== null) remoteFraction = Math.max(remoteFraction ?? 0, fraction);
    } else if (s.type === 'inbound-rtp') {
      counters.lost += Math.max(0, num(s.packetsLost) ?? 0);
      counters.received += num(s.packetsReceived) ?? 0;
    }
  }
  const lost = counters.lost - (previous?.lost ?? 0);
  const received = counters.received - (previous?.received ?? 0);
  // Counters that went backwards belong to a stream that was replaced: no reading this time.
  const inbound = lost >= 0 && received >= 0 && lost + received > 0 ? lost / (lost + received) : null;
  const loss = inbound === null ? remoteFraction : remoteFraction === null ? inbound : Math.max(inbound, remoteFraction);
  return { sample: { rttMs: rtt === null ? null : rtt * 1000, loss }, counters };
}

/** How often each link is sampled while joined. */
export const LINK_SAMPLE_MS = 3000;

export interface LinkQualitySource {
  /** Whether this peer is in a call now; sampling runs only then. */
  joined(): boolean;
  /** The remote participants to sample. */
  peers(): string[];
  /** The stats of the direct link to one of them (null when there is none). */
  stats(peerId: string): Promise<StatsLike | null>;
  /** A participant's quality changed. */
  changed(peerId: string, quality: LinkQuality): void;
}

/**
 * Samples every remote link each `LINK_SAMPLE_MS` while the host is joined, and keeps the
 * latest quality per participant. Starts and stops itself on the host's updates; stops for
 * good when the host leaves the page.
 */
export class LinkQualityMonitor implements ReactiveController {
  private readonly quality = new Map<string, LinkQuality>();
  private readonly counters = new Map<string, LossCounters>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private sampling = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly source: LinkQualitySource,
  ) {
    host.addController(this);
  }

  /** The latest quality of the link to `peerId`; null before its first sample. */
  get(peerId: string): LinkQuality | null {
    return this.quality.get(peerId) ?? null;
  }

  hostUpdated(): void {
    if (this.source.joined()) this.timer ??= setInterval(() => void this.sample(), LINK_SAMPLE_MS);
    else this.stop();
  }

  hostDisconnected(): void {
    this.stop();
  }

  /** Stop sampling and forget every reading (the next call starts afresh). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.quality.clear();
    this.counters.clear();
  }

  private async sample(): Promise<void> {
    // A slow getStats must not pile samples up.
    if (this.sampling) return;
    this.sampling = true;
    try {
      const peers = this.source.peers();
      for (const id of [...this.quality.keys()]) if (!peers.includes(id)) this.quality.delete(id);
      for (const id of [...this.counters.keys()]) if (!peers.includes(id)) this.counters.delete(id);
      await Promise.all(peers.map((id) => this.sampleOne(id)));
    } finally {
      this.sampling = false;
    }
  }

  private async sampleOne(peerId: string): Promise<void> {
    const report = await this.source.stats(peerId).catch(() => null);
    if (!report || this.timer === null) return;
    const { sample, counters } = readLinkStats(report, this.counters.get(peerId) ?? null);
    this.counters.set(peerId, counters);
    const quality = classifyLink(sample);
    if (!quality || quality === this.quality.get(peerId)) return;
    this.quality.set(peerId, quality);
    this.source.changed(peerId, quality);
  }
}
