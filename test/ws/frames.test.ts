/** Every frame case of test/ws/cases/, fed whole, one byte per read, and split in two at every position. */
import { describe, expect, test } from "bun:test";
import { SessionPhase } from "../../src/ws/session.ts";
import { loadFrameCases, type FrameCase } from "./frames.ts";
import { SessionHarness } from "./session-harness.ts";

const cases = loadFrameCases();

/** Feeds `reads` in order and returns what the server sent and whether it ended the connection. */
function run(c: FrameCase, reads: Uint8Array[]): { sent: Uint8Array; ended: boolean; phase: number; h: SessionHarness } {
  const h = new SessionHarness({ maxMessage: c.maxMessage });
  for (const r of reads) h.feed(r);
  return { sent: h.transport.received(), ended: h.transport.ended, phase: h.session.phase, h };
}

function check(c: FrameCase, reads: Uint8Array[], how: string): void {
  const { sent, ended, phase } = run(c, reads);
  if (!Buffer.from(sent).equals(Buffer.from(c.output))) {
    throw new Error(`${c.name} (${c.title}) fed ${how}: sent ${hex(sent)}\n  expected ${hex(c.output)}`);
  }
  if (ended !== c.closes) throw new Error(`${c.name} (${c.title}) fed ${how}: ${c.closes ? "did not close" : "closed"}`);
  if (!c.closes && phase !== SessionPhase.OPEN) throw new Error(`${c.name} fed ${how}: phase ${phase}, expected OPEN`);
}

function hex(b: Uint8Array): string {
  const s = Buffer.from(b.subarray(0, 48)).toString("hex").replace(/(..)/g, "$1 ");
  return b.length > 48 ? `${s}… (${b.length} bytes)` : s;
}

/** Split points: every one for small inputs; for large ones, every one near the start and end plus a stride through the middle. */
function splitPoints(n: number): number[] {
  if (n <= 600) return Array.from({ length: n - 1 }, (_, i) => i + 1);
  const points = new Set<number>();
  for (let i = 1; i < 40; i++) points.add(i).add(n - i);
  for (let i = 40; i < n - 40; i += 997) points.add(i);
  return [...points].sort((a, b) => a - b);
}

describe("frame cases", () => {
  test("the data files hold cases", () => {
    expect(cases.length).toBeGreaterThan(70);
  });

  for (const c of cases) {
    test(`${c.name} ${c.title}`, () => {
      check(c, [c.input], "whole");
      const bytes: Uint8Array[] = [];
      if (c.input.length <= 4096) {
        for (let i = 0; i < c.input.length; i++) bytes.push(c.input.subarray(i, i + 1));
        check(c, bytes, "byte by byte");
      }
      for (const at of splitPoints(c.input.length)) check(c, [c.input.subarray(0, at), c.input.subarray(at)], `split at ${at}`);
    });
  }
});

describe("one read, one write", () => {
  test("every frame a read produces goes out in a single transport.write", () => {
    const c = cases.find((x) => x.title.startsWith("three messages in one read"))!;
    const { h } = run(c, [c.input]);
    expect(h.transport.writes.length).toBe(1);
    expect(h.messagesIn).toBe(3);
    expect(h.messagesOut).toBe(3);
  });
});
