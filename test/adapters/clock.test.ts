/** The socket back ends' clock (src/adapters/clock.ts) and the loops' wait (src/io/turns.ts) honour nextTimeout() and onWake. */
import { expect, test } from "bun:test";
import { runClock } from "../../src/adapters/clock.ts";
import type { ServedCore } from "../../src/contract/socket.ts";
import { LoopTurns } from "../../src/io/turns.ts";

function fakeCore(next: () => number): ServedCore<null> & { ticks: number[] } {
  const ticks: number[] = [];
  return {
    ticks,
    handler: { open: () => null, data() {}, drain() {}, end() {}, close() {} },
    tick: (now) => void ticks.push(performance.now()),
    clock() {},
    nextTimeout: next,
    onWake: null,
  };
}

const until = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("ticks re-arm from nextTimeout(), and stop() ends them", async () => {
  const core = fakeCore(() => 20);
  const started = performance.now();
  const clock = runClock(core);
  await until(110);
  clock.stop();
  const n = core.ticks.length;
  expect(n).toBeGreaterThanOrEqual(3);
  expect(n).toBeLessThanOrEqual(6);
  expect(core.ticks[0]! - started).toBeGreaterThanOrEqual(19);
  expect(core.onWake).toBeNull();
  await until(50);
  expect(core.ticks.length).toBe(n);
});

test("onWake(ms) brings the next tick forward, within a few ms; a later wake changes nothing", async () => {
  const core = fakeCore(() => 1000);
  const clock = runClock(core);
  try {
    const asked = performance.now();
    core.onWake!(15);
    core.onWake!(500);
    await until(60);
    expect(core.ticks.length).toBe(1);
    const late = core.ticks[0]! - asked - 15;
    expect(late).toBeGreaterThanOrEqual(-1);
    expect(late).toBeLessThan(10);
  } finally {
    clock.stop();
  }
});

test("a wake armed inside a tick is kept, not doubled", async () => {
  let first = true;
  const core = fakeCore(() => 1000);
  core.tick = () => {
    core.ticks.push(performance.now());
    if (first) {
      first = false;
      core.onWake!(10);
    }
  };
  const clock = runClock(core);
  try {
    core.onWake!(5);
    await until(60);
    expect(core.ticks.length).toBe(2);
  } finally {
    clock.stop();
  }
});

test("the loops' wait is cut short when nextTimeout() falls during a turn, and never pushed back", () => {
  let next = 1000;
  const turns = new LoopTurns({ tick() {}, nextTimeout: () => next }, "bun");
  turns.due(0, () => {}, () => {});
  expect(turns.waitMs(0, 20)).toBe(20);
  next = 5;
  expect(turns.waitMs(10, 100)).toBe(5);
  next = 1000;
  expect(turns.waitMs(12, 100)).toBe(3);
});
