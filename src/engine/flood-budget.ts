// The per-link control-frame budget: a token bucket, pure, with no knowledge of what a frame means.

/**
 * A token bucket of `burst` tokens refilled at `perSecond`, a frame costing one token per
 * started KiB. Legitimate control traffic (presence, rosters, the relayed handshakes of a full
 * 64-peer room) stays well inside it. A peer that keeps flooding, `cutAfter` frames over
 * budget faster than the bucket refills, is cut off.
 */
export interface FloodLimits {
  burst: number;
  perSecond: number;
  cutAfter: number;
}

export const FLOOD_BUDGET: FloodLimits = { burst: 2000, perSecond: 500, cutAfter: 1000 };

/** What to do with one inbound frame: pass it on, drop it, or drop it and cut the sender off. */
export type FloodVerdict = 'pass' | 'drop' | 'cut';

const BYTES_PER_TOKEN = 1024;

interface Bucket {
  tokens: number;
  at: number;
  over: number;
}

/** Budgets per key (a link); keys are held weakly, so a closed link's bucket goes with it. */
export class FloodBudget<K extends object> {
  private readonly buckets = new WeakMap<K, Bucket>();

  constructor(private readonly limits: FloodLimits = FLOOD_BUDGET) {}

  /** Charge one frame of `size` bytes arriving at `now` (ms) on `key`. */
  charge(key: K, size: number, now: number): FloodVerdict {
    const { burst, perSecond, cutAfter } = this.limits;
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { tokens: burst, at: now, over: 0 }));
    const refill = ((now - bucket.at) / 1000) * perSecond;
    bucket.at = now;
    bucket.tokens = Math.min(burst, bucket.tokens + refill);
    bucket.over = Math.max(0, bucket.over - refill);
    const cost = 1 + Math.floor(size / BYTES_PER_TOKEN);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return 'pass';
    }
    if (++bucket.over >= cutAfter) {
      bucket.over = 0;
      return 'cut';
    }
    return 'drop';
  }
}

/** The size a raw inbound frame is charged for. */
export function frameSize(raw: unknown): number {
  return typeof raw === 'string' ? raw.length : raw instanceof ArrayBuffer ? raw.byteLength : 0;
}
