import { expect, test } from "bun:test";
import { median, percentile, ratio, summarize } from "../../bench/lib/stats.ts";

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
