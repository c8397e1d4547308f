/**
 * Every conformance case (test/conformance/*.txt) fed to the HTTP core
 * in-process, three ways: in one read, one byte per read, and split in two
 * reads at every position. The outcome must not depend on how the bytes
 * arrive, and the answers to one read must leave in one write.
 */
import { describe, expect, test } from "bun:test";
import { checkOutcome, loadConformanceCases, type ConformanceCase } from "../helpers/conformance.ts";
import { CoreHarness } from "../helpers/fake-transport.ts";

const cases = loadConformanceCases();

/** Inputs up to this size are fed one byte per read; larger ones in small odd-sized pieces. */
const BYTEWISE_MAX = 16 * 1024;
const LARGE_PIECE = 997;
/** Inputs up to this size are split at every position; larger ones at a fixed pseudo-random sample. */
const EVERY_SPLIT_MAX = 2048;
const SAMPLED_SPLITS = 40;

interface Run {
  problems: string[];
}

function run(c: ConformanceCase, reads: Uint8Array[]): Run {
  const h = new CoreHarness();
  const problems: string[] = [];
  for (const [i, read] of reads.entries()) {
    if (h.transport.ended) break; // a real socket delivers nothing after close; after FIN the core discards
    const writes = h.feed(read);
    // may_minihttp's rule: all answers to one read leave in one write.
    if (writes > 1) problems.push(`read ${i} (${read.length} bytes) caused ${writes} writes`);
  }
  if (h.transport.writesAfterClose > 0) problems.push(`${h.transport.writesAfterClose} writes after close`);
  if (h.transport.pauses > 0) problems.push("paused although the transport took everything");
  problems.push(...checkOutcome(c, h.transport.received(), h.transport.ended));
  return { problems };
}

function pieces(input: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < input.length; i += size) out.push(input.subarray(i, i + size));
  return out;
}

/** Deterministic split points: the same run every time, so a failure reproduces. */
function splitPoints(length: number): number[] {
  if (length <= EVERY_SPLIT_MAX) return Array.from({ length: length - 1 }, (_, i) => i + 1);
  let seed = length;
  const points = new Set<number>([1, length - 1]);
  while (points.size < SAMPLED_SPLITS) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    points.add(1 + (seed % (length - 1)));
  }
  return [...points];
}

function assertClean(label: string, r: Run): void {
  if (r.problems.length > 0) throw new Error(`${label}: ${r.problems.join("; ")}`);
}

test("the conformance data files parse and cover every topic", () => {
  const files = new Set(cases.map((c) => c.name.split(":")[0]));
  for (const topic of ["request-line", "headers", "content-length", "transfer-encoding", "chunked", "connection", "pipelining", "limits", "expect", "garbage"]) {
    expect(files.has(`${topic}.txt`)).toBe(true);
  }
  expect(cases.length).toBeGreaterThan(100);
});

for (const c of cases) {
  describe(`${c.name} ${c.title}`, () => {
    test("whole", () => assertClean("whole", run(c, [c.input])));

    test("one byte per read", () => {
      const size = c.input.length <= BYTEWISE_MAX ? 1 : LARGE_PIECE;
      assertClean(`pieces of ${size}`, run(c, pieces(c.input, size)));
    });

    test("split in two reads at every position", () => {
      const failures: string[] = [];
      for (const at of splitPoints(c.input.length)) {
        const r = run(c, [c.input.subarray(0, at), c.input.subarray(at)]);
        if (r.problems.length > 0) failures.push(`split at ${at}: ${r.problems.join("; ")}`);
        if (failures.length >= 3) break;
      }
      if (failures.length > 0) throw new Error(failures.join("\n"));
    });
  });
}
