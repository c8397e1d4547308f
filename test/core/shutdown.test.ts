/**
 * Graceful shutdown in the core: every request from then on is answered with Connection: close;
 * an idle connection stays open through the drain grace (1 s by default) for a request already
 * on its way, and closes if none comes.
 */
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

  test("idle connections (new or between requests) close after a 1 s grace of silence; a head in progress is answered with Connection: close, then closed", async () => {
    const h = new CoreHarness(testConfig());
    const idle = h.connect(); // never sent anything
    const served = h.connect(); // answered, now between requests
    served.feed(GET);
    const midHead = h.client;
    midHead.feed("GET / HTTP/1.1\r\nHo");
    expect(h.core.size).toBe(3);

    const done = h.core.shutdown();
    // Just accepted, or between requests: a request may be in flight (Go's Server.Shutdown waits for new ones too).
    expect(idle.transport.closed).toBe(false);
    expect(served.transport.closed).toBe(false);
    h.advance(999);
    expect(served.transport.closed).toBe(false);
    h.advance(1);
    expect(idle.transport.closed).toBe(true);
    expect(served.transport.closed).toBe(true);
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

  test("a keep-alive connection that sends its next request within the grace is answered with Connection: close, then closed", async () => {
    const h = new CoreHarness(testConfig());
    h.feed(GET);
    const [first] = parseAllResponses(h.transport.received());
    expect(header(first!, "connection")).toBeUndefined();
    const done = h.core.shutdown();
    h.advance(900);
    expect(h.transport.closed).toBe(false);
    h.feed(GET);
    const answers = parseAllResponses(h.transport.received());
    expect(answers.length).toBe(2);
    expect(answers[1]!.status).toBe(200);
    expect(header(answers[1]!, "connection")).toBe("close");
    expect(h.transport.closed).toBe(true);
    expect(await settled(done)).toBe(true);
  });

  test("the grace is at most half of --shutdown-timeout, and the back end is asked to tick when it ends", () => {
    const h = new CoreHarness(testConfig({ shutdownTimeout: 1 }));
    const wakes: number[] = [];
    h.core.onWake = (ms) => wakes.push(ms);
    h.feed(GET);
    void h.core.shutdown(h.now + 200);
    // The grace counts from the time shutdown was given, not from the core's last tick.
    expect(wakes).toEqual([500]);
    expect(h.core.nextTimeout()).toBe(500);
    h.advance(699);
    expect(h.transport.closed).toBe(false);
    h.advance(1);
    expect(h.transport.closed).toBe(true);
  });

  test("with --shutdown-timeout 0 there is no grace: idle connections close at once", () => {
    const h = new CoreHarness(testConfig({ shutdownTimeout: 0 }));
    h.feed(GET);
    void h.core.shutdown();
    expect(h.transport.closed).toBe(true);
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
