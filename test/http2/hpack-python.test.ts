/**
 * Differential run against Debian's python3-hpack (test/http2/hpack-python.py):
 * blocks python's stateful Encoder makes (Huffman on and off, table-size
 * changes, never-indexed fields, all 256 octets) decoded by ours in order;
 * and our stateless response and trailer blocks decoded by python's Decoder.
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { HpackDecoder, HpackResult, encodeResponseHeaders, encodeTrailers } from "../../src/http2/hpack/index.ts";
import { hex, type Field } from "./hpack-rfc7541-cases.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(import.meta.dir, "hpack-python.py");
const SEEDS = [1, 2, 3];
const PER_SEED = 150;
const STATUSES = [200, 204, 206, 304, 400, 404, 500, 201, 302, 418, 503, 999];

const available = spawnSync(PYTHON, ["-c", "import hpack"]).status === 0;

function python(args: string[], input?: string): string[] {
  const run = spawnSync(PYTHON, [SCRIPT, ...args], { input, encoding: "utf8", maxBuffer: 1 << 28, timeout: 60_000 });
  if (run.status !== 0) throw new Error(`hpack-python.py ${args.join(" ")} failed: ${run.stderr}`);
  return run.stdout.split("\n").filter((line) => line.length > 0);
}

interface Encoded {
  readonly wire: string;
  readonly headers: Field[];
  readonly huffman: boolean;
  readonly resized: boolean;
}

function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

describe.skipIf(!available)("HPACK against python3-hpack", () => {
  for (const seed of SEEDS) {
    test(`seed ${seed}: ${PER_SEED} blocks from python's Encoder decode to the same lists`, () => {
      const blocks = python(["encode", String(seed), String(PER_SEED)]).map((l) => JSON.parse(l) as Encoded);
      expect(blocks.length).toBe(PER_SEED);
      const decoder = new HpackDecoder();
      // What the run covered, so a generator that drifts cannot pass by testing less.
      const seen = { huffman: 0, raw: 0, resized: 0, indexedHits: 0 };
      for (const [i, block] of blocks.entries()) {
        const wire = hex(block.wire);
        const got: Field[] = [];
        const result = decoder.decode(wire, 0, wire.length, 1 << 24, (n, v) => got.push([n, v]));
        expect({ i, result }).toEqual({ i, result: HpackResult.OK });
        expect({ i, got }).toEqual({ i, got: block.headers });
        seen[block.huffman ? "huffman" : "raw"]++;
        if (block.resized) {
          expect((wire[0]! & 0xe0) === 0x20).toBe(true);
          seen.resized++;
        }
        if (wire.some((b) => b >= 0xbe)) seen.indexedHits++;
      }
      expect(seen.huffman).toBeGreaterThan(PER_SEED / 4);
      expect(seen.raw).toBeGreaterThan(PER_SEED / 4);
      expect(seen.resized).toBeGreaterThan(0);
      expect(seen.indexedHits).toBeGreaterThan(PER_SEED / 4);
    });

    test(`seed ${seed}: our response and trailer blocks decode in python to the same lists`, () => {
      const lists = python(["encode", String(seed + 100), String(PER_SEED)]).map((l) => (JSON.parse(l) as Encoded).headers);
      const expected: Field[][] = [];
      const lines: string[] = [];
      for (const [i, list] of lists.entries()) {
        const fields = list.filter(([n]) => !n.startsWith(":"));
        let block: Uint8Array;
        if (i % 3 === 2) {
          block = encodeTrailers(fields);
          expected.push(fields);
        } else {
          const status = STATUSES[i % STATUSES.length]!;
          block = encodeResponseHeaders(status, fields);
          expected.push([[":status", String(status)], ...fields]);
        }
        // Our own decoder agrees too, and a stateless block leaves its table empty.
        const ours = new HpackDecoder();
        const got: Field[] = [];
        expect(ours.decode(block, 0, block.length, 1 << 24, (n, v) => got.push([n, v]))).toBe(HpackResult.OK);
        expect(got).toEqual(expected[i]!);
        expect(ours.tableLength).toBe(0);
        lines.push(JSON.stringify({ wire: toHex(block) }));
      }
      const decoded = python(["decode"], lines.join("\n") + "\n").map((l) => (JSON.parse(l) as { headers: Field[] }).headers);
      expect(decoded.length).toBe(lists.length);
      for (const [i, headers] of decoded.entries()) expect({ i, headers }).toEqual({ i, headers: expected[i]! });
    });
  }
});
