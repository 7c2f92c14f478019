/**
 * Latency of one endpoint in bounded, mergeable form: log-spaced buckets
 * (each ~19 % wider than the last, 0.1 ms to ~10 min), so a percentile is
 * known to within a bucket's width, whatever the number of requests.
 */
const BUCKETS = 96;
const MIN_MS = 0.1;
const GROWTH = 1.19;
const LOG_GROWTH = Math.log(GROWTH);

export class LatencyHistogram {
  readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  add(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
    this.counts[bucketOf(ms)]!++;
  }

  merge(other: LatencyHistogram): void {
    this.count += other.count;
    this.sumMs += other.sumMs;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
  }

  /** the state a stored record kept (buckets when it has them, else only count, sum and max) */
  restore(saved: { count: number; sumMs: number; maxMs: number; p95Ms: number | null; buckets?: readonly number[] }): void {
    this.count = saved.count;
    this.sumMs = saved.sumMs;
    this.maxMs = saved.maxMs;
    if (saved.buckets !== undefined && saved.buckets.length === BUCKETS) {
      for (let i = 0; i < BUCKETS; i++) this.counts[i] = saved.buckets[i] ?? 0;
    } else if (saved.count > 0) {
      // no histogram: every request at the p95 (or the mean), the best single guess
      this.counts[bucketOf(saved.p95Ms ?? saved.sumMs / saved.count)] = saved.count;
    }
  }

  /** the upper bound of the bucket holding the q-quantile (0 < q <= 1), capped at the max seen; null when empty */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperBound(i), this.maxMs);
    }
    return this.maxMs;
  }
}

function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  const i = Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH);
  return i >= BUCKETS ? BUCKETS - 1 : i;
}

function upperBound(bucket: number): number {
  return MIN_MS * GROWTH ** bucket;
}
