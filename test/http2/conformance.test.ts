/**
 * RFC 9113 cases as data (test/http2/cases/*.txt): each fed to a session
 * whole, one byte at a time, and split in two at every position; the server's
 * frames must be the same every way.
 */
import { describe, expect, test } from "bun:test";
import { loadCases, type H2Case } from "./cases.ts";
import { Harness, mergeData } from "./helpers.ts";

function run(c: H2Case, pieces: Uint8Array[]): string[] {
  const h = new Harness(c.options);
  for (const p of pieces) h.feed(p);
  return [...mergeData(h.events()), h.transport.ended ? "closed" : "open"];
}

function splits(input: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [[input], Array.from(input, (b) => Uint8Array.of(b))];
  for (let i = 1; i < input.length; i++) out.push([input.subarray(0, i), input.subarray(i)]);
  return out;
}

const cases = loadCases();

describe("HTTP/2 cases", () => {
  test("the case files are read", () => {
    expect(cases.length).toBeGreaterThan(60);
  });
  for (const c of cases) {
    test(`${c.name} ${c.title}`, () => {
      expect(run(c, [c.input])).toEqual(c.expected);
      // Splitting a long input at every point is quadratic: long inputs (the 16 KiB frame) are split less densely.
      const step = c.input.length > 2000 ? 997 : 1;
      const all = splits(c.input).filter((_, i) => i < 2 || (i - 2) % step === 0);
      for (const pieces of all) {
        const got = run(c, pieces);
        if (JSON.stringify(got) !== JSON.stringify(c.expected)) {
          throw new Error(`split into ${pieces.map((p) => p.length).join("+")}: ${got.join("; ")}`);
        }
      }
    });
  }
});
