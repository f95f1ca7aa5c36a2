// Link quality and speaking detection on their own: the classifier, the stats reader and the
// speaking hysteresis are pure functions of their inputs, so each threshold is checked exactly.
import { expect } from '@open-wc/testing';
import { classifyLink, LINK_THRESHOLDS, readLinkStats } from '../../src/element/link-quality.js';
import { levelOf, nextSpeaking, SPEAKING, type SpeakingState } from '../../src/element/audio-levels.js';

/** A stats report as getStats() hands it over: stats objects by id. */
const report = (...stats: Record<string, unknown>[]) => new Map(stats.map((s, i) => [String(s.id ?? i), s]));

describe('link quality classifier', () => {
  it('a fast link without loss is good, up to and including the good thresholds', () => {
    expect(classifyLink({ rttMs: 1, loss: 0 })).to.equal('good');
    expect(classifyLink({ rttMs: LINK_THRESHOLDS.good.rttMs, loss: LINK_THRESHOLDS.good.loss })).to.equal('good');
  });

  it('just past a good threshold is fair, up to and including the fair thresholds', () => {
    expect(classifyLink({ rttMs: LINK_THRESHOLDS.good.rttMs + 1, loss: 0 })).to.equal('fair');
    expect(classifyLink({ rttMs: 20, loss: LINK_THRESHOLDS.good.loss + 0.001 })).to.equal('fair');
    expect(classifyLink({ rttMs: LINK_THRESHOLDS.fair.rttMs, loss: LINK_THRESHOLDS.fair.loss })).to.equal('fair');
  });

  it('past a fair threshold is poor, whatever the other measure says', () => {
    expect(classifyLink({ rttMs: LINK_THRESHOLDS.fair.rttMs + 1, loss: 0 })).to.equal('poor');
    expect(classifyLink({ rttMs: 5, loss: LINK_THRESHOLDS.fair.loss + 0.001 })).to.equal('poor');
  });

  it('the thresholds are 300 ms and 2% for good, 600 ms and 8% for fair, as documented', () => {
    expect(LINK_THRESHOLDS).to.deep.equal({ good: { rttMs: 300, loss: 0.02 }, fair: { rttMs: 600, loss: 0.08 } });
  });

  it('one known measure is enough; none (or nonsense) gives no quality', () => {
    expect(classifyLink({ rttMs: null, loss: 0.05 })).to.equal('fair');
    expect(classifyLink({ rttMs: 700, loss: null })).to.equal('poor');
    expect(classifyLink({ rttMs: null, loss: null })).to.equal(null);
    expect(classifyLink({ rttMs: NaN, loss: -1 })).to.equal(null);
  });
});

describe('link stats reader', () => {
  it("reads RTT from the transport's selected candidate pair, in milliseconds", () => {
    const stats = report(
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P2' },
      { id: 'P1', type: 'candidate-pair', state: 'succeeded', nominated: true, currentRoundTripTime: 0.9 },
      { id: 'P2', type: 'candidate-pair', state: 'succeeded', nominated: true, currentRoundTripTime: 0.012 },
    );
    expect(readLinkStats(stats, null).sample).to.deep.equal({ rttMs: 12, loss: null });
  });

  it('without a transport stat, a nominated pair that succeeded; without any pair RTT, remote-inbound-rtp', () => {
    const pair = report({ id: 'P', type: 'candidate-pair', state: 'succeeded', nominated: true, currentRoundTripTime: 0.25 });
    expect(readLinkStats(pair, null).sample.rttMs).to.equal(250);
    const remote = report(
      { id: 'R', type: 'remote-inbound-rtp', roundTripTime: 0.05 },
      { id: 'S', type: 'remote-inbound-rtp', roundTripTime: 0.07 },
    );
    expect(readLinkStats(remote, null).sample.rttMs).to.equal(70);
  });

  it('measures loss over the packets since the previous sample, across all inbound streams', () => {
    const first = readLinkStats(
      report(
        { id: 'A', type: 'inbound-rtp', packetsLost: 0, packetsReceived: 500 },
        { id: 'V', type: 'inbound-rtp', packetsLost: 10, packetsReceived: 490 },
      ),
      null,
    );
    expect(first.sample.loss).to.equal(0.01);
    expect(first.counters).to.deep.equal({ lost: 10, received: 990 });
    const second = readLinkStats(
      report(
        { id: 'A', type: 'inbound-rtp', packetsLost: 5, packetsReceived: 550 },
        { id: 'V', type: 'inbound-rtp', packetsLost: 55, packetsReceived: 590 },
      ),
      first.counters,
    );
    // 50 lost of 200 since the first sample: 25%, though only 60 of 1200 since the start.
    expect(second.sample.loss).to.equal(0.25);
    expect(classifyLink(second.sample)).to.equal('poor');
  });

  it('takes the worse of inbound loss and what the other side reports (fractionLost); no packets, no reading', () => {
    const both = report(
      { id: 'A', type: 'inbound-rtp', packetsLost: 0, packetsReceived: 100 },
      { id: 'R', type: 'remote-inbound-rtp', fractionLost: 0.04 },
    );
    expect(readLinkStats(both, null).sample.loss).to.equal(0.04);
    const idle = readLinkStats(report({ id: 'A', type: 'inbound-rtp', packetsLost: 0, packetsReceived: 100 }), { lost: 0, received: 100 });
    expect(idle.sample.loss).to.equal(null);
  });

  it('counters that went backwards (a replaced stream) give no loss reading instead of a negative one', () => {
    const next = readLinkStats(report({ id: 'A', type: 'inbound-rtp', packetsLost: 0, packetsReceived: 10 }), { lost: 3, received: 900 });
    expect(next.sample.loss).to.equal(null);
    expect(next.counters).to.deep.equal({ lost: 0, received: 10 });
  });
});

describe('speaking detection', () => {
  const quiet: SpeakingState = { speaking: false, lastLoud: 0 };

  it('turns on at the on threshold, not just below it', () => {
    expect(nextSpeaking(quiet, SPEAKING.on, 1000).speaking).to.equal(true);
    expect(nextSpeaking(quiet, SPEAKING.on - 0.01, 1000).speaking).to.equal(false);
  });

  it('stays on through a pause shorter than the hold time, and off after it', () => {
    let state = nextSpeaking(quiet, 0.9, 1000);
    state = nextSpeaking(state, 0.1, 1000 + SPEAKING.holdMs - 1);
    expect(state.speaking).to.equal(true);
    state = nextSpeaking(state, 0.1, 1000 + SPEAKING.holdMs);
    expect(state.speaking).to.equal(false);
  });

  it('a level between the thresholds keeps a speaker speaking but does not start a quiet one', () => {
    const between = (SPEAKING.on + SPEAKING.off) / 2;
    let state = nextSpeaking(quiet, 0.9, 0);
    for (let t = 120; t < 10_000; t += 120) state = nextSpeaking(state, between, t);
    expect(state.speaking).to.equal(true);
    expect(nextSpeaking(quiet, between, 0).speaking).to.equal(false);
  });

  it('levels: silence is 0, full scale is 1, -30 dBFS is one half, and the loudest 10 ms counts', () => {
    const rate = 48_000;
    expect(levelOf(new Float32Array(4800), rate)).to.equal(0);
    expect(levelOf(new Float32Array(4800).fill(1), rate)).to.equal(1);
    const amplitude = 10 ** (-30 / 20);
    expect(levelOf(new Float32Array(4800).fill(amplitude), rate)).to.be.closeTo(0.5, 1e-6);
    // One loud 10 ms slice in 100 ms of silence reads as loud as a whole loud block.
    const burst = new Float32Array(4800);
    burst.fill(amplitude, 480, 960);
    expect(levelOf(burst, rate)).to.be.closeTo(0.5, 1e-6);
  });
});
