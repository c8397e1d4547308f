/**
 * performance.now() moved by hand, alongside a CoreHarness's own clock: a delayed answer is timed
 * by performance.now() as well as by the core's ticks, so a test that steps one must step both.
 * Set to 1000 ms before each test of the file that calls it, restored after each.
 */
import { afterEach, beforeEach, spyOn } from "bun:test";
import type { CoreHarness } from "./fake-transport.ts";

/** Installs the hand clock for the calling file; returns the step that moves both clocks by `ms` and ticks the core. */
export function handClock(): (h: CoreHarness, ms: number) => void {
  let now = 1000;
  let spy: ReturnType<typeof spyOn> | undefined;
  beforeEach(() => {
    now = 1000;
    spy = spyOn(performance, "now").mockImplementation(() => now);
  });
  afterEach(() => spy?.mockRestore());
  return (h, ms) => {
    now += ms;
    h.advance(ms);
  };
}
