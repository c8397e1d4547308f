/** Order statistics for a handful of runs. Pure. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median; the mean of the two middle values for an even count. NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  return sortedPercentile([...values].sort((a, b) => a - b), p);
}

/** percentile() of values already sorted ascending: sort once, ask several times. */
export function sortedPercentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile out of range: ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** a / b, or NaN when either is missing or b is zero. */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return NaN;
  return a / b;
}

/**
 * Capacity per core: the req/s one fully used core would serve, from the
 * server's CPU µs per request. It does not depend on the load generator,
 * so it ranks servers even when every run is generator-bound. NaN when
 * the CPU figure is missing or not positive.
 */
export function capacityPerCore(cpuUsPerRequest: number): number {
  return Number.isFinite(cpuUsPerRequest) && cpuUsPerRequest > 0 ? 1e6 / cpuUsPerRequest : NaN;
}

/** Above this coefficient of variation over the runs a row is "noisy". */
export const NOISY_CV = 0.1;

/**
 * Coefficient of variation: sample standard deviation (n − 1) over the
 * mean. NaN for fewer than two values or a zero mean.
 */
export function coefficientOfVariation(values: readonly number[]): number {
  const v = values.filter(Number.isFinite);
  if (v.length < 2) return NaN;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  if (mean === 0) return NaN;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return sd / Math.abs(mean);
}

export interface MannWhitney {
  /** U of the first sample: pairs (a, b) with a > b, ties count ½. */
  u: number;
  /** Exact two-sided p-value (all C(n+m, n) splits enumerated). */
  p: number;
  /** The smallest two-sided p any data could give with these sample sizes. */
  minP: number;
}

/**
 * Exact two-sided Mann–Whitney U test over the per-run values of two
 * runs: every way of splitting the pooled values into groups of n and m is
 * enumerated (C(10, 5) = 252 for 5 runs each), p = share of splits whose U
 * is at least as far from n·m/2 as the observed one. Exact, so it stays
 * honest for the 3–10 runs a benchmark has, where the normal approximation
 * does not; ties are handled by the enumeration itself. With 3 runs per
 * side the smallest possible p is 0.1: no difference can be shown at 5%.
 * Over 20 values in all (C(20, 10) = 184,756 splits) it falls back to the
 * normal approximation with a continuity correction.
 */
export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitney {
  const n = a.length, m = b.length;
  if (n === 0 || m === 0) return { u: NaN, p: NaN, minP: NaN };
  if (n + m > 20) return mannWhitneyNormal(a, b);
  const pooled = [...a, ...b];
  const uOf = (idx: readonly number[]): number => {
    const inA = new Set(idx);
    let u = 0;
    for (const i of idx) for (let j = 0; j < pooled.length; j++) {
      if (inA.has(j)) continue;
      if (pooled[i]! > pooled[j]!) u += 1;
      else if (pooled[i] === pooled[j]) u += 0.5;
    }
    return u;
  };
  const centre = (n * m) / 2;
  const observed = Math.abs(uOf(a.map((_, i) => i)) - centre);
  let total = 0, extreme = 0;
  const pick: number[] = [];
  const walk = (from: number) => {
    if (pick.length === n) {
      total++;
      if (Math.abs(uOf(pick) - centre) >= observed - 1e-9) extreme++;
      return;
    }
    for (let i = from; i <= pooled.length - (n - pick.length); i++) {
      pick.push(i);
      walk(i + 1);
      pick.pop();
    }
  };
  walk(0);
  return { u: uOf(a.map((_, i) => i)), p: extreme / total, minP: 2 / total > 1 ? 1 : 2 / total };
}

/** U, normal approximation with continuity correction (no tie correction): for large samples only. */
function mannWhitneyNormal(a: readonly number[], b: readonly number[]): MannWhitney {
  const n = a.length, m = b.length;
  let u = 0;
  for (const x of a) for (const y of b) u += x > y ? 1 : x === y ? 0.5 : 0;
  const sd = Math.sqrt((n * m * (n + m + 1)) / 12);
  const z = Math.max(0, Math.abs(u - (n * m) / 2) - 0.5) / sd;
  return { u, p: Math.min(1, 2 * (1 - normalCdf(z))), minP: 0 };
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
