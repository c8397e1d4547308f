/**
 * The fuzzer's judge and its minimiser, on hand-made verdicts and real
 * inputs: a checker that cannot fail proves nothing.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConformanceFile } from "../helpers/conformance.ts";
import { compare, Outcome } from "./classify.ts";
import { helloVerdict } from "./hello.ts";
import { minimiseAndSave } from "./minimise.ts";
import { LlhttpOracle } from "./oracle.ts";
import { End, type Verdict } from "./verdict.ts";

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const v = (m: Array<[number, number]>, end: Verdict["end"], extra: Partial<Verdict> = {}): Verdict => ({ m, end, ...extra });

test("different ends of the same request are a framing disagreement", () => {
  const input = bytes("x".repeat(40));
  expect(compare(input, v([[20, 25]], End.COMPLETE), v([[20, 30]], End.COMPLETE)).outcome).toBe(Outcome.FRAMING);
  // One side sees a whole request where the other still waits for its body.
  expect(compare(input, v([[20, 25]], End.COMPLETE), v([], End.INCOMPLETE, { head: 20 })).outcome).toBe(Outcome.FRAMING);
  expect(compare(input, v([], End.INCOMPLETE, { head: 20 }), v([[20, 25]], End.COMPLETE)).outcome).toBe(Outcome.FRAMING);
  expect(compare(input, v([], End.INCOMPLETE, { head: 20 }), v([], End.INCOMPLETE, { head: 22 })).outcome).toBe(Outcome.FRAMING);
});

test("accepting what llhttp refuses is lenient, refusing what it accepts is strict, and each gets a class", () => {
  const input = bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  const lenient = compare(input, v([[27, 27]], End.COMPLETE), v([], End.REFUSED, { at: 22, code: "HPE_X" }));
  expect(lenient).toEqual({ outcome: Outcome.LENIENT, cls: "HPE_X in host-value at HEXDIG" });
  const strict = compare(input, v([], End.REFUSED, { at: 26, code: "MISSING_HOST" }), v([[27, 27]], End.COMPLETE));
  expect(strict).toEqual({ outcome: Outcome.STRICT, cls: "refuses MISSING_HOST" });
  expect(compare(input, v([[27, 27]], End.COMPLETE), v([[27, 27]], End.COMPLETE)).outcome).toBe(Outcome.AGREE);
});

test("real verdicts: a chunk-ext BWS is a listed leniency, a smuggling pair is refused by both", async () => {
  const oracle = new LlhttpOracle();
  try {
    const bws = bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 ;a\r\nhello\r\n0\r\n\r\n");
    const [l1] = await oracle.verdicts([bws]);
    expect(compare(bws, helloVerdict(bws), l1!)).toEqual({ outcome: Outcome.LENIENT, cls: "HPE_INVALID_CHUNK_SIZE in chunk-line at SP" });
    const pair = bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    const [l2] = await oracle.verdicts([pair]);
    expect(helloVerdict(pair).end).toBe(End.REFUSED);
    expect(l2!.end).toBe(End.REFUSED);
  } finally {
    await oracle.close();
  }
});

test("issue 16: a chunked that is not final, an unrepresentable length, a 100 KB method and a collapsible Content-Length are refused, as llhttp refuses them", async () => {
  const inputs: Array<[string, string]> = [
    ["POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", "CHUNKED_NOT_FINAL"],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", "BAD_CONTENT_LENGTH"],
    ["POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF0\r\n", "BAD_CHUNK"],
    [`${"M".repeat(100 * 1024)} / HTTP/1.1\r\nHost: a\r\n\r\n`, "METHOD_NOT_IMPLEMENTED"],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000,1000\r\n\r\n", "BAD_CONTENT_LENGTH"],
    ["POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", "BAD_CONTENT_LENGTH"],
  ];
  const oracle = new LlhttpOracle();
  try {
    const llhttps = await oracle.verdicts(inputs.map(([s]) => bytes(s)));
    inputs.forEach(([s, kind], i) => {
      const hello = helloVerdict(bytes(s));
      expect(hello.code).toBe(kind);
      expect(llhttps[i]!.end).toBe(End.REFUSED);
      expect(compare(bytes(s), hello, llhttps[i]!).outcome).toBe(Outcome.AGREE);
    });
  } finally {
    await oracle.close();
  }
});

test("a failure is minimised and saved as a conformance case that parses", async () => {
  const input = bytes("GET /a/b?c HTTP/1.1\r\nAccept: */*\r\nX-A: 1\r\n\r\n");
  const oracle = new LlhttpOracle();
  const [llhttp] = await oracle.verdicts([input]);
  const hello = helloVerdict(input);
  const diff = compare(input, hello, llhttp!);
  expect(diff.cls).toBe("refuses MISSING_HOST");
  const file = join(mkdtempSync(join(tmpdir(), "hello-diff-")), "found.txt");
  await minimiseAndSave({ input: { index: 7, bytes: input, how: ["test"] }, hello, llhttp: llhttp!, diff }, 1, file);
  const [saved] = parseConformanceFile("found.txt", readFileSync(file, "utf8"));
  expect(saved!.input.length).toBeLessThan(input.length);
  // Still the same difference, and the case expects llhttp's reading: one request answered.
  const [again] = await oracle.verdicts([saved!.input]);
  await oracle.close();
  expect(compare(saved!.input, helloVerdict(saved!.input), again!).cls).toBe("refuses MISSING_HOST");
  expect(saved!.responses.map((r) => r.statuses[0])).toEqual([200]);
});
