/**
 * Latency histograms of the open-loop generator: HdrHistogram
 * (hdr-histogram-js from npm) in µs, 3 significant digits (every value
 * within 0.1% of what was recorded, at any magnitude), 1 µs to 1 hour;
 * about 60 ns per record on Bun. Summaries are the percentiles the
 * reports print; a histogram travels in JSON as HdrHistogram's compressed
 * base64, which every HdrHistogram implementation decodes
 * (e.g. `hdr.decodeFromCompressedBase64(s).outputPercentileDistribution()`).
 *
 * Usage: const h = newHistogram(); recordUs(h, 123.4); percentiles(h).p99
 */
import * as hdr from "hdr-histogram-js";

export type Histogram = hdr.Histogram;

/** Highest value a histogram holds, µs (1 hour): any longer wait is reported as 1 hour. */
export const HIGHEST_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;

export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: SIGNIFICANT_DIGITS });
}

/** Records µs, clamped to the histogram's range (a negative value is a clock step: 0). */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(us <= 0 ? 0 : us >= HIGHEST_US ? HIGHEST_US : Math.round(us));
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  count: number;
}

/** p50/p90/p99/p99.9/max/mean in µs (NaN for an empty histogram). */
export function percentiles(h: Histogram): Percentiles {
  if (h.totalCount === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN, count: 0 };
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: h.mean,
    count: h.totalCount,
  };
}

/**
 * Percentiles of the spectrum plot (HdrHistogram's: halving the remaining
 * tail at each step, so 99.9 and 99.99 get as much room as 50 and 90).
 */
export const SPECTRUM_PERCENTILES = [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100] as const;

/** [percentile, µs] pairs up to the last one the sample count can resolve. */
export function spectrum(h: Histogram): Array<[number, number]> {
  if (h.totalCount === 0) return [];
  const out: Array<[number, number]> = [];
  for (const p of SPECTRUM_PERCENTILES) {
    // Past 1 − 1/count the percentile is just the maximum again.
    if (p !== 100 && p > 0 && 100 - p < 100 / h.totalCount - 1e-9) continue;
    out.push([p, p === 0 ? h.minNonZeroValue : p === 100 ? h.maxValue : h.getValueAtPercentile(p)]);
  }
  return out;
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(s: string): Histogram {
  return hdr.decodeFromCompressedBase64(s);
}
