/** Timeouts driven by the core's tick: header timeout (408 + close), idle timeout, slowloris. */
import { describe, expect, test } from "bun:test";
import { createHttpCore } from "../../src/http/server.ts";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";
import { parseAllResponses } from "../helpers/http-parse.ts";

const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const config = testConfig({ headerTimeout: 10, idleTimeout: 30 });
const statuses = (h: CoreHarness): number[] => parseAllResponses(h.transport.received()).map((r) => r.status);

describe("header timeout", () => {
  test("a head not complete in time gets 408 and the connection closes", () => {
    const h = new CoreHarness(config);
    h.feed("GET / HTTP/1.1\r\nHo");
    h.advance(9_999);
    expect(h.transport.writes.length).toBe(0);
    h.advance(1);
    expect(statuses(h)).toEqual([408]);
    expect(h.transport.shutDown).toBe(true);
    // Then it lingers a bounded time for the client's FIN, and closes.
    h.advance(10_000);
    expect(h.transport.closed).toBe(true);
    expect(h.core.size).toBe(0);
  });

  test("slowloris: a byte every second never extends the deadline", () => {
    const h = new CoreHarness(config);
    const trickle = "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ";
    h.feed(trickle[0]!);
    for (let i = 1; i < 10; i++) {
      h.advance(1_000);
      h.feed(trickle[i]!);
      expect(h.transport.writes.length).toBe(0);
    }
    h.advance(1_000); // 10 s after the first byte
    expect(statuses(h)).toEqual([408]);
    expect(h.transport.ended).toBe(true);
  });

  test("a connection that sends nothing at all is closed after the header timeout, without a response", () => {
    const h = new CoreHarness(config);
    h.advance(9_999);
    expect(h.transport.ended).toBe(false);
    h.advance(1);
    expect(h.transport.closed).toBe(true);
    expect(h.transport.writes.length).toBe(0);
  });

  test("the header clock of a kept-alive connection starts at the next head's first byte", () => {
    const h = new CoreHarness(config);
    h.feed(GET);
    h.advance(20_000); // idle, under the idle timeout
    h.feed("GET / HT");
    h.advance(9_999);
    expect(statuses(h)).toEqual([200]);
    h.advance(1);
    expect(statuses(h)).toEqual([200, 408]);
  });

  test("the tick period honours the shortest timeout", () => {
    const core = createHttpCore(testConfig({ headerTimeout: 1, idleTimeout: 60 }), null, { now: 0 });
    expect(core.tickMs).toBeLessThanOrEqual(250);
    expect(core.tickMs).toBeGreaterThan(0);
  });
});

describe("idle timeout", () => {
  test("an idle kept-alive connection is closed quietly", () => {
    const h = new CoreHarness(config);
    h.feed(GET);
    h.advance(29_999);
    expect(h.transport.ended).toBe(false);
    h.advance(1);
    expect(h.transport.closed).toBe(true);
    expect(statuses(h)).toEqual([200]); // no 408 for a connection between requests
    expect(h.core.size).toBe(0);
  });

  test("each request restarts the idle clock", () => {
    const h = new CoreHarness(config);
    for (let i = 0; i < 5; i++) {
      h.feed(GET);
      h.advance(20_000);
    }
    expect(h.transport.ended).toBe(false);
    expect(statuses(h).length).toBe(5);
  });

  test("a body that stops arriving gets 408", () => {
    const h = new CoreHarness(config);
    h.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
    h.advance(29_999);
    expect(h.transport.writes.length).toBe(0);
    h.advance(1);
    expect(statuses(h)).toEqual([408]);
    expect(h.transport.ended).toBe(true);
  });

  test("a body still arriving is not cut", () => {
    const h = new CoreHarness(config);
    h.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n");
    for (let i = 0; i < 10; i++) {
      h.advance(20_000);
      h.feed("x");
    }
    expect(statuses(h)).toEqual([200]);
    expect(h.transport.ended).toBe(false);
  });
});

describe("timeouts and other connections", () => {
  test("one connection timing out leaves the others alone", () => {
    const h = new CoreHarness(config);
    const busy = h.connect();
    h.feed("GET / HT");
    busy.feed(GET);
    h.advance(5_000);
    busy.feed(GET);
    h.advance(5_000);
    expect(h.transport.ended).toBe(true);
    expect(busy.transport.ended).toBe(false);
    busy.feed(GET);
    expect(parseAllResponses(busy.transport.received()).length).toBe(3);
    expect(h.core.size).toBe(2); // h lingers until its FIN or the linger ends
  });
});
