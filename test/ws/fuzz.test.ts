/**
 * A mutation fuzzer over valid frame sequences (seeded, bounded): whatever the bytes, the session
 * never faults, always finishes the read it was given, and only sends well-formed server frames
 * whose close codes are RFC 6455's.
 */
import { expect, test } from "bun:test";
import { seededRandom, type Random } from "../../src/respond/random.ts";
import { isSendableCloseCode } from "../../src/ws/constants.ts";
import { clientFrame } from "./frames.ts";
import { SessionHarness } from "./session-harness.ts";

const ROUNDS = 3000;

function pick<T>(r: Random, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function bytes(r: Random, n: number, utf8: boolean): number[] {
  const out: number[] = [];
  while (out.length < n) {
    if (!utf8) out.push(Math.floor(r() * 256));
    else out.push(...new TextEncoder().encode(pick(r, ["a", "é", "€", "😀", " "])));
  }
  return out;
}

/** A valid sequence: messages (some fragmented), pings and pongs between, sometimes a close at the end. */
function validSequence(r: Random): number[] {
  const out: number[] = [];
  const items = 1 + Math.floor(r() * 6);
  for (let i = 0; i < items; i++) {
    const kind = r();
    const mask = [0, 1, 2, 3].map(() => Math.floor(r() * 256));
    if (kind < 0.2) out.push(...clientFrame({ opcode: pick(r, [9, 10]), payload: bytes(r, Math.floor(r() * 20), false), mask }));
    else {
      const opcode = r() < 0.5 ? 1 : 2;
      const fragments = 1 + Math.floor(r() * 3);
      for (let f = 0; f < fragments; f++) {
        const size = pick(r, [0, 1, 5, 125, 126, 300]);
        out.push(...clientFrame({ opcode: f === 0 ? opcode : 0, fin: f === fragments - 1, payload: bytes(r, size, opcode === 1), mask }));
      }
    }
  }
  if (r() < 0.3) out.push(...clientFrame({ opcode: 8, payload: [0x03, 0xe8] }));
  return out;
}

function mutate(r: Random, input: number[]): number[] {
  const out = input.slice();
  const edits = 1 + Math.floor(r() * 4);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = Math.floor(r() * out.length);
    const op = r();
    if (op < 0.4) out[at] = out[at]! ^ (1 << Math.floor(r() * 8));
    else if (op < 0.6) out[at] = Math.floor(r() * 256);
    else if (op < 0.75) out.splice(at, 1 + Math.floor(r() * 4));
    else if (op < 0.9) out.splice(at, 0, ...bytes(r, 1 + Math.floor(r() * 4), false));
    else out.length = at;
  }
  return out;
}

/** Parses what the server sent; returns an error text or null. */
function checkServerOutput(sent: Uint8Array): string | null {
  let pos = 0;
  let closed = false;
  while (pos < sent.length) {
    if (closed) return "bytes after the server's close frame";
    if (pos + 2 > sent.length) return "a truncated header";
    const b0 = sent[pos]!;
    const b1 = sent[pos + 1]!;
    if ((b0 & 0xf0) !== 0x80) return `FIN/RSV wrong: ${b0.toString(16)}`;
    const opcode = b0 & 0x0f;
    if (![1, 2, 8, 9, 10].includes(opcode)) return `opcode ${opcode}`;
    if (b1 & 0x80) return "a masked server frame";
    let len = b1 & 0x7f;
    let at = pos + 2;
    if (len === 126) {
      len = (sent[at]! << 8) | sent[at + 1]!;
      at += 2;
    } else if (len === 127) {
      len = sent[at + 4]! * 2 ** 24 + ((sent[at + 5]! << 16) | (sent[at + 6]! << 8) | sent[at + 7]!);
      at += 8;
    }
    if (at + len > sent.length) return "a truncated payload";
    if (opcode === 8) {
      closed = true;
      if (len === 1 || len > 2) return `close body of ${len} bytes`;
      if (len === 2) {
        const code = (sent[at]! << 8) | sent[at + 1]!;
        if (!isSendableCloseCode(code)) return `close code ${code}`;
      }
    }
    pos = at + len;
  }
  return null;
}

test(`${ROUNDS} mutated frame sequences: no fault, only well-formed frames and RFC close codes`, () => {
  const r = seededRandom(0x5eed);
  const codes = new Map<number, number>();
  for (let round = 0; round < ROUNDS; round++) {
    const input = Uint8Array.from(mutate(r, validSequence(r)));
    const h = new SessionHarness({ maxMessage: 1024 });
    // Random read boundaries, so the reader's resumption points are fuzzed too.
    let pos = 0;
    while (pos < input.length) {
      const n = 1 + Math.floor(r() * 64);
      h.feed(input.subarray(pos, pos + n));
      pos += n;
    }
    h.session.onEnd();
    const problem = checkServerOutput(h.transport.received());
    if (problem !== null) throw new Error(`round ${round}: ${problem}; input ${Buffer.from(input).toString("hex")}`);
    // 1011 is what the session reports when an exception reached it: a bug, not the input.
    if (h.closedWith === 1011) throw new Error(`round ${round}: internal fault; input ${Buffer.from(input).toString("hex")}`);
    expect(h.transport.closed).toBe(true);
    codes.set(h.closedWith!, (codes.get(h.closedWith!) ?? 0) + 1);
  }
  // The mutations reach the violations, not only the happy path.
  for (const code of [1000, 1002, 1006, 1007]) expect(codes.get(code) ?? 0).toBeGreaterThan(10);
});
