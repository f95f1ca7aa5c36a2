// The per-link control-frame budget on its own: a token bucket with a burst, a refill rate and
// a cut-off for sustained flooding. Pure: time is a number the test passes in.
import { expect } from '@open-wc/testing';
import { FloodBudget, frameSize, type FloodVerdict } from '../../src/engine/flood-budget.js';

const LIMITS = { burst: 10, perSecond: 5, cutAfter: 4 };
const T0 = 1_700_000_000_000;

/** `count` one-token frames on `key` at `now`. */
function charge(budget: FloodBudget<object>, key: object, count: number, now: number, size = 10): FloodVerdict[] {
  return Array.from({ length: count }, () => budget.charge(key, size, now));
}

describe('flood budget', () => {
  it('a fresh link passes a burst of frames at once and drops the next one', () => {
    const budget = new FloodBudget(LIMITS);
    const link = {};
    expect(charge(budget, link, LIMITS.burst, T0)).to.deep.equal(Array(LIMITS.burst).fill('pass'));
    expect(budget.charge(link, 10, T0)).to.equal('drop');
  });

  it('a frame costs one token, plus one for every whole KiB it carries', () => {
    const budget = new FloodBudget(LIMITS);
    const link = {};
    expect(budget.charge(link, 4 * 1024 + 1, T0)).to.equal('pass');
    expect(charge(budget, link, LIMITS.burst - 5, T0)).to.deep.equal(Array(LIMITS.burst - 5).fill('pass'));
    expect(budget.charge(link, 0, T0)).to.equal('drop');
  });

  it('the bucket refills at perSecond, never above the burst', () => {
    const budget = new FloodBudget(LIMITS);
    const link = {};
    charge(budget, link, LIMITS.burst + 1, T0);
    expect(charge(budget, link, LIMITS.perSecond, T0 + 1000)).to.deep.equal(Array(LIMITS.perSecond).fill('pass'));
    expect(budget.charge(link, 10, T0 + 1000)).to.equal('drop');
    // A long quiet spell fills the bucket to the burst, no further.
    expect(charge(budget, link, LIMITS.burst, T0 + 60_000)).to.deep.equal(Array(LIMITS.burst).fill('pass'));
    expect(budget.charge(link, 10, T0 + 60_000)).to.equal('drop');
  });

  it('a steady rate within perSecond is never limited', () => {
    const budget = new FloodBudget(LIMITS);
    const link = {};
    const verdicts: FloodVerdict[] = [];
    for (let ms = 0; ms < 60_000; ms += 1000 / LIMITS.perSecond) verdicts.push(budget.charge(link, 10, T0 + ms));
    expect(new Set(verdicts)).to.deep.equal(new Set(['pass']));
  });

  it('sustained flooding is cut after cutAfter frames over budget', () => {
    const budget = new FloodBudget(LIMITS);
    const link = {};
    charge(budget, link, LIMITS.burst, T0);
    expect(charge(budget, link, LIMITS.cutAfter, T0)).to.deep.equal([...Array(LIMITS.cutAfter - 1).fill('drop'), 'cut']);
  });

  it('frames over budget that are spread out slower than the refill are dropped but never cut', () => {
    const budget = new FloodBudget(LIMITS);
    const link = {};
    charge(budget, link, LIMITS.burst, T0);
    const verdicts: FloodVerdict[] = [];
    // Each second: the refill's worth of frames plus one more, which is dropped.
    for (let second = 1; second <= 20; second++) verdicts.push(...charge(budget, link, LIMITS.perSecond + 1, T0 + second * 1000));
    expect(verdicts).to.not.include('cut');
    expect(verdicts.filter((v) => v === 'drop')).to.have.length(20);
  });

  it('each link has a budget of its own', () => {
    const budget = new FloodBudget(LIMITS);
    const flooder = {};
    const neighbour = {};
    charge(budget, flooder, LIMITS.burst + LIMITS.cutAfter, T0);
    expect(charge(budget, neighbour, LIMITS.burst, T0)).to.deep.equal(Array(LIMITS.burst).fill('pass'));
  });

  it('charges text by its length, binary by its bytes and anything else as empty', () => {
    expect(frameSize('x'.repeat(300))).to.equal(300);
    expect(frameSize(new ArrayBuffer(2048))).to.equal(2048);
    expect(frameSize({ length: 5000 })).to.equal(0);
    expect(frameSize(null)).to.equal(0);
  });
});
