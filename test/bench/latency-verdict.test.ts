import { expect, test } from "bun:test";
import { judgeLatency, generatorLoad } from "../../bench/lib/latency/verdict.ts";
import { encodeHistogram, newHistogram, recordUs } from "../../bench/openloop/histogram.ts";
import { mergeResults } from "../../bench/openloop/merge.ts";
import { invalidReasons, type OpenLoopResult } from "../../bench/openloop/result.ts";

const pct = (p99: number, count = 1000) => ({ p50: 1, p90: 2, p99, p999: p99, max: p99, mean: 1, count });

/** A result as the generator reports it, validity computed by the real rule. */
function result(over: Partial<OpenLoopResult> = {}): OpenLoopResult {
  const partial = {
    url: "http://127.0.0.1:1/", mode: "keepalive" as const, arrivals: "constant" as const, connections: 64, targetRate: 1000, durationS: 1,
    scheduled: 1000, sent: 1000, sentInWindow: 1000, answered: 1000, achievedRate: 1000, unsent: 0,
    errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 }, checked: 1000, bad: 0, waitedForConnection: 0, retried: 0, reconnects: 0,
    latencyUs: pct(500), latenessUs: pct(20), maxLatenessP99Us: 200, latenessRule: "held" as const, spectrum: [], histograms: { latency: "", lateness: "" },
    generatorCpuUs: 300_000, wallUs: 1_000_000, ...over,
  };
  const reasons = invalidReasons(partial);
  return { ...partial, valid: reasons.length === 0, invalidReasons: reasons };
}

const fellBehind = { sentInWindow: 600, achievedRate: 600 };

test("verdicts: valid; generator-bound; server saturated; invalid", () => {
  const load = { serverCpu: 0.4, serverCores: 1, generatorProcs: 1 };
  expect(judgeLatency(result(), load)).toBe("valid");
  // The generator's core was busy, the server's was not: the generator was the bottleneck.
  expect(judgeLatency(result({ ...fellBehind, generatorCpuUs: 950_000 }), load)).toBe("generator-bound");
  // The server's core was busy (or every connection was): the server could not keep up.
  expect(judgeLatency(result({ ...fellBehind, generatorCpuUs: 950_000 }), { ...load, serverCpu: 0.97 })).toBe("server saturated");
  expect(judgeLatency(result({ ...fellBehind, waitedForConnection: 40 }), load)).toBe("server saturated");
  // Wrong answers are invalid whoever was busy; a schedule lost with both idle (a preempted generator) too.
  expect(judgeLatency(result({ bad: 1, generatorCpuUs: 950_000 }), load)).toBe("invalid");
  expect(judgeLatency(result(fellBehind), load)).toBe("invalid");
  // The schedule kept and only the generator's own lateness over the bound: the generator's doing, even with a busy server.
  const late = { latenessUs: { ...pct(900), p90: 340 }, generatorCpuUs: 950_000 };
  expect(judgeLatency(result(late), { ...load, serverCpu: 0.9 })).toBe("generator-bound");
  expect(judgeLatency(result({ ...late, generatorCpuUs: 300_000 }), { ...load, serverCpu: 0.9 })).toBe("invalid");
  // Several processes: the load is per process (each is single-threaded on its own core).
  expect(generatorLoad({ generatorCpuUs: 1_800_000, wallUs: 1_000_000 }, 2)).toBeCloseTo(0.9, 9);
});

test("mergeResults: counts add, histograms add exactly, validity from the merged counts", () => {
  const part = (values: number[], over: Partial<OpenLoopResult> = {}) => {
    const h = newHistogram(), late = newHistogram();
    for (const v of values) recordUs(h, v), recordUs(late, 5);
    return result({ scheduled: values.length, sent: values.length, sentInWindow: values.length, answered: values.length, achievedRate: values.length, targetRate: 2 * values.length,
      histograms: { latency: encodeHistogram(h), lateness: encodeHistogram(late) }, ...over });
  };
  const a = part(Array.from({ length: 500 }, (_, i) => 100 + i));
  const b = { ...part(Array.from({ length: 500 }, (_, i) => 600 + i)), valid: false, invalidReasons: ["2× no Content-Length"] };
  const m = mergeResults([a, b]);
  expect(m.answered).toBe(1000);
  expect(m.achievedRate).toBe(1000);
  expect(m.latencyUs.count).toBe(1000);
  // 100..1099 µs: the merged median is the 500th value, which neither half has on its own.
  expect(Math.abs(m.latencyUs.p50 - 599)).toBeLessThanOrEqual(1);
  expect(m.latencyUs.max).toBeGreaterThanOrEqual(1099);
  expect(m.generatorCpuUs).toBe(600_000);
  // A part's own problems (not recomputable from the counts) are carried over.
  expect(m.invalidReasons).toEqual(["2× no Content-Length"]);
  expect(m.valid).toBe(false);
  expect(mergeResults([a])).toBe(a);
});
