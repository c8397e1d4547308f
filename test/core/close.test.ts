/** How the core ends a connection it will not reuse (RFC 9112 §9.6): FIN first when the client may still be sending. */
import { describe, expect, test } from "bun:test";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";
import { parseAllResponses } from "../helpers/http-parse.ts";

const CLOSE = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

describe("closing after a response", () => {
  test("Connection: close with nothing behind it: the connection ends after the response", () => {
    const h = new CoreHarness(testConfig());
    h.feed(CLOSE);
    expect(parseAllResponses(h.transport.received()).length).toBe(1);
    expect(h.transport.ended).toBe(true);
  });

  test("Connection: close with more bytes behind it: half-close and linger, so close(2) on unread data sends no RST", () => {
    const h = new CoreHarness(testConfig());
    h.feed(CLOSE + "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(parseAllResponses(h.transport.received()).length).toBe(1);
    expect(h.transport.shutDown).toBe(true);
    expect(h.transport.closed).toBe(false);
    // The client's FIN (or the linger bound) ends it.
    h.client.end();
    expect(h.transport.closed).toBe(true);
  });

  test("a refused request: half-close, discard what follows, close on the client's FIN", () => {
    const h = new CoreHarness(testConfig());
    h.feed("GET / HTTP/1.1\r\nHost : a\r\n\r\n" + "x".repeat(1000));
    expect(h.transport.shutDown).toBe(true);
    expect(h.transport.closed).toBe(false);
    h.feed("y".repeat(1000));
    expect(parseAllResponses(h.transport.received()).length).toBe(1);
    h.client.end();
    expect(h.transport.closed).toBe(true);
    expect(h.core.size).toBe(0);
  });
});
