/**
 * Compares hello-server's verdict on one input with llhttp's and names the
 * difference. A framing disagreement (both accept a request but end it at
 * different bytes, or one sees a whole request where the other waits for
 * more) is always a failure: that is request smuggling. Otherwise the
 * difference gets a class, and the class must be in allowed.txt with the
 * RFC section that permits it.
 */
import { End, type Verdict } from "./verdict.ts";

export const Outcome = {
  AGREE: "agree",
  /** Same bytes, different requests: always a failure. */
  FRAMING: "framing",
  /** hello-server accepts (or keeps open) what llhttp refuses (or closes). */
  LENIENT: "lenient",
  /** hello-server refuses (or closes) what llhttp accepts (or keeps open). */
  STRICT: "strict",
} as const;
export type OutcomeKind = (typeof Outcome)[keyof typeof Outcome];

export interface Difference {
  outcome: OutcomeKind;
  /** What differs, for the report; for LENIENT and STRICT the class looked up in allowed.txt. */
  cls: string;
}

const HEX_START = /^[0-9a-fA-F]/;
const NAMED_FIELDS = new Set(["host", "content-length", "transfer-encoding", "connection", "expect", "upgrade"]);

/** A byte's name in a class: its role, not its value, so one rule covers one kind of input. */
function byteName(b: number | undefined): string {
  if (b === undefined) return "end";
  if (b === 0x0d) return "CR";
  if (b === 0x0a) return "LF";
  if (b === 0x20) return "SP";
  if (b === 0x09) return "HTAB";
  if (b === 0x00) return "NUL";
  if (b < 0x20 || b === 0x7f) return "CTL";
  if (b >= 0x80) return "obs-text";
  if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)) return "HEXDIG";
  if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) return "ALPHA";
  return JSON.stringify(String.fromCharCode(b));
}

/** Which element of which request holds byte `at`, according to hello-server's framing. */
function elementAt(input: Uint8Array, hello: Verdict, at: number): string {
  let start = 0;
  let headEnd = hello.head ?? Number.POSITIVE_INFINITY;
  for (const [h, e] of hello.m) {
    if (at < e) {
      headEnd = h;
      break;
    }
    start = e;
  }
  let lineStart = at;
  while (lineStart > start && input[lineStart - 1] !== 0x0a) lineStart--;
  if (at >= headEnd) return HEX_START.test(String.fromCharCode(...input.subarray(lineStart, Math.min(at + 1, lineStart + 2)))) ? "chunk-line" : "body";
  // Skip the empty lines a request may follow (RFC 9112 §2.2).
  let first = start;
  while (first < input.length && (input[first] === 0x0d || input[first] === 0x0a)) first++;
  if (lineStart <= first) return "request-line";
  let colon = lineStart;
  while (colon < at && input[colon] !== 0x3a && input[colon] !== 0x0d) colon++;
  if (input[colon] !== 0x3a) return "field-name";
  const name = String.fromCharCode(...input.subarray(lineStart, colon)).toLowerCase();
  return `${NAMED_FIELDS.has(name) ? name : "field"}-value`;
}

function sameMessage(a: readonly [number, number], b: readonly [number, number]): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

export function compare(input: Uint8Array, hello: Verdict, llhttp: Verdict): Difference {
  const n = Math.min(hello.m.length, llhttp.m.length);
  for (let i = 0; i < n; i++) {
    if (!sameMessage(hello.m[i]!, llhttp.m[i]!)) return { outcome: Outcome.FRAMING, cls: `request ${i + 1} ends at ${hello.m[i]} vs ${llhttp.m[i]}` };
  }
  const lenient = (why: string): Difference => ({ outcome: Outcome.LENIENT, cls: why });
  const strict = (why: string): Difference => ({ outcome: Outcome.STRICT, cls: why });
  if (hello.m.length > n) {
    // hello-server accepted a request llhttp did not.
    switch (llhttp.end) {
      case End.UPGRADE:
        return lenient("answers after an Upgrade request");
      case End.CLOSED:
        return lenient("keeps the connection where llhttp closes");
      case End.REFUSED:
        return lenient(`${llhttp.code} in ${elementAt(input, hello, llhttp.at!)} at ${byteName(input[llhttp.at!])}`);
      default:
        return { outcome: Outcome.FRAMING, cls: `hello-server ends request ${n + 1} at ${hello.m[n]}, llhttp is ${llhttp.end}` };
    }
  }
  if (llhttp.m.length > n) {
    switch (hello.end) {
      case End.REFUSED:
        return strict(`refuses ${hello.code}`);
      case End.CLOSED:
        return strict("closes where llhttp keeps the connection");
      default:
        return { outcome: Outcome.FRAMING, cls: `llhttp ends request ${n + 1} at ${llhttp.m[n]}, hello-server is ${hello.end}` };
    }
  }
  // Same requests; compare how the input ended.
  if (hello.end === llhttp.end) {
    if (hello.end === End.INCOMPLETE && hello.head !== llhttp.head) return { outcome: Outcome.FRAMING, cls: `unfinished request's head ends at ${hello.head} vs ${llhttp.head}` };
    return { outcome: Outcome.AGREE, cls: "" };
  }
  if (hello.end === End.REFUSED) return llhttp.end === End.CLOSED || llhttp.end === End.UPGRADE ? { outcome: Outcome.AGREE, cls: "" } : strict(`refuses ${hello.code}`);
  if (llhttp.end === End.REFUSED) {
    if (hello.end === End.CLOSED) return { outcome: Outcome.AGREE, cls: "" };
    // hello-server waits for (or has used up) bytes llhttp refused.
    return lenient(`${llhttp.code} in ${elementAt(input, hello, llhttp.at!)} at ${byteName(input[llhttp.at!])}${hello.end === End.INCOMPLETE ? " (still arriving)" : ""}`);
  }
  if (hello.end === End.CLOSED) return strict("closes where llhttp keeps the connection");
  if (llhttp.end === End.CLOSED || llhttp.end === End.UPGRADE) return { outcome: Outcome.AGREE, cls: "" };
  // One sees a complete input, the other waits for more: they disagree on where a request ends.
  return { outcome: Outcome.FRAMING, cls: `hello-server is ${hello.end}${hello.head !== undefined ? ` head@${hello.head}` : ""}, llhttp is ${llhttp.end}${llhttp.head !== undefined ? ` head@${llhttp.head}` : ""}` };
}
