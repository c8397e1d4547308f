/**
 * Steering in the core (src/respond/, connection.ts's deferred answers), driven in-process with
 * a fake transport and a fake performance.now(): per-request control and its malformed values,
 * deferred answers kept in order, faults replayed from a seed, run-time state.
 */
import { describe, expect, test } from "bun:test";
import type { Config } from "../../src/config.ts";
import { Limits } from "../../src/http/constants.ts";
import { seededRandom } from "../../src/respond/random.ts";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";
import { handClock } from "../helpers/hand-clock.ts";
import { bodyText, header, parseAllResponses, type ParsedResponse } from "../helpers/http-parse.ts";

const get = (target: string, fields = "") => `GET ${target} HTTP/1.1\r\nHost: a\r\n${fields}\r\n`;

/** Moves both clocks by `ms` and ticks the core. */
const advance = handClock();

function harness(overrides: Partial<Config> = {}): CoreHarness {
  return new CoreHarness(testConfig({ requestControl: true, ...overrides }));
}

function answers(h: CoreHarness, head = false): ParsedResponse[] {
  return parseAllResponses(h.transport.received(), head ? () => true : undefined);
}

function one(overrides: Partial<Config>, request: string, head = false): ParsedResponse {
  const h = harness(overrides);
  h.feed(request);
  const rs = answers(h, head);
  expect(rs.length).toBe(1);
  return rs[0]!;
}

describe("per-request control", () => {
  test("off by default: control parameters are ignored, the prebuilt answer is sent", () => {
    const h = new CoreHarness(testConfig());
    h.feed(get("/?status=500&size=10", "X-Hello-Status: 404\r\n"));
    const [r] = answers(h);
    expect(r!.status).toBe(200);
    expect(bodyText(r!)).toBe("hello");
  });

  test("status= keeps the configured body; X-Hello-Status does the same; the query wins over the header", () => {
    const q = one({}, get("/x?status=418"));
    expect(q.status).toBe(418);
    expect(bodyText(q)).toBe("hello");
    expect(one({}, get("/x", "X-Hello-Status: 201\r\n")).status).toBe(201);
    expect(one({}, get("/x?status=202", "x-hello-status: 503\r\n")).status).toBe(202);
  });

  test("a query parameter and a different control's header both apply; header names in any case, values without their whitespace", () => {
    const r = one({}, get("/?status=201&x=1", "X-HELLO-SIZE: \t 7 \r\nx-hello-close:1\r\n"));
    expect([r.status, r.body.length, header(r, "connection")]).toEqual([201, 7, "close"]);
    // The first of repeated query parameters counts.
    expect(one({}, get("/?status=202&status=203")).status).toBe(202);
  });

  test("204 and 304 go without content (204 without Content-Length too, RFC 9110 §8.6)", () => {
    for (const status of [204, 304]) {
      const h = harness();
      h.feed(get(`/?status=${status}`) + get("/"));
      const rs = parseAllResponses(h.transport.received(), (s) => s[s.length - 1] === 204 || s[s.length - 1] === 304);
      expect(rs.map((r) => r.status)).toEqual([status, 200]);
      expect(rs[0]!.body.length).toBe(0);
      expect(header(rs[0]!, "content-length")).toBeUndefined();
    }
  });

  test("size=N: N pattern bytes (k and M suffixes), HEAD gets the length without the bytes", () => {
    expect(one({}, get("/?size=100")).body.length).toBe(100);
    expect(one({}, get("/", "X-Hello-Size: 2k\r\n")).body.length).toBe(2048);
    expect(one({}, get("/?size=0")).body.length).toBe(0);
    const big = one({}, get("/?size=1M"));
    expect(big.body.length).toBe(1024 * 1024);
    expect(bodyText(big).slice(0, 10)).toBe("0123456789");
    const head = one({}, "HEAD /?size=5000 HTTP/1.1\r\nHost: a\r\n\r\n", true);
    expect(header(head, "content-length")).toBe("5000");
    expect(head.body.length).toBe(0);
  });

  test("a large size= body is written as its own slice, with the core's backpressure", () => {
    const h = harness();
    h.transport.budget = 0;
    h.feed(get("/?size=4M"));
    expect(h.transport.paused).toBe(true);
    h.client.drain();
    // The transport was handed the body itself, not a copy joined to the head.
    expect(h.transport.writes.at(-1)!.length).toBe(4 * 1024 * 1024);
    expect(answers(h)[0]!.body.length).toBe(4 * 1024 * 1024);
    expect(h.transport.paused).toBe(false);
  });

  test("close=1 answers with Connection: close and ends the connection", () => {
    const h = harness();
    h.feed(get("/?close=1") + get("/"));
    const rs = answers(h);
    expect(rs.length).toBe(1);
    expect(header(rs[0]!, "connection")).toBe("close");
    expect(h.transport.ended).toBe(true);
  });

  test("malformed and over-cap values: 400, a one-line reason, Connection: close", () => {
    const cases: Array<[string, string, RegExp]> = [
      [get("/?status=abc"), "", /^status='abc': must be a status code 200\.\.599\n$/],
      [get("/?status=199"), "", /^status='199'/],
      [get("/?status=600"), "", /^status='600'/],
      [get("/?delay=soon"), "", /^delay='soon': must be a duration/],
      [get("/?delay=31s"), "", /^delay='31s': above --max-delay 30s\n$/],
      [get("/?size=-1"), "", /^size='-1': must be a number of bytes/],
      [get("/?size=17M"), "", /^size='17M': above --max-size 16777216 bytes\n$/],
      [get("/?close=yes"), "", /^close='yes': must be 1 or 0/],
      [get("/", "X-Hello-Delay: 1h\r\n"), "", /^delay='1h'/],
      [get("/?status="), "", /^status='': /],
      [get(`/?size=${"9".repeat(100)}`), "", /^size='9{32}…': must be/],
    ];
    for (const [request, , reason] of cases) {
      const h = harness();
      h.feed(request + get("/"));
      const rs = answers(h);
      expect(rs.map((r) => `${r.status} ${bodyText(r)}`)).toEqual([expect.stringMatching(/^400 /)]);
      expect(bodyText(rs[0]!)).toMatch(reason);
      expect(header(rs[0]!, "connection")).toBe("close");
    }
  });

  test("--max-delay and --max-size move the caps", () => {
    expect(one({ maxSize: 10 }, get("/?size=11")).status).toBe(400);
    expect(one({ maxSize: 10 }, get("/?size=10")).body.length).toBe(10);
    expect(one({ maxDelay: 0.1 }, get("/?delay=101ms")).status).toBe(400);
  });

  test("the health path ignores control; unknown parameters and other X- fields are ignored", () => {
    const h = harness({ healthPath: "/healthz" });
    h.feed(get("/healthz?status=500") + get("/?foo=1&statusx=2", "X-Hello: 1\r\nX-Hello-Other: 2\r\n"));
    const rs = answers(h);
    expect(rs.map((r) => r.status)).toEqual([200, 200]);
    expect(bodyText(rs[0]!)).toBe("ok");
    expect(bodyText(rs[1]!)).toBe("hello");
  });
});

describe("deferred answers", () => {
  test("delay=: nothing is written before it is due, the answer after; nextTimeout says when (an integer: Deno's FFI refuses a fraction)", () => {
    const h = harness();
    h.feed(get("/?delay=250ms"));
    expect(h.transport.writes.length).toBe(0);
    expect(h.core.nextTimeout()).toBe(Math.min(250, h.core.tickMs));
    advance(h, 249.5);
    expect(h.transport.writes.length).toBe(0);
    // Whole milliseconds, rounded down: under one millisecond before it is due, the back end turns without waiting.
    expect(h.core.nextTimeout()).toBe(0);
    advance(h, 0.25);
    expect(h.transport.writes.length).toBe(0);
    advance(h, 0.25);
    expect(answers(h).map((r) => r.status)).toEqual([200]);
    expect(h.core.nextTimeout()).toBe(h.core.tickMs);
  });

  test("onWake is called when a deferred answer is due before anything armed so far", () => {
    const h = harness();
    const wakes: number[] = [];
    h.core.onWake = (ms) => wakes.push(ms);
    h.feed(get("/?delay=2s"));
    const other = h.connect();
    other.feed(get("/?delay=500ms"));
    h.connect().feed(get("/?delay=3s"));
    expect(wakes).toEqual([2000, 500]);
  });

  test("requests pipelined behind a delayed one are answered after it, in order (RFC 9112 §9.3.2)", () => {
    const h = harness();
    h.feed(get("/?status=201") + get("/?delay=100ms&status=202") + get("/?status=203") + get("/"));
    expect(answers(h).map((r) => r.status)).toEqual([201]);
    expect(h.transport.paused).toBe(true);
    // More arrives while waiting (a back end may deliver one read after pause): held too.
    h.feed(get("/?status=205"));
    advance(h, 100);
    expect(answers(h).map((r) => r.status)).toEqual([201, 202, 203, 200, 205]);
    expect(h.transport.paused).toBe(false);
    expect(h.transport.ended).toBe(false);
  });

  test("two delayed requests pipelined: the second's delay counts from when it is read, after the first", () => {
    const h = harness();
    h.feed(get("/?delay=100ms&status=201") + get("/?delay=100ms&status=202"));
    advance(h, 100);
    expect(answers(h).map((r) => r.status)).toEqual([201]);
    advance(h, 99);
    expect(answers(h).length).toBe(1);
    advance(h, 1);
    expect(answers(h).map((r) => r.status)).toEqual([201, 202]);
  });

  test("a delayed connection is not timed out or idle-closed while its answer is pending, and times out normally after", () => {
    const h = harness({ idleTimeout: 1, headerTimeout: 1, maxDelay: 30 });
    h.feed(get("/?delay=5s"));
    for (let i = 0; i < 49; i++) advance(h, 100);
    expect(h.transport.ended).toBe(false);
    advance(h, 100);
    expect(answers(h).map((r) => r.status)).toEqual([200]);
    expect(h.transport.ended).toBe(false);
    for (let i = 0; i < 12; i++) advance(h, 100);
    expect(h.transport.closed).toBe(true);
  });

  test("a peer that half-closes while waiting still gets its answer, then the connection closes", () => {
    const h = harness();
    h.feed(get("/?delay=50ms"));
    h.client.end();
    expect(h.transport.closed).toBe(false);
    advance(h, 50);
    expect(answers(h).map((r) => r.status)).toEqual([200]);
    expect(h.transport.closed).toBe(true);
  });

  test("two delayed requests, then the peer's FIN: both answered in order, then the connection closes", () => {
    const h = harness();
    h.feed(get("/?delay=50ms&status=201") + get("/?delay=50ms&status=202"));
    h.client.end();
    advance(h, 50);
    expect(answers(h).map((r) => r.status)).toEqual([201]);
    expect(h.transport.closed).toBe(false);
    advance(h, 50);
    expect(answers(h).map((r) => r.status)).toEqual([201, 202]);
    expect(h.transport.closed).toBe(true);
  });

  test("shutdown: a pending delayed answer is sent when due, with Connection: close, then the connection closes", async () => {
    const h = harness();
    h.feed(get("/?delay=300ms"));
    let done = false;
    const drained = h.core.shutdown().then(() => (done = true));
    advance(h, 200);
    expect(h.transport.writes.length).toBe(0);
    advance(h, 100);
    const [r] = answers(h);
    expect(r!.status).toBe(200);
    expect(header(r!, "connection")).toBe("close");
    expect(h.transport.closed).toBe(true);
    await drained;
    expect(done).toBe(true);
  });

  test("closeAll cuts a connection whose answer is pending; nothing fires afterwards", () => {
    const h = harness();
    h.feed(get("/?delay=100ms"));
    h.core.closeAll();
    expect(h.transport.aborted).toBe(true);
    advance(h, 200);
    expect(h.transport.writesAfterClose).toBe(0);
    expect(h.core.size).toBe(0);
  });

  test("10,000 delayed connections: every answer fires at its own due time, none early", () => {
    const h = harness();
    const clients = Array.from({ length: 10_000 }, (_, i) => {
      const c = h.connect();
      c.feed(get(`/?delay=${1000 + (i % 100)}ms`));
      return c;
    });
    advance(h, 999);
    expect(clients.every((c) => c.transport.writes.length === 0)).toBe(true);
    for (let ms = 0; ms < 100; ms++) {
      advance(h, 1);
      const due = clients.filter((_, i) => i % 100 <= ms);
      expect(due.every((c) => c.transport.writes.length === 1)).toBe(true);
    }
  });
});

describe("faults", () => {
  test("--fail-rate with a seed: exactly the failures the seeded sequence gives, every time", () => {
    const config = { requestControl: false, failRate: 0.3, failStatus: 503, seed: 42 };
    const random = seededRandom(42);
    const expected = Array.from({ length: 1000 }, () => (random() < 0.3 ? 503 : 200));
    for (let run = 0; run < 2; run++) {
      const h = new CoreHarness(testConfig(config));
      for (let i = 0; i < 10; i++) h.feed(get("/").repeat(100));
      const statuses = answers(h).map((r) => r.status);
      expect(statuses).toEqual(expected);
    }
    const failures = expected.filter((s) => s === 503).length;
    expect(failures).toBeGreaterThan(250);
    expect(failures).toBeLessThan(350);
  });

  test("an injected failure: --fail-status with its reason phrase; the health path never fails", () => {
    const h = new CoreHarness(testConfig({ failRate: 1, failStatus: 502, healthPath: "/healthz" }));
    h.feed(get("/") + get("/healthz"));
    const rs = answers(h);
    expect(rs.map((r) => r.status)).toEqual([502, 200]);
    expect(bodyText(rs[0]!)).toBe("Bad Gateway\n");
  });

  test("--reset-rate 1: every request resets its connection, the health path still answers", () => {
    const h = new CoreHarness(testConfig({ resetRate: 1, healthPath: "/healthz" }));
    h.feed(get("/healthz"));
    expect(answers(h).map((r) => r.status)).toEqual([200]);
    h.feed(get("/"));
    expect(h.transport.resetSent).toBe(true);
    expect(answers(h).length).toBe(1);
    expect(h.core.size).toBe(0);
  });

  test("--delay MIN..MAX: each answer waits a draw from the range; delay= replaces it for its request", () => {
    const h = new CoreHarness(testConfig({ delay: { min: 0.1, max: 0.2 }, requestControl: true, seed: 7 }));
    const random = seededRandom(7);
    const first = 100 + random() * 100;
    h.feed(get("/"));
    advance(h, first - 0.01);
    expect(h.transport.writes.length).toBe(0);
    advance(h, 0.01);
    expect(answers(h).length).toBe(1);
    h.feed(get("/?delay=0ms"));
    expect(answers(h).length).toBe(2);
  });
});

describe("run-time state", () => {
  test("unready: the health path answers 503 unready, everything else as before; ready again restores it", () => {
    const h = new CoreHarness(testConfig({ healthPath: "/healthz" }));
    h.setState("unready");
    h.feed(get("/healthz") + get("/"));
    h.setState("ready");
    h.feed(get("/healthz"));
    const rs = answers(h);
    expect(rs.map((r) => r.status)).toEqual([503, 200, 200]);
    expect(bodyText(rs[0]!)).toBe("unready");
  });

  test("sick: every answer but the health path's is 500, control included; ready again is the prebuilt answer", () => {
    const h = harness({ healthPath: "/healthz" });
    h.setState("sick");
    h.feed(get("/") + get("/?status=200&delay=5s") + get("/healthz"));
    h.setState("ready");
    h.feed(get("/"));
    const rs = answers(h);
    expect(rs.map((r) => r.status)).toEqual([500, 500, 200, 200]);
    expect(bodyText(rs[0]!)).toBe("Internal Server Error\n");
  });

  test("a state change while a body is arriving: the request is answered by the responder that planned it", () => {
    const h = harness();
    h.feed("POST /?status=201 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab");
    h.setState("sick");
    h.setState("ready");
    h.core.setResponder(null);
    h.feed("cd");
    expect(answers(h).map((r) => r.status)).toEqual([201]);
  });
});

test("the pending-output limit the size= test relies on is below 4 MiB", () => {
  expect(Limits.PENDING_OUTPUT).toBeLessThan(4 * 1024 * 1024);
});
