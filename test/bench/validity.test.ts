import { expect, test } from "bun:test";
import { planCpus } from "../../bench/lib/servers/cpus.ts";
import type { LoadResult, Scenario } from "../../bench/lib/types.ts";
import { SCENARIOS } from "../../bench/lib/types.ts";
import { checkBytes, isGeneratorBound, judgeRun } from "../../bench/lib/measure/validity.ts";

const [keepalive, pipelined, close] = SCENARIOS as [Scenario, Scenario, Scenario];
const SIZE = 143;

function load(over: Partial<LoadResult> = {}, errors: Partial<LoadResult["errors"]> = {}): LoadResult {
  return {
    durationUs: 1e6, requests: 1000, bytes: 1000 * SIZE,
    errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0, ...errors },
    latencyUs: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1 }, checked: 0, bad: 0, ...over,
  };
}
const ctx = (scenario: Scenario) => ({ scenario, connections: 64, responseBytes: SIZE });

test("a clean run is valid", () => {
  expect(judgeRun(load(), ctx(keepalive))).toEqual({ valid: true, reasons: [] });
});

test("socket errors, non-2xx, timeouts and wrong bodies invalidate a run", () => {
  expect(judgeRun(load({}, { connect: 1 }), ctx(keepalive)).reasons).toEqual(["1 connect errors"]);
  expect(judgeRun(load({}, { write: 2 }), ctx(keepalive)).valid).toBe(false);
  expect(judgeRun(load({}, { timeout: 1 }), ctx(keepalive)).valid).toBe(false);
  expect(judgeRun(load({}, { status: 5 }), ctx(keepalive)).reasons).toEqual(["5 non-2xx responses"]);
  expect(judgeRun(load({}, { read: 1 }), ctx(keepalive)).reasons).toEqual(["1 read errors"]);
  expect(judgeRun(load({ checked: 1000, bad: 3 }), ctx(keepalive)).reasons).toEqual(["3 wrong responses of 1000 checked"]);
  expect(judgeRun(load({ requests: 0, bytes: 0 }), ctx(keepalive)).reasons).toEqual(["no responses"]);
});

test("connection-close: one EOF per response is not an error, more is", () => {
  expect(judgeRun(load({}, { read: 1000 }), ctx(close)).valid).toBe(true);
  expect(judgeRun(load({}, { read: 1010 }), ctx(close)).reasons).toEqual(["10 read errors"]);
  expect(judgeRun(load({}, { read: 1000 }), ctx(keepalive)).valid).toBe(false);
});

test("byte count: exact, plus at most one partial response per in-flight request", () => {
  expect(checkBytes(load({ bytes: 1000 * SIZE + 64 * SIZE }), ctx(keepalive))).toBeUndefined();
  expect(checkBytes(load({ bytes: 1000 * SIZE + 64 * SIZE + 1 }), ctx(keepalive))).toBeDefined();
  expect(checkBytes(load({ bytes: 1000 * SIZE + 64 * 16 * SIZE }), ctx(pipelined))).toBeUndefined();
  // One byte short per response: a wrong body ("hell").
  expect(checkBytes(load({ bytes: 1000 * (SIZE - 1) }), ctx(keepalive))).toMatch(/142\.0 bytes per response, expected 143/);
  expect(checkBytes(load(), { ...ctx(keepalive), responseBytes: undefined })).toBeUndefined();
});

test("generator-bound: generator saturated while the server is not", () => {
  const gen = (cpuUs: number) => ({ cpuUs, wallUs: 1e6, cores: 1 });
  expect(isGeneratorBound(gen(980_000), 500_000, 1, 1e6)).toBe(true);
  expect(isGeneratorBound(gen(980_000), 990_000, 1, 1e6)).toBe(false);
  expect(isGeneratorBound(gen(500_000), 500_000, 1, 1e6)).toBe(false);
  // Two server CPUs half busy each: not saturated.
  expect(isGeneratorBound({ cpuUs: 1.9e6, wallUs: 1e6, cores: 2 }, 1e6, 2, 1e6)).toBe(true);
});

test("CPU plan: server first, generator the rest, shared when none is left", () => {
  expect(planCpus(2, 1)).toEqual({ server: "0", serverCores: 1, generator: "1", generatorCores: 1, shared: false });
  expect(planCpus(8, 3)).toEqual({ server: "0-2", serverCores: 3, generator: "3-7", generatorCores: 5, shared: false });
  expect(planCpus(2, 2)).toEqual({ server: "0-1", serverCores: 2, generator: "0-1", generatorCores: 2, shared: true });
});
