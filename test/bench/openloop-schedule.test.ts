import { expect, test } from "bun:test";
import { buildSchedule, mulberry32 } from "../../bench/openloop/schedule.ts";

test("constant arrivals: rate × duration requests, evenly spaced from 0, all inside the window", () => {
  const s = buildSchedule({ rate: 1000, durationS: 2, arrivals: "constant" });
  expect(s.length).toBe(2000);
  expect(s[0]).toBe(0);
  expect(s[1]).toBeCloseTo(1, 12);
  expect(s[1999]).toBeCloseTo(1999, 9);
  for (let i = 1; i < s.length; i++) expect(s[i]! - s[i - 1]!).toBeCloseTo(1, 9);
});

test("constant arrivals: computed from the index, so no rounding error builds up over millions", () => {
  const s = buildSchedule({ rate: 3, durationS: 1_000_000, arrivals: "constant" });
  expect(s.length).toBe(3_000_000);
  expect(s[2_999_999]).toBeCloseTo((2_999_999 * 1000) / 3, 6);
});

test("a fractional rate × duration never schedules at or past the window's end", () => {
  const s = buildSchedule({ rate: 7, durationS: 0.5, arrivals: "constant" });
  expect(s.length).toBe(4); // 0, 142.9, 285.7, 428.6 ms
  expect(s[s.length - 1]!).toBeLessThan(500);
});

test("Poisson arrivals: mean gap 1/rate, exponential spread, count near rate × duration, ascending", () => {
  const rate = 10_000, durationS = 10;
  const s = buildSchedule({ rate, durationS, arrivals: "poisson", seed: 42 });
  // Count ~ Poisson(100,000): SD 316; 5 SD either side.
  expect(Math.abs(s.length - rate * durationS)).toBeLessThan(5 * Math.sqrt(rate * durationS));
  const gaps = Array.from({ length: s.length - 1 }, (_, i) => s[i + 1]! - s[i]!);
  expect(gaps.every((g) => g >= 0)).toBe(true);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  expect(mean).toBeCloseTo(0.1, 2);
  // Exponential: the SD equals the mean, and P(gap > mean) = 1/e.
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  expect(sd / mean).toBeGreaterThan(0.97);
  expect(sd / mean).toBeLessThan(1.03);
  const above = gaps.filter((g) => g > mean).length / gaps.length;
  expect(above).toBeGreaterThan(Math.exp(-1) - 0.01);
  expect(above).toBeLessThan(Math.exp(-1) + 0.01);
  expect(s[s.length - 1]!).toBeLessThan(durationS * 1000);
});

test("Poisson arrivals repeat for a seed and differ between seeds", () => {
  const a = buildSchedule({ rate: 500, durationS: 1, arrivals: "poisson", seed: 7 });
  const b = buildSchedule({ rate: 500, durationS: 1, arrivals: "poisson", seed: 7 });
  const c = buildSchedule({ rate: 500, durationS: 1, arrivals: "poisson", seed: 8 });
  expect([...a]).toEqual([...b]);
  expect([...a]).not.toEqual([...c]);
});

test("a Poisson run larger than its first guess grows its buffer", () => {
  // Tiny expected count: the 6-SD headroom is small, so an unlucky seed must grow the array.
  for (let seed = 1; seed <= 50; seed++) {
    const s = buildSchedule({ rate: 2, durationS: 1, arrivals: "poisson", seed });
    for (let i = 1; i < s.length; i++) expect(s[i]!).toBeGreaterThanOrEqual(s[i - 1]!);
    expect(s.length === 0 || s[s.length - 1]! < 1000).toBe(true);
  }
});

test("bad rates and oversized runs are refused", () => {
  expect(() => buildSchedule({ rate: 0, durationS: 1, arrivals: "constant" })).toThrow("rate");
  expect(() => buildSchedule({ rate: NaN, durationS: 1, arrivals: "constant" })).toThrow("rate");
  expect(() => buildSchedule({ rate: 10, durationS: 0, arrivals: "constant" })).toThrow("duration");
  expect(() => buildSchedule({ rate: 1e7, durationS: 60, arrivals: "constant" })).toThrow("shorten");
});

test("mulberry32 is uniform in [0, 1)", () => {
  const r = mulberry32(123);
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const v = r();
    expect(v >= 0 && v < 1).toBe(true);
    buckets[Math.floor(v * 10)]++;
  }
  for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
});
