/**
 * Mutation fuzzing of the core, in-process and deterministic (seeded): valid
 * requests with bytes flipped, inserted, deleted and duplicated, fed in random
 * splits. Whatever arrives, the core must not throw, must answer only with
 * well-formed responses, and after an error response (4xx/5xx) must end the
 * connection. A worker never dies from one client's bytes.
 */
import { expect, test } from "bun:test";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";
import { parseAllResponses } from "../helpers/http-parse.ts";
import { rng } from "../helpers/rng.ts";

const SEEDS = [
  "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
  // No HEAD: its answer has a Content-Length and no body, which this check cannot tell apart.
  "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
  "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
  "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
].map((s) => new TextEncoder().encode(s));

const INTERESTING = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x3a, 0x3b, 0x2c, 0x30, 0x39, 0x46, 0x7f, 0x80, 0xff];

function mutate(next: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(next() * n);
  const parts: number[] = [];
  const pipeline = 1 + pick(3);
  for (let i = 0; i < pipeline; i++) parts.push(...SEEDS[pick(SEEDS.length)]!);
  const edits = 1 + pick(4);
  for (let e = 0; e < edits; e++) {
    const at = pick(parts.length + 1);
    switch (pick(4)) {
      case 0:
        parts[at] = INTERESTING[pick(INTERESTING.length)]!;
        break;
      case 1:
        parts.splice(at, 0, next() < 0.5 ? INTERESTING[pick(INTERESTING.length)]! : pick(256));
        break;
      case 2:
        parts.splice(at, 1 + pick(4));
        break;
      default:
        parts.splice(at, 0, ...parts.slice(at, at + 1 + pick(16)));
    }
  }
  return Uint8Array.from(parts.slice(0, 4096));
}

test("20,000 mutated inputs in random splits: no throw, well-formed answers, an error ends the connection", () => {
  const next = rng(0x5eed);
  for (let i = 0; i < 20_000; i++) {
    const input = mutate(next);
    const h = new CoreHarness(testConfig({ maxBodySize: 64, maxHeaderSize: 256 }));
    let pos = 0;
    while (pos < input.length && !h.transport.ended) {
      const n = 1 + Math.floor(next() * 64);
      h.feed(input.subarray(pos, pos + n));
      pos += n;
    }
    const responses = parseAllResponses(h.transport.received(), (statuses) => statuses[statuses.length - 1]! < 200);
    const firstError = responses.findIndex((r) => r.status >= 400);
    if (firstError !== -1) {
      // The error is the last answer on the connection, and the connection ends after it.
      expect(firstError).toBe(responses.length - 1);
      expect(h.transport.ended).toBe(true);
    }
    expect(h.transport.writesAfterClose).toBe(0);
  }
});
