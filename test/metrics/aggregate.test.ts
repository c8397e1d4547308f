/**
 * The supervisor's sums (src/metrics/aggregate.ts) and their exposition: a replaced worker's
 * counts stay in the totals, open connections are the live workers' only, and the text is
 * what `promtool check metrics` accepts (checked where promtool is installed).
 */
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { Aggregator } from "../../src/metrics/aggregate.ts";
import { Fault, WorkerCounters } from "../../src/metrics/counters.ts";
import { renderMetrics } from "../../src/metrics/exposition.ts";
import { MessageReader, encodeMessage } from "../../src/spawner/protocol.ts";
import { promtool } from "./tools.ts";

const INFO = { version: "0.1.0", runtime: "bun", io: "socket", startTimeSeconds: 1_700_000_000 };

function counters(requests: number, accepted: number, closed: number): WorkerCounters {
  const c = new WorkerCounters();
  c.requests[1 * 1000 + 200] = requests; // GET 200
  c.accepted = accepted;
  c.closed = closed;
  c.received = requests * 30;
  c.sent = requests * 100;
  return c;
}

test("totals: live workers' last reports plus what exited workers had counted; open connections of live workers only", () => {
  const pod = new Aggregator();
  pod.started(1);
  pod.started(2);
  pod.update(1, counters(10, 3, 1).snapshot());
  pod.update(2, counters(5, 2, 2).snapshot());
  pod.update(1, counters(12, 4, 2).snapshot()); // a later report replaces the earlier one
  let t = pod.totals();
  expect(t.requests).toEqual({ "http/1.1 GET 200": 17 });
  expect([t.accepted, t.open, t.workers, t.workerStarts, t.workerExits]).toEqual([6, 2, 2, 2, 0]);
  // Worker 1 is replaced: its 12 requests stay, its open connections go.
  pod.exited(1, true);
  pod.started(3);
  t = pod.totals();
  expect(t.requests).toEqual({ "http/1.1 GET 200": 17 });
  expect([t.accepted, t.open, t.workers, t.workerStarts, t.workerExits]).toEqual([6, 0, 2, 3, 1]);
  pod.update(3, counters(1, 1, 0).snapshot());
  expect(pod.totals().requests).toEqual({ "http/1.1 GET 200": 18 });
  expect(pod.totals().received).toBe(18 * 30);
});

test("a worker's report goes up the pipe and comes back as the same snapshot", () => {
  const c = counters(7, 2, 1);
  c.refuse("HEADERS_TOO_LARGE");
  c.faults[Fault.reset]!++;
  const line = encodeMessage({ kind: "metrics", counters: c.snapshot() });
  const [m] = new MessageReader().push(line);
  expect(m).toEqual({ kind: "metrics", counters: c.snapshot() });
  expect(c.snapshot().refused).toEqual({ HEADERS_TOO_LARGE: 1 });
  expect(c.snapshot().faults).toEqual({ reset: 1 });
});

test("exposition: every family with HELP and TYPE, counters end in _total, promtool accepts it", () => {
  const pod = new Aggregator();
  pod.started(1);
  pod.update(1, counters(3, 1, 0).snapshot());
  const text = renderMetrics(pod.totals(), INFO);
  expect(text).toContain('hello_requests_total{method="GET",code="200",protocol="http/1.1"} 3\n');
  expect(text).toContain('hello_requests_refused_total{reason="headers_too_large",code="431"} 0\n');
  expect(text).toContain('hello_build_info{version="0.1.0",runtime="bun",io="socket"} 1\n');
  for (const m of text.matchAll(/^# TYPE (\S+) counter$/gm)) expect(m[1]!.endsWith("_total")).toBe(true);
  const tool = promtool();
  if (tool === null) console.warn("SKIPPED promtool check metrics: promtool is not installed (apt-get install prometheus)");
  else expect(execFileSync(tool, ["check", "metrics"], { input: text, encoding: "utf8" })).toBe("");
});

test("WebSocket, HTTP/2 and gRPC: summed over workers (open WebSockets of live workers only), one family or label each, promtool accepts them", async () => {
  const { grpcCallCounter, webSocketCounters } = await import("../../src/metrics/counting.ts");
  const { METHOD_LABELS, ProtocolSlot, STATUS_SLOTS } = await import("../../src/metrics/counters.ts");
  const worker = (open: number, messages: number, h2: number, grpcOk: number): WorkerCounters => {
    const c = counters(1, 1, 0);
    const ws = webSocketCounters(c);
    for (let i = 0; i < open + 1; i++) ws.opened();
    ws.closed(1000);
    for (let i = 0; i < messages; i++) {
      ws.messageReceived();
      ws.messageSent();
    }
    c.requests[(ProtocolSlot.H2 * METHOD_LABELS.length + 1) * STATUS_SLOTS + 200] = h2; // h2 GET 200
    const grpc = grpcCallCounter(c);
    for (let i = 0; i < grpcOk; i++) grpc(0);
    grpc(14);
    grpc(99); // no such code: not counted
    return c;
  };
  const pod = new Aggregator();
  pod.started(1);
  pod.started(2);
  pod.update(1, worker(2, 5, 7, 3).snapshot());
  pod.update(2, worker(1, 4, 1, 1).snapshot());
  pod.exited(2, true);
  const t = pod.totals();
  expect([t.wsOpen, t.wsReceived, t.wsSent]).toEqual([2, 9, 9]);
  expect(t.grpc).toEqual({ "0": 4, "14": 2 });
  const text = renderMetrics(t, INFO);
  expect(text).toContain("hello_websocket_connections 2\n");
  expect(text).toContain("hello_websocket_messages_received_total 9\n");
  expect(text).toContain("hello_websocket_messages_sent_total 9\n");
  expect(text).toContain('hello_requests_total{method="GET",code="200",protocol="h2"} 8\n');
  expect(text).toContain('hello_requests_total{method="GET",code="200",protocol="http/1.1"} 2\n');
  expect(text).toContain('hello_grpc_calls_total{code="0"} 4\n');
  expect(text).toContain('hello_grpc_calls_total{code="14"} 2\n');
  // A report without the new fields (a worker of the previous version during a rolling restart) adds nothing to them.
  const { grpc: _g, ws: _w, ...old } = counters(1, 1, 0).snapshot();
  pod.update(1, old);
  expect(pod.totals().wsOpen).toBe(0);
  const tool = promtool();
  if (tool !== null) expect(execFileSync(tool, ["check", "metrics"], { input: text, encoding: "utf8" })).toBe("");
});

test("faults are counted by kind as they are drawn, in the counters passed in (--reset-rate, --fail-rate, --delay)", async () => {
  const { faultStage } = await import("../../src/respond/faults.ts");
  const counters = new WorkerCounters();
  // A random source that always draws 0: every configured fault fires.
  const always = faultStage({ failRate: 1, failStatus: 503, delay: { min: 0.01, max: 0.01 }, resetRate: 0 }, () => 0, counters);
  for (let i = 0; i < 3; i++) always(null as never, null);
  const reset = faultStage({ failRate: 0, failStatus: 503, delay: null, resetRate: 1 }, () => 0, counters);
  reset(null as never, null);
  expect(counters.snapshot().faults).toEqual({ error: 3, delay: 3, reset: 1 });
  // Without metrics the stage draws the same and counts nowhere.
  const uncounted = faultStage({ failRate: 1, failStatus: 503, delay: null, resetRate: 0 }, () => 0, null);
  expect(uncounted(null as never, null)?.status).toBe(503);
  expect(counters.snapshot().faults).toEqual({ error: 3, delay: 3, reset: 1 });
});
