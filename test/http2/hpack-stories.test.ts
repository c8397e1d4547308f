/**
 * Every story of hpack-test-case (shipped by the npm package hpack 1.0.0):
 * each story's cases decoded in order by one decoder, each header list
 * compared with the story's. Stories encoded for drafts before 9 (draft 5, 7
 * and 8: another static table and Huffman code) are not RFC 7541; Debian's
 * python3-hpack refuses or misreads all but one of their 3,000-odd cases
 * too, so they are counted as left out, by name, not decoded.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HpackDecoder, HpackResult } from "../../src/http2/hpack/index.ts";
import { hex, type Field } from "./hpack-rfc7541-cases.ts";

const ROOT = join(import.meta.dir, "../../node_modules/hpack/test/hpack-test-case");

/** The first draft whose wire format is RFC 7541's. */
const FINAL_DRAFT = 9;

interface StoryCase {
  readonly seqno?: number;
  readonly header_table_size?: number;
  readonly wire: string;
  readonly headers: ReadonlyArray<Record<string, string>>;
}

/** Directories with encoded stories (raw-data holds header lists only; util holds a script). */
const encoders = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== "raw-data" && d.name !== "util")
  .map((d) => d.name)
  .sort();

/** One char per octet, as the decoder gives them: the stories' JSON holds UTF-8 text. */
function octets(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let out = "";
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

function draftOf(dir: string): number {
  const first = readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(".json")).sort()[0]!;
  return (JSON.parse(readFileSync(join(ROOT, dir, first), "utf8")) as { draft: number }).draft;
}

test("the stories are there; only the pre-RFC drafts are left out", () => {
  expect(encoders.length).toBe(14);
  const early = encoders.filter((d) => draftOf(d) < FINAL_DRAFT).map((d) => `${d}@${draftOf(d)}`);
  expect(early).toEqual(["hyper-hpack@8", "node-http2-protocol@5", "twitter-hpack@7"]);
});

for (const dir of encoders.filter((d) => draftOf(d) >= FINAL_DRAFT)) {
  describe(`hpack-test-case/${dir}`, () => {
    const stories = readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(".json")).sort();
    test(`${stories.length} stories, every case in order`, () => {
      expect(stories.length).toBeGreaterThan(0);
      let cases = 0;
      for (const story of stories) {
        const parsed = JSON.parse(readFileSync(join(ROOT, dir, story), "utf8")) as { cases: StoryCase[] };
        let decoder: HpackDecoder | null = null;
        for (const [seqno, c] of parsed.cases.entries()) {
          const size = c.header_table_size ?? 4096;
          if (decoder === null) decoder = new HpackDecoder(size);
          else if (c.header_table_size !== undefined) decoder.setMaxTableSize(size);
          const wire = hex(c.wire);
          const got: Field[] = [];
          const result = decoder.decode(wire, 0, wire.length, 1 << 24, (n, v) => got.push([n, v]));
          const want = c.headers.map((h) => {
            const [name, value] = Object.entries(h)[0]!;
            return [octets(name), octets(value)] as const;
          });
          expect({ story, seqno, result }).toEqual({ story, seqno, result: HpackResult.OK });
          expect({ story, seqno, got }).toEqual({ story, seqno, got: want.map((f) => [...f] as const) });
          cases++;
        }
      }
      expect(cases).toBeGreaterThan(0);
    });
  });
}
