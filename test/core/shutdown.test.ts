/** Graceful shutdown in the core: idle connections close now, requests in flight are answered with close first. */
import { describe, expect, test } from "bun:test";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";
import { header, parseAllResponses } from "../helpers/http-parse.ts";

const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

/** Resolves to true if `p` settled by the time queued microtasks ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return done;
}

describe("shutdown", () => {
  test("with no connections it resolves at once", async () => {
    const h = new CoreHarness(testConfig());
    h.core.handler.close(h.conn);
    expect(h.core.size).toBe(0);
    expect(await settled(h.core.shutdown())).toBe(true);
  });

  test("idle connections close at once (one that never sent a byte after a 1 s grace); a head in progress is answered with Connection: close, then closed", async () => {
    const h = new CoreHarness(testConfig());
    const idle = h.connect(); // never sent anything
    const served = h.connect(); // answered, now between requests
    served.feed(GET);
    const midHead = h.client;
    midHead.feed("GET / HTTP/1.1\r\nHo");
    expect(h.core.size).toBe(3);

    const done = h.core.shutdown();
    // Just accepted, nothing read yet: its request may be in flight (Go's Server.Shutdown waits too).
    expect(idle.transport.closed).toBe(false);
    expect(served.transport.closed).toBe(true);
    h.advance(1_000);
    expect(idle.transport.closed).toBe(true);
    expect(midHead.transport.ended).toBe(false);
    expect(await settled(done)).toBe(false);

    midHead.feed("st: a\r\n\r\n");
    const [r] = parseAllResponses(midHead.transport.received());
    expect(r!.status).toBe(200);
    expect(header(r!, "connection")).toBe("close");
    expect(midHead.transport.closed).toBe(true);
    expect(h.core.size).toBe(0);
    expect(await settled(done)).toBe(true);
  });

  test("a pipeline in flight during shutdown: the first answer closes, the rest are not answered", () => {
    const h = new CoreHarness(testConfig());
    h.feed("GET / HTTP/1.1\r\nHo");
    void h.core.shutdown();
    h.feed("st: a\r\n\r\n" + GET + GET);
    expect(parseAllResponses(h.transport.received()).length).toBe(1);
    // Unread requests behind it: half-close and linger rather than reset (RFC 9112 §9.6).
    expect(h.transport.ended).toBe(true);
  });

  test("a connection with unsent output closes once it is flushed", async () => {
    const h = new CoreHarness(testConfig());
    h.transport.budget = 0;
    h.feed(GET);
    const done = h.core.shutdown();
    expect(h.transport.closed).toBe(false);
    h.client.drain();
    expect(parseAllResponses(h.transport.received()).length).toBe(1);
    expect(h.transport.closed).toBe(true);
    expect(await settled(done)).toBe(true);
  });

  test("a connection accepted during shutdown gets its first request answered with Connection: close", () => {
    const h = new CoreHarness(testConfig());
    h.feed("GET / HTTP/1.1\r\nHo");
    void h.core.shutdown();
    const late = h.connect();
    expect(late.transport.closed).toBe(false);
    late.feed(GET);
    const [r] = parseAllResponses(late.transport.received());
    expect(header(r!, "connection")).toBe("close");
    expect(late.transport.closed).toBe(true);
  });

  test("a connection accepted during shutdown that sends nothing is closed after the grace", () => {
    const h = new CoreHarness(testConfig());
    void h.core.shutdown();
    const late = h.connect();
    h.advance(1_000);
    expect(late.transport.closed).toBe(true);
  });

  test("closeAll cuts every connection, and shutdown resolves", async () => {
    const h = new CoreHarness(testConfig());
    const other = h.connect();
    h.feed("GET / HTTP/1.1\r\nHo");
    other.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n");
    const done = h.core.shutdown();
    expect(await settled(done)).toBe(false);
    h.core.closeAll();
    expect(h.transport.closed).toBe(true);
    expect(other.transport.closed).toBe(true);
    expect(h.core.size).toBe(0);
    expect(await settled(done)).toBe(true);
  });

  test("the back end reporting close twice is harmless", () => {
    const h = new CoreHarness(testConfig());
    const other = h.connect();
    h.core.handler.close(h.conn);
    h.core.handler.close(h.conn);
    expect(h.core.size).toBe(1);
    other.feed(GET);
    expect(parseAllResponses(other.transport.received()).length).toBe(1);
  });
});

describe("shutdown during a body", () => {
  test("a request whose body arrives after shutdown began is answered with Connection: close, then closed", () => {
    const h = new CoreHarness(testConfig());
    h.feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
    void h.core.shutdown();
    h.feed("hello");
    const [r] = parseAllResponses(h.transport.received());
    expect(r!.status).toBe(200);
    expect(header(r!, "connection")).toBe("close");
    expect(h.transport.closed).toBe(true);
  });
});
