import { expect, test } from "bun:test";
import { median, percentile, ratio, summarize } from "../../bench/lib/measure/stats.ts";

test("median of odd and even counts, unsorted input", () => {
  expect(median([5, 1, 3])).toBe(3);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([7])).toBe(7);
  expect(Number.isNaN(median([]))).toBe(true);
});

test("median does not reorder its argument", () => {
  const values = [3, 1, 2];
  median(values);
  expect(values).toEqual([3, 1, 2]);
});

test("nearest-rank percentile", () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
  expect(percentile(values, 50)).toBe(50);
  expect(percentile(values, 99)).toBe(99);
  expect(percentile(values, 100)).toBe(100);
  expect(percentile(values, 0)).toBe(1);
  expect(() => percentile(values, 101)).toThrow(RangeError);
});

test("summarize gives median, min, max and n", () => {
  expect(summarize([10, 30, 20])).toEqual({ median: 20, min: 10, max: 30, n: 3 });
  expect(summarize([]).n).toBe(0);
});

test("ratio is NaN when a side is missing or zero", () => {
  expect(ratio(3, 2)).toBe(1.5);
  expect(Number.isNaN(ratio(3, 0))).toBe(true);
  expect(Number.isNaN(ratio(undefined, 2))).toBe(true);
  expect(Number.isNaN(ratio(NaN, 2))).toBe(true);
});

import { capacityPerCore, coefficientOfVariation, mannWhitney, NOISY_CV } from "../../bench/lib/measure/stats.ts";

test("capacity per core is 1e6 / CPU µs per request, NaN without a CPU figure", () => {
  expect(capacityPerCore(8)).toBe(125_000);
  expect(capacityPerCore(0.5)).toBe(2_000_000);
  for (const bad of [0, -1, NaN, Infinity]) expect(Number.isNaN(capacityPerCore(bad))).toBe(true);
});

test("coefficient of variation: sample SD over mean; noisy above 10%", () => {
  expect(coefficientOfVariation([10, 10, 10])).toBe(0);
  // mean 100, sample SD of [90, 100, 110] = 10 → 10%, at the line: not noisy.
  expect(coefficientOfVariation([90, 100, 110])).toBeCloseTo(0.1, 12);
  expect(coefficientOfVariation([90, 100, 110]) > NOISY_CV).toBe(false);
  expect(coefficientOfVariation([80, 100, 120]) > NOISY_CV).toBe(true);
  expect(Number.isNaN(coefficientOfVariation([5]))).toBe(true);
  expect(Number.isNaN(coefficientOfVariation([0, 0]))).toBe(true);
});

test("exact Mann–Whitney U: p-values match the enumeration by hand", () => {
  // Fully separated 3 vs 3: 2 of C(6,3) = 20 splits are as extreme → 0.1, the smallest possible.
  expect(mannWhitney([1, 2, 3], [4, 5, 6])).toEqual({ u: 0, p: 0.1, minP: 0.1 });
  // 4 vs 4 separated: 2/70; one swap (U = 1): 4/70.
  expect(mannWhitney([1, 2, 3, 4], [5, 6, 7, 8]).p).toBeCloseTo(2 / 70, 12);
  expect(mannWhitney([1, 2, 3, 5], [4, 6, 7, 8])).toMatchObject({ u: 1 });
  expect(mannWhitney([1, 2, 3, 5], [4, 6, 7, 8]).p).toBeCloseTo(4 / 70, 12);
  // 5 vs 5 separated: 2/252, symmetric in the order of the samples.
  expect(mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).p).toBeCloseTo(2 / 252, 12);
  // Interleaved and all-tied samples: no evidence of a difference.
  expect(mannWhitney([1, 3, 5, 7], [2, 4, 6, 8]).p).toBeGreaterThan(0.5);
  expect(mannWhitney([5, 5, 5], [5, 5, 5]).p).toBe(1);
  expect(Number.isNaN(mannWhitney([], [1]).p)).toBe(true);
});

test("Mann–Whitney over 20 values uses the normal approximation", () => {
  const a = Array.from({ length: 11 }, (_, i) => i);
  const b = Array.from({ length: 11 }, (_, i) => 100 + i);
  const r = mannWhitney(a, b);
  expect(r.u).toBe(0);
  expect(r.p).toBeLessThan(0.001);
  expect(mannWhitney(a, a.map((x) => x + 0.5)).p).toBeGreaterThan(0.3);
});
