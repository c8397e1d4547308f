/**
 * src/http/reply.ts: a neutral Reply framed as HTTP/1.1 — the configured variants are the cache's
 * own buffers, a reply's fields and bytes are framed with Content-Length, trailers switch to
 * chunked (never for HTTP/1.0), 204/304 carry nothing, HEAD the head alone.
 */
import { describe, expect, test } from "bun:test";
import { BodyKind, type Reply } from "../../src/contract/exchange.ts";
import { frameReply } from "../../src/http/reply.ts";
import { Persist, ResponseCache } from "../../src/http/response.ts";
import { echoResponder } from "../../src/respond/echo.ts";
import { controlStage } from "../../src/respond/control.ts";
import type { ExchangeRequest, RequestFields } from "../../src/contract/exchange.ts";
import { TEST_IDENTITY } from "../helpers/fake-transport.ts";

const T0 = Date.UTC(2026, 0, 1);
const cache = (): ResponseCache => {
  const c = new ResponseCache({ status: 200, body: "hello", contentType: "text/plain", headers: [["X-Conf", "1"]] });
  c.setTime(T0);
  return c;
};
const reply = (over: Partial<Reply>): Reply => ({ status: 0, fields: null, body: { kind: BodyKind.CONFIGURED }, trailers: null, delayMs: 0, close: false, reset: false, ...over });
const text = (b: Uint8Array | null): string => (b === null ? "" : new TextDecoder().decode(b));

describe("frameReply", () => {
  test("the configured answer is the cache's own buffer (a pipeline of them stays one cached repeat)", () => {
    const c = cache();
    expect(frameReply(reply({}), Persist.KEEP, false, false, c).head).toBe(c.get(Persist.KEEP, false));
    expect(frameReply(reply({ status: 503 }), Persist.KEEP, false, false, c).head).toBe(c.withStatus(503, Persist.KEEP, false));
    expect(frameReply(reply({ close: true }), Persist.KEEP, true, false, c).head).toBe(c.get(Persist.CLOSE, true));
  });

  test("bytes with fields: Content-Length, the fields, the content after the head", () => {
    const bytes = new TextEncoder().encode("{}\n");
    const f = frameReply(reply({ status: 201, fields: [["Cache-Control", "no-store"]], body: { kind: BodyKind.BYTES, bytes, contentType: "application/json" } }), Persist.KEEP, false, false, cache());
    expect(text(f.head)).toStartWith("HTTP/1.1 201 Created\r\n");
    expect(text(f.head)).toContain("Content-Type: application/json\r\nContent-Length: 3\r\nCache-Control: no-store\r\n");
    expect(text(f.head)).not.toContain("X-Conf");
    expect(f.body).toBe(bytes);
  });

  test("trailers: chunked with a Trailer field, the trailer section after the last chunk; HTTP/1.0 gets the length instead", () => {
    const bytes = new TextEncoder().encode("abc");
    const r = reply({ body: { kind: BodyKind.BYTES, bytes, contentType: "application/grpc" }, trailers: [["grpc-status", "0"]] });
    const f = frameReply(r, Persist.KEEP, false, false, cache());
    expect(text(f.head)).toContain("Transfer-Encoding: chunked\r\n");
    expect(text(f.head)).toContain("Trailer: grpc-status\r\n");
    expect(text(f.head)).not.toContain("Content-Length");
    expect(text(f.body)).toBe("3\r\nabc\r\n0\r\ngrpc-status: 0\r\n\r\n");
    const old = frameReply(r, Persist.KEEP_10, false, true, cache());
    expect(text(old.head)).toContain("Content-Length: 3\r\nConnection: keep-alive\r\n");
    expect(text(old.body)).toBe("abc");
  });

  test("204 and 304 carry no content and no Content-Length; HEAD gets the head alone with the length", () => {
    const bytes = new TextEncoder().encode("abc");
    const none = frameReply(reply({ status: 204, fields: [["X-A", "b"]], body: { kind: BodyKind.BYTES, bytes, contentType: "text/plain" } }), Persist.KEEP, false, false, cache());
    expect(text(none.head)).not.toContain("Content-Length");
    expect(text(none.head)).toContain("X-A: b\r\n");
    expect(none.body).toBeNull();
    const head = frameReply(reply({ fields: [["X-A", "b"]], body: { kind: BodyKind.BYTES, bytes, contentType: "text/plain" } }), Persist.KEEP, true, false, cache());
    expect(text(head.head)).toContain("Content-Length: 3\r\n");
    expect(head.body).toBeNull();
  });

  test("the configured body with fields of its own keeps the configured -H fields", () => {
    const f = frameReply(reply({ fields: [["X-More", "1"]] }), Persist.CLOSE, false, false, cache());
    expect(text(f.head)).toContain("Content-Length: 5\r\nConnection: close\r\nX-Conf: 1\r\nX-More: 1\r\n");
    expect(text(f.body)).toBe("hello");
  });
});

/** An HTTP/2-like request: decoded fields, a stream id. */
function h2Request(target: string, fields: Array<[string, string]>): ExchangeRequest {
  const f: RequestFields = {
    get: (name) => {
      const v = fields.filter(([n]) => n === name).map(([, v]) => v);
      return v.length === 0 ? null : v.join(", ");
    },
    forEach: (visit) => fields.forEach(([n, v]) => visit(n, v)),
  };
  return { protocol: "h2", method: "POST", target, streamId: 5, fields: f, bodyLength: 2, peer: { address: "::1", port: 5000 }, local: null, tls: true };
}

describe("responders on a request that is not HTTP/1.1", () => {
  test("echo: fields in order, the protocol's version and the stream id", () => {
    const echo = echoResponder("/echo", TEST_IDENTITY);
    expect(echo.plan(h2Request("/other", []))).toBeNull();
    const plan = echo.plan(h2Request("/echo?x=1", [["accept", "application/json"], ["x-b", "2"], ["x-a", "1"]]))!;
    const r = echo.answer(plan, { bodyLength: 2, body: null, isHead: false });
    expect(r.body.kind).toBe(BodyKind.BYTES);
    const json = JSON.parse(text((r.body as { bytes: Uint8Array }).bytes));
    expect(json.version).toBe("HTTP/2");
    expect(json.streamId).toBe(5);
    expect(json.headers).toEqual([["accept", "application/json"], ["x-b", "2"], ["x-a", "1"]]);
    expect(json.client).toEqual({ address: "::1", port: 5000 });
    expect(json.bodyLength).toBe(2);
  });

  test("request control from the target and fields.get: a query parameter wins over its field, the first of repeated fields counts", () => {
    const stage = controlStage({ maxDelay: 10, maxSize: 1024 });
    const plan = stage(h2Request("/?status=201", [["x-hello-status", "404"], ["x-hello-size", "16"], ["x-hello-size", "32"]]), null)!;
    expect(plan.status).toBe(201);
    expect(plan.size).toBe(16);
    expect(stage(h2Request("/", [["x-hello-delay", "nope"]]), null)!.error).toContain("delay='nope'");
    expect(stage(h2Request("/", [["accept", "*/*"]]), null)).toBeNull();
  });
});
