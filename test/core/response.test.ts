/** Response bytes from the core: exact fields, Date refresh, HEAD, configured variants, 100 Continue. */
import { describe, expect, test } from "bun:test";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";
import { bodyText, header, parseAllResponses, parseResponses } from "../helpers/http-parse.ts";

const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const HEAD = "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n";
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5, 100);
const text = (b: Uint8Array): string => new TextDecoder("latin1").decode(b);

describe("the default response", () => {
  test("exact status line and fields, in order", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed(GET);
    expect(text(h.transport.received())).toBe(
      "HTTP/1.1 200 OK\r\n" +
        "Server: hello-server\r\n" +
        "Date: Fri, 02 Jan 2026 03:04:05 GMT\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Length: 5\r\n" +
        "\r\n" +
        "hello",
    );
  });

  test("HTTP/1.0 keep-alive is confirmed with Connection: keep-alive (RFC 9112 §9.3)", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const [r] = parseAllResponses(h.transport.received());
    expect(header(r!, "connection")).toBe("keep-alive");
    expect(r!.version).toBe("HTTP/1.1");
    expect(h.transport.ended).toBe(false);
  });

  test("a closing response says Connection: close", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    const [r] = parseAllResponses(h.transport.received());
    expect(header(r!, "connection")).toBe("close");
    expect(bodyText(r!)).toBe("hello");
    expect(h.transport.closed).toBe(true);
  });
});

describe("HEAD (RFC 9110 §9.3.2)", () => {
  test("the same header fields as GET, Content-Length included, and no body", () => {
    const get = new CoreHarness(testConfig(), T0);
    get.feed(GET);
    const head = new CoreHarness(testConfig(), T0);
    head.feed(HEAD);
    const getBytes = text(get.transport.received());
    const headBytes = text(head.transport.received());
    expect(headBytes).toBe(getBytes.slice(0, getBytes.indexOf("\r\n\r\n") + 4));
    expect(headBytes).toContain("Content-Length: 5\r\n");
  });

  test("a HEAD then a GET in one read: the GET's body follows HEAD's blank line directly", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed(HEAD + GET);
    const responses = parseAllResponses(h.transport.received(), (s) => s.length === 1);
    expect(responses.map((r) => r.body.length)).toEqual([0, 5]);
  });
});

describe("Date (RFC 9110 §6.6.1)", () => {
  test("refreshed when the clock passes a second, not per request", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed(GET);
    const first = h.transport.writes[0]!;
    h.advance(800); // same second (T0 is .100)
    h.feed(GET);
    expect(text(h.transport.writes[1]!)).toBe(text(first));
    h.advance(200); // next second
    h.feed(GET);
    const [, , third] = parseAllResponses(h.transport.received());
    expect(header(third!, "date")).toBe("Fri, 02 Jan 2026 03:04:06 GMT");
    // An hour later the first connection has idled out; a new one gets the new Date.
    h.advance(3_600_000);
    expect(h.transport.closed).toBe(true);
    const later = h.connect();
    later.feed(GET);
    const [r] = parseAllResponses(later.transport.received());
    expect(header(r!, "date")).toBe("Fri, 02 Jan 2026 04:04:06 GMT");
  });

  test("a buffer already handed to the transport is never changed by a refresh", () => {
    const h = new CoreHarness(testConfig(), T0);
    const before: Uint8Array[] = [];
    // Keep the core's own buffers (not copies) by taking nothing; they sit in its queue.
    h.transport.budget = 0;
    h.feed(GET);
    before.push(h.transport.writes[0]!.slice());
    h.advance(5000);
    h.feed(GET);
    h.client.drain();
    const received = text(h.transport.received());
    expect(received.startsWith(text(before[0]!))).toBe(true);
    const responses = parseAllResponses(h.transport.received());
    expect(header(responses[0]!, "date")).toBe("Fri, 02 Jan 2026 03:04:05 GMT");
    expect(header(responses[1]!, "date")).toBe("Fri, 02 Jan 2026 03:04:10 GMT");
  });
});

describe("configured response", () => {
  test("status, body, content type and extra headers", () => {
    const config = testConfig({
      status: 404,
      body: "nope – ü",
      contentType: "application/json",
      headers: [["X-One", "1"], ["Cache-Control", "no-store"]],
    });
    const h = new CoreHarness(config, T0);
    h.feed(GET + HEAD);
    const [r, hr] = parseAllResponses(h.transport.received(), (s) => s.length === 2);
    expect(r!.status).toBe(404);
    expect(r!.reason).toBe("Not Found");
    expect(bodyText(r!)).toBe("nope – ü");
    // Content-Length counts UTF-8 bytes, not characters.
    expect(header(r!, "content-length")).toBe(String(new TextEncoder().encode("nope – ü").length));
    expect(header(r!, "content-type")).toBe("application/json");
    expect(header(r!, "x-one")).toBe("1");
    expect(header(r!, "cache-control")).toBe("no-store");
    expect(hr!.headers).toEqual(r!.headers);
    expect(hr!.body.length).toBe(0);
  });

  test("an empty body has Content-Length: 0", () => {
    const h = new CoreHarness(testConfig({ body: "" }), T0);
    h.feed(GET);
    const [r] = parseAllResponses(h.transport.received());
    expect(header(r!, "content-length")).toBe("0");
  });
});

describe("error responses", () => {
  test("400: reason as body, Connection: close, plain text", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed("GET / HTTP/1.1\r\nHost : a\r\n\r\n");
    const [r] = parseAllResponses(h.transport.received());
    expect(r!.status).toBe(400);
    expect(r!.reason).toBe("Bad Request");
    expect(bodyText(r!)).toBe("Bad Request\n");
    expect(header(r!, "connection")).toBe("close");
    expect(header(r!, "content-type")).toBe("text/plain; charset=utf-8");
    expect(header(r!, "date")).toBe("Fri, 02 Jan 2026 03:04:05 GMT");
  });

  test("an error does not use the configured status or body", () => {
    const h = new CoreHarness(testConfig({ status: 201, body: "made" }), T0);
    h.feed("BREW / HTTP/1.1\r\nHost: a\r\n\r\n");
    const [r] = parseAllResponses(h.transport.received());
    expect(r!.status).toBe(501);
    expect(bodyText(r!)).toBe("Not Implemented\n");
  });

  test("a TLS ClientHello is refused at its first byte, not after a line that never comes", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed(new Uint8Array([0x16]));
    const [r] = parseAllResponses(h.transport.received());
    expect(r!.status).toBe(400);
    expect(h.transport.ended).toBe(true);
  });

  test("after the error, the connection half-closes, keeps discarding, and closes after the linger", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed("GET / HTTP/1.1\r\nHost : a\r\n\r\n");
    expect(h.transport.shutDown).toBe(true);
    expect(h.transport.closed).toBe(false);
    const writes = h.transport.writes.length;
    h.feed(GET + GET);
    expect(h.transport.writes.length).toBe(writes); // nothing more is answered
    h.advance(60_000);
    expect(h.transport.closed).toBe(true);
    expect(h.core.size).toBe(0);
  });

  test("after the error, the peer's FIN closes at once", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed("\x00");
    h.client.end();
    expect(h.transport.closed).toBe(true);
    expect(h.core.size).toBe(0);
  });
});

describe("Expect: 100-continue (RFC 9110 §10.1.1)", () => {
  test("100 Continue when the head arrives without its body, then the answer after the body", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    expect(text(h.transport.received())).toBe("HTTP/1.1 100 Continue\r\n\r\n");
    h.feed("hel");
    expect(h.transport.writes.length).toBe(1);
    h.feed("lo");
    const statuses = parseAllResponses(h.transport.received()).map((r) => r.status);
    expect(statuses).toEqual([100, 200]);
  });

  test("no 100 when the body is already in the same read", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello");
    expect(parseAllResponses(h.transport.received()).map((r) => r.status)).toEqual([200]);
  });

  test("100 for a chunked body held back", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n");
    h.feed("5\r\nhello\r\n0\r\n\r\n");
    expect(parseAllResponses(h.transport.received()).map((r) => r.status)).toEqual([100, 200]);
  });

  test("never a 100 to HTTP/1.0", () => {
    const h = new CoreHarness(testConfig(), T0);
    h.feed("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    expect(h.transport.writes.length).toBe(0);
    h.feed("hello");
    expect(parseAllResponses(h.transport.received()).map((r) => r.status)).toEqual([200]);
  });
});

describe("pipelining", () => {
  test("16 requests in one read: one write of 16 responses", () => {
    const h = new CoreHarness(testConfig(), T0);
    expect(h.feed(GET.repeat(16))).toBe(1);
    expect(parseAllResponses(h.transport.writes[0]!).length).toBe(16);
  });

  test("a pipeline split mid-request: each read's complete requests answered in that read's write", () => {
    const h = new CoreHarness(testConfig(), T0);
    const all = GET.repeat(3);
    expect(h.feed(all.slice(0, 40))).toBe(1); // one complete request
    expect(parseResponses(h.transport.writes[0]!).responses.length).toBe(1);
    expect(h.feed(all.slice(40))).toBe(1);
    expect(parseAllResponses(h.transport.writes[1]!).length).toBe(2);
  });
});
