import { expect, test } from "bun:test";
import { invalidReasons, MAX_LATENESS_P99_US, parseOpenLoopOutput, RESULT_MARK, type OpenLoopResult } from "../../bench/openloop/result.ts";

const pct = (p99: number, count = 10_000) => ({ p50: 1, p90: 2, p99, p999: p99, max: p99, mean: 1, count });

function run(over: Partial<OpenLoopResult> = {}, errors: Partial<OpenLoopResult["errors"]> = {}): Omit<OpenLoopResult, "valid" | "invalidReasons"> {
  return {
    url: "http://127.0.0.1:1/", mode: "keepalive", arrivals: "constant", connections: 64, targetRate: 1000, durationS: 10,
    scheduled: 10_000, sent: 10_000, sentInWindow: 10_000, answered: 10_000, achievedRate: 1000, unsent: 0,
    errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0, ...errors }, checked: 10_000, bad: 0, waitedForConnection: 0, retried: 0, reconnects: 0,
    latencyUs: pct(500), latenessUs: pct(20), maxLatenessP99Us: MAX_LATENESS_P99_US, spectrum: [], histograms: { latency: "", lateness: "" },
    generatorCpuUs: 1, wallUs: 1, ...over,
  };
}

test("a run that held its rate, answered everything and sent on time is valid", () => {
  expect(invalidReasons(run())).toEqual([]);
  // A server stall does not invalidate: its latency is the point (the backlog was sent before the window closed).
  expect(invalidReasons(run({ waitedForConnection: 3, latencyUs: pct(1_000_000) }))).toEqual([]);
});

test("below 99% of the schedule sent within the window: invalid, and it says whose fault", () => {
  expect(invalidReasons(run({ sentInWindow: 9900 }))).toEqual([]); // exactly 99%
  const slowServer = invalidReasons(run({ sentInWindow: 9899, achievedRate: 989.9, waitedForConnection: 12 }));
  expect(slowServer).toHaveLength(1);
  expect(slowServer[0]).toContain("achieved 990 req/s of 1000 (99.0% of the schedule sent in time)");
  expect(slowServer[0]).toContain("the server did not keep up");
  expect(invalidReasons(run({ sentInWindow: 5000, achievedRate: 500 }))[0]).toContain("the generator fell behind its schedule");
});

test("strict rule: send lateness p99 above the bound: invalid; at the bound: valid", () => {
  const strict = { latenessRule: "strict" as const };
  expect(invalidReasons(run({ ...strict, latenessUs: pct(MAX_LATENESS_P99_US) }))).toEqual([]);
  expect(invalidReasons(run({ ...strict, latenessUs: pct(MAX_LATENESS_P99_US + 1) }))).toEqual([`send lateness p99 ${MAX_LATENESS_P99_US + 1} µs > ${MAX_LATENESS_P99_US} µs: the generator could not hold its schedule`]);
  expect(invalidReasons(run({ ...strict, latenessUs: pct(900), maxLatenessP99Us: 1000 }))).toEqual([]);
  // A result from before the rule existed is judged strictly.
  expect(invalidReasons(run({ latenessUs: pct(MAX_LATENESS_P99_US + 1) }))).toHaveLength(1);
});

test("held rule (the default): a VM's millisecond p99 passes while the p90 is on time; a generator late on most sends fails", () => {
  const vm = { p50: 3, p90: 40, p99: 2_400, p999: 6_000, max: 7_000, mean: 30, count: 10_000 };
  expect(invalidReasons(run({ latenessRule: "held", latenessUs: vm }))).toEqual([]);
  const saturated = { ...vm, p50: 150, p90: 900 };
  expect(invalidReasons(run({ latenessRule: "held", latenessUs: saturated }))).toEqual([`send lateness p90 900 µs > ${MAX_LATENESS_P99_US} µs: the generator could not hold its schedule`]);
});

test("errors, non-2xx, wrong bodies, timeouts and unsent requests invalidate a run", () => {
  expect(invalidReasons(run({}, { connect: 1 }))).toEqual(["1 connect errors"]);
  expect(invalidReasons(run({}, { read: 2 }))).toEqual(["2 read errors"]);
  expect(invalidReasons(run({}, { write: 3 }))).toEqual(["3 write errors"]);
  expect(invalidReasons(run({}, { status: 4 }))).toEqual(["4 non-2xx responses"]);
  expect(invalidReasons(run({ answered: 9995 }, { timeout: 5 }))).toEqual(["5 timeouts (unanswered when the drain time ran out)"]);
  expect(invalidReasons(run({ bad: 7 }))).toEqual(["7 wrong responses of 10000 checked"]);
  expect(invalidReasons(run({ unsent: 9, sent: 9991, answered: 9991 }))).toEqual(["9 scheduled requests never sent"]);
  expect(invalidReasons(run({ answered: 0, latencyUs: pct(NaN, 0) }))).toContain("no responses");
});

test("fewer answers than scheduled with no other explanation is still invalid", () => {
  expect(invalidReasons(run({ answered: 9999 }))).toEqual(["answered 9999 of 10000 scheduled"]);
});

test("the result line round-trips, NaN included", () => {
  const r = { ...run({ latencyUs: pct(NaN, 0) }), valid: false, invalidReasons: ["x"] };
  const back = parseOpenLoopOutput(`noise\n${RESULT_MARK}${JSON.stringify(r)}\n`);
  expect(back.latencyUs.p99).toBeNaN();
  expect(back.scheduled).toBe(10_000);
  expect(() => parseOpenLoopOutput("nothing")).toThrow("OPENLOOP_RESULT");
});
