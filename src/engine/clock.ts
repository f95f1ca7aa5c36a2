// Time is injected so presence, reaping and election can be tested deterministically.
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A clock of one simulated page that a test can freeze, as a paused tab stops running timers. */
export interface PageClock extends Clock {
  freeze(): void;
  thaw(): void;
}

/** A clock that only moves when a test advances it. */
export class ManualClock implements Clock {
  private time: number;
  private timers: { at: number; seq: number; callback: () => void; handle: number }[] = [];
  private nextHandle = 1;

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.nextHandle++;
    this.timers.push({ at: this.time + Math.max(0, ms), seq: handle, callback, handle });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.handle !== handle);
  }

  pending(): number {
    return this.timers.length;
  }

  /**
   * A clock for one simulated page on this timeline. `freeze()` models a paused page: its
   * timers stop firing (they fire late, all at once, after `thaw()`), while time moves on.
   */
  view(): PageClock {
    let frozen = false;
    let held: (() => void)[] = [];
    return {
      now: () => this.now(),
      setTimeout: (callback, ms) =>
        this.setTimeout(() => {
          if (frozen) held.push(callback);
          else callback();
        }, ms),
      clearTimeout: (handle) => this.clearTimeout(handle),
      freeze: () => {
        frozen = true;
      },
      thaw: () => {
        frozen = false;
        const due = held;
        held = [];
        for (const callback of due) callback();
      },
    };
  }

  /** Move time forward, firing due timers in order and letting promise chains settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await flush();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.time = next.at;
      next.callback();
      await flush();
    }
    this.time = target;
    await flush();
  }
}

async function flush(): Promise<void> {
  // WebCrypto and other platform promises resolve on macrotasks, so microtasks alone do not settle them.
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}
