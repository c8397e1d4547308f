/**
 * The core's timers for deferred answers (a responder's delay): a binary min-heap of due
 * times, so that 10,000 connections each holding a delayed answer cost O(log n) per answer,
 * never a scan of every connection (the timeout scan in server.ts's tick stays on its own,
 * coarser cadence).
 *
 * Due times are `performance.now()` milliseconds, not the core's coarse `now`: a delay is
 * measured from when its request was read, to a fraction of a millisecond (Date.now() is
 * whole milliseconds, which alone would make a `delay=` up to 1 ms early).
 */

/** One armed timer; `cancelled` ones are skipped when they come due (lazy deletion). */
export interface Due {
  /** performance.now() at which it fires. */
  readonly at: number;
  /** Runs when due; not run when `cancelled` is set first. */
  fire(): void;
  cancelled: boolean;
}

export class DueHeap {
  private readonly items: Due[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest due time, or Infinity when none is armed. */
  get earliest(): number {
    return this.items.length === 0 ? Infinity : this.items[0]!.at;
  }

  /** Arms `item`; returns true when it is now the earliest (a back end may have to wake sooner). */
  push(item: Due): boolean {
    const a = this.items;
    let i = a.length;
    a.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.at <= item.at) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = item;
    return i === 0;
  }

  /** Fires every item due at `now`, earliest first (an item fired may arm others: each has a delay > 0, so this ends). */
  fireDue(now: number): void {
    const a = this.items;
    while (a.length > 0 && a[0]!.at <= now) {
      const top = a[0]!;
      this.popTop();
      if (!top.cancelled) top.fire();
    }
  }

  private popTop(): void {
    const a = this.items;
    const last = a.pop()!;
    if (a.length === 0) return;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && a[r]!.at < a[l]!.at ? r : l;
      if (a[c]!.at >= last.at) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
  }
}
