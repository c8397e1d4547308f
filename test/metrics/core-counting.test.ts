/**
 * Counting in the core (--metrics-port) and X-Served-By, in-process: with them off the core
 * is the one it was (no wrapper, the same bytes); with counting on the answers are the same
 * bytes in the same writes (a pipelined batch stays one cached buffer), and the counts match.
 */
import { expect, test } from "bun:test";
import { WorkerCounters } from "../../src/metrics/counters.ts";
import { createHttpCore } from "../../src/http/server.ts";
import { connectionCounter } from "../../src/metrics/counting.ts";
import { composeResponder, createSteering } from "../../src/respond/index.ts";
import { FakeClient, TEST_IDENTITY as ID, testConfig } from "../helpers/fake-transport.ts";

const NOW = 1_700_000_000_000;
const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

function run(core: ReturnType<typeof createHttpCore>, reads: string[]): { writes: number; bytes: string } {
  const c = new FakeClient(core);
  for (const r of reads) c.feed(r);
  return { writes: c.transport.writes.length, bytes: new TextDecoder().decode(c.transport.received()) };
}

test("all off: the same bytes and writes as a core without hooks; no responder composed", () => {
  const plain = createHttpCore(testConfig(), null, { now: NOW });
  const watched = createHttpCore(testConfig(), null, { now: NOW, servedBy: null, counter: null });
  const reads = [GET.repeat(16), GET, "HEAD / HTTP/1.0\r\n\r\n"];
  expect(run(watched, reads)).toEqual(run(plain, reads));
  expect(run(plain, reads).bytes).not.toContain("X-Served-By");
  expect(composeResponder(createSteering(testConfig()), "ready", null, ID)).toBeNull();
});

test("--served-by: one more line in every prebuilt answer, nothing else changes", () => {
  const plain = run(createHttpCore(testConfig(), null, { now: NOW }), [GET, "GET / HTTP/1.1\r\n\r\n"]);
  const served = run(createHttpCore(testConfig(), null, { now: NOW, servedBy: "pod-a/42" }), [GET, "GET / HTTP/1.1\r\n\r\n"]);
  expect(served.bytes.replaceAll("X-Served-By: pod-a/42\r\n", "")).toBe(plain.bytes);
  expect(served.bytes.split("X-Served-By: pod-a/42\r\n")).toHaveLength(3); // the answer and the 400
});

test("counting on: the same bytes in the same writes, and the counts of what was sent", () => {
  const reads = [GET.repeat(16), "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", GET];
  const plain = run(createHttpCore(testConfig(), null, { now: NOW }), reads);
  const counters = new WorkerCounters();
  const responder = composeResponder(createSteering(testConfig()), "ready", counters, ID);
  const core = createHttpCore(testConfig(), responder, { now: NOW, counter: connectionCounter(counters) });
  const counted = run(core, reads);
  expect(counted).toEqual(plain);
  expect(counted.writes).toBe(3);
  const s = counters.snapshot();
  expect(s.requests).toEqual({ "http/1.1 GET 200": 17, "http/1.1 HEAD 200": 1 });
  expect(s.accepted).toBe(1);
  expect(s.received).toBe(reads.join("").length);
  expect(s.sent).toBe(plain.bytes.length);
  // A refusal is counted by its reason when its connection is released.
  const bad = new FakeClient(core);
  bad.feed("GET / HTTP/1.1\r\n\r\n");
  bad.transport.close();
  expect(counters.snapshot().refused).toEqual({ MISSING_HOST: 1 });
  expect(counters.snapshot().closed).toBe(1);
});


test("an HTTP/2 stream's request is counted under protocol h2, an HTTP/1.1 one under http/1.1, in one family", async () => {
  const { countingResponder } = await import("../../src/metrics/counting.ts");
  const counters = new WorkerCounters();
  const responder = countingResponder(counters, 200, null);
  const h2 = { protocol: "h2", method: "POST", target: "/", streamId: 1, fields: { get: () => null, forEach() {} }, bodyLength: 0, peer: null, local: null, tls: false } as const;
  const finished = { bodyLength: 0, body: null, isHead: false };
  responder.answer(responder.plan(h2)!, finished);
  responder.answer(responder.plan({ ...h2, method: "BREW" })!, finished);
  expect(counters.snapshot().requests).toEqual({ "h2 POST 200": 1, "h2 OTHER 200": 1 });
});
