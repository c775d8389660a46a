/**
 * Wall-clock time in nanoseconds. Date.now() has millisecond resolution, so the
 * sub-millisecond part comes from the monotonic hrtime, re-anchored to the wall
 * clock whenever the two drift apart by more than a millisecond (NTP steps).
 */
export class WallClock {
  private offset = 0n;
  private checkedAtMs = -Infinity;

  nowNs(): bigint {
    const hr = process.hrtime.bigint();
    const ms = Date.now();
    if (ms - this.checkedAtMs > 1000) {
      this.checkedAtMs = ms;
      const wall = BigInt(ms) * 1_000_000n;
      const est = hr + this.offset;
      const drift = est > wall ? est - wall : wall - est;
      if (drift > 1_000_000n) this.offset = wall - hr;
    }
    return hr + this.offset;
  }
}

/** Hands out times that never go backwards for one stream, even if the wall clock does. */
export class StreamClock {
  private last = 0n;
  constructor(private readonly wall: WallClock) {}

  next(): bigint {
    let t = this.wall.nowNs();
    if (t <= this.last) t = this.last + 1n;
    this.last = t;
    return t;
  }
}
