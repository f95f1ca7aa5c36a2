// The system clock, with one difference that matters in Node: once the agent has left, no
// timer the engine still has pending keeps the process alive. (Some engine timers outlive a
// session, e.g. a link's open deadline; in a page that is harmless, in a process it would hold
// the exit for up to that long.) They are only unreferenced, not cancelled: what they do after
// leaving is what they would do in a page.
import type { Clock } from '../engine/clock.js';

export class ReleasableClock implements Clock {
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();
  private released = false;

  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = setTimeout(() => {
      this.pending.delete(handle);
      callback();
    }, ms);
    if (this.released) handle.unref();
    else this.pending.add(handle);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as ReturnType<typeof setTimeout>);
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  }

  /** From now on, no timer of this clock keeps the process alive. */
  release(): void {
    this.released = true;
    for (const handle of this.pending) handle.unref();
    this.pending.clear();
  }
}
