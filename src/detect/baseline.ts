/**
 * A learned baseline of per-minute values for one operation (all clients
 * together): an exponentially weighted moving mean and variance per feature
 * (West 1979 / Finch 2009 incremental form), updated once per closed minute.
 *
 * Why EWMA and not Holt-Winters with daily seasonality: seasonality needs a
 * day of history before it says anything and 1,440 slots per feature per
 * operation; the attacks this serves (a distributed enumeration's misses, a
 * stuffing wave's failures) move their feature by orders of magnitude within
 * minutes, while daily traffic drifts by a factor of a few over hours, which
 * an EWMA with a half-life of an hour follows. The price: a legitimate
 * spike at a time of day that is always busy looks the same as one that is
 * not, so per-operation rules pair their `sigma` with an absolute `min`.
 *
 * Attacks must not become the baseline: once warm, each value is clipped at
 * mean + clipSigma standard deviations before it is learned, so a sustained
 * attack raises the baseline by at most that much per minute (and a real,
 * lasting change of traffic is still learned, slowly).
 *
 * Significance: counts use a Poisson floor on the variance (var >= mean) and
 * scale mean and variance with the number of minutes in the window; ratios
 * (misses / lookups) use a binomial test against the learned rate
 * p0 = mean(numerator) / mean(denominator), which stays honest when the
 * window holds few requests.
 */

export interface BaselineOptions {
  halfLifeMinutes: number;
  warmupMinutes: number;
  /** values above mean + clipSigma·sd are learned as that (default 4) */
  clipSigma?: number;
}

/** how a value varies: counts are Poisson-like; volumes (bytes) are not */
export type BaselineValueKind = 'count' | 'volume';

/** the learned rate of a ratio never goes below this: a zero-miss history must not make one miss infinitely surprising */
const MIN_RATE = 0.002;

export class Baseline {
  readonly #mean: Float64Array;
  readonly #variance: Float64Array;
  readonly #kinds: readonly BaselineValueKind[];
  readonly #alpha: number;
  readonly #warmup: number;
  readonly #clip: number;
  #minutes = 0;

  constructor(kinds: readonly BaselineValueKind[], options: BaselineOptions) {
    this.#kinds = kinds;
    this.#mean = new Float64Array(kinds.length);
    this.#variance = new Float64Array(kinds.length);
    // weight of the newest minute so that a minute's weight halves every halfLife
    this.#alpha = 1 - 2 ** (-1 / Math.max(1, options.halfLifeMinutes));
    this.#warmup = options.warmupMinutes;
    this.#clip = options.clipSigma ?? 4;
  }

  get isWarm(): boolean {
    return this.#minutes >= this.#warmup;
  }

  /** minutes learned */
  get minutes(): number {
    return this.#minutes;
  }

  /** learns one closed minute */
  update(values: ArrayLike<number>): void {
    // the first minutes are a plain running mean (weight 1/n): an EWMA started
    // at zero would under-state the mean for several half-lives
    const alpha = Math.max(this.#alpha, 1 / (this.#minutes + 1));
    const isWarm = this.isWarm;
    for (let i = 0; i < this.#mean.length; i++) {
      const mean = this.#mean[i]!;
      let x = values[i] ?? 0;
      if (isWarm) x = Math.min(x, mean + this.#clip * this.#sd1(i));
      const delta = x - mean;
      this.#mean[i] = mean + alpha * delta;
      this.#variance[i] = (1 - alpha) * (this.#variance[i]! + alpha * delta * delta);
    }
    this.#minutes++;
  }

  /** learns `minutes` closed minutes without requests */
  updateIdle(minutes: number, zeros: ArrayLike<number>): void {
    // past ~12 half-lives the old values weigh < 1/4096: no need to loop further
    const steps = Math.min(minutes, Math.ceil(12 / -Math.log2(1 - this.#alpha)));
    for (let i = 0; i < steps; i++) this.update(zeros);
    this.#minutes += minutes - steps;
  }

  mean(i: number): number {
    return this.#mean[i]!;
  }

  /** the expected value over `minutes` minutes (a sum) */
  expected(i: number, minutes: number): number {
    return this.#mean[i]! * minutes;
  }

  /** standard score of a sum over `minutes` minutes */
  zScore(i: number, value: number, minutes: number): number {
    const variance = this.#floorVariance(i);
    return (value - this.#mean[i]! * minutes) / Math.sqrt(variance * minutes);
  }

  /** the learned rate numerator / denominator (clamped to [MIN_RATE, 1 - MIN_RATE]) */
  rate(numerator: number, denominator: number): number {
    const d = this.#mean[denominator]!;
    const p = d > 0 ? this.#mean[numerator]! / d : 0;
    return Math.min(1 - MIN_RATE, Math.max(MIN_RATE, p));
  }

  /** binomial standard score of k successes out of n against the learned rate */
  rateZScore(numerator: number, denominator: number, k: number, n: number): number {
    if (n <= 0) return NaN;
    const p = this.rate(numerator, denominator);
    return (k - n * p) / Math.sqrt(n * p * (1 - p));
  }

  #floorVariance(i: number): number {
    const mean = this.#mean[i]!;
    const variance = this.#variance[i]!;
    // counts: at least Poisson; volumes: at least (mean / 2)^2; both at least 1
    return this.#kinds[i] === 'count' ? Math.max(variance, mean, 1) : Math.max(variance, 0.25 * mean * mean, 1);
  }

  #sd1(i: number): number {
    return Math.sqrt(this.#floorVariance(i));
  }
}
