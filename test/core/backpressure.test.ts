/** The core owns backpressure: it queues what the transport did not take, stops reading past a limit, resumes on drain. */
import { describe, expect, test } from "bun:test";
import { Limits } from "../../src/http/constants.ts";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";
import { parseAllResponses } from "../helpers/http-parse.ts";

const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const PIPELINE = GET.repeat(16);

describe("a client that never reads", () => {
  test("reading pauses once queued output passes the limit, and resumes on drain with every answer in order", () => {
    const h = new CoreHarness(testConfig());
    h.transport.budget = 0;
    let batches = 0;
    // Bounded: the limit is 64 KiB and each batch queues ~2 KiB, so ~40 batches pause it.
    while (!h.transport.paused && batches < 1000) {
      h.feed(PIPELINE);
      batches++;
    }
    expect(h.transport.paused).toBe(true);
    expect(h.transport.pauses).toBe(1);
    const one = parseAllResponses(h.transport.writes[0]!)[0]!.raw.length;
    // Paused as soon as the queue passed the limit: not one batch later.
    const queued = batches * 16 * one;
    expect(queued).toBeGreaterThan(Limits.PENDING_OUTPUT);
    expect(queued - 16 * one).toBeLessThanOrEqual(Limits.PENDING_OUTPUT);

    h.client.drain();
    expect(h.transport.paused).toBe(false);
    expect(h.transport.resumes).toBe(1);
    const responses = parseAllResponses(h.transport.received());
    expect(responses.length).toBe(batches * 16);
    expect(responses.every((r) => r.status === 200)).toBe(true);
    // Serving goes on normally afterwards.
    expect(h.feed(GET)).toBe(1);
    expect(parseAllResponses(h.transport.received()).length).toBe(batches * 16 + 1);
  });

  test("partial writes: the rest is sent first on drain, byte-exact and in order", () => {
    const h = new CoreHarness(testConfig());
    const reference = new CoreHarness(testConfig(), h.now);
    reference.feed(GET);
    reference.feed(PIPELINE);
    reference.feed("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
    const want = reference.transport.received();

    h.transport.budget = 10;
    h.feed(GET);
    h.feed(PIPELINE); // queued behind the unsent part, never written around it
    h.feed("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(h.transport.received().length).toBe(10);
    // Drain in dribbles, as a slow socket would.
    for (let i = 0; i < 10_000 && h.transport.received().length < want.length; i++) h.client.drain(37);
    expect(h.transport.received()).toEqual(want);
  });

  test("a drain with still no room keeps reading paused", () => {
    const h = new CoreHarness(testConfig());
    h.transport.budget = 0;
    for (let i = 0; i < 100 && !h.transport.paused; i++) h.feed(PIPELINE);
    expect(h.transport.paused).toBe(true);
    h.client.drain(100);
    expect(h.transport.paused).toBe(true);
    expect(h.transport.resumes).toBe(0);
  });

  test("a connection closed with output queued frees it", () => {
    const h = new CoreHarness(testConfig());
    h.transport.budget = 0;
    h.feed(PIPELINE);
    h.core.handler.close(h.conn);
    expect(h.core.size).toBe(0);
    h.client.drain();
    expect(h.transport.received().length).toBe(0);
  });

  test("Connection: close with output queued: closed only after the queue is flushed", () => {
    const h = new CoreHarness(testConfig());
    h.transport.budget = 0;
    h.feed(GET + "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(h.transport.closed).toBe(false);
    h.client.drain();
    expect(parseAllResponses(h.transport.received()).length).toBe(2);
    expect(h.transport.closed).toBe(true);
  });

  test("the peer's FIN with output queued: answered first, then closed", () => {
    const h = new CoreHarness(testConfig());
    h.transport.budget = 0;
    h.feed(PIPELINE);
    h.client.end();
    expect(h.transport.closed).toBe(false);
    h.client.drain();
    expect(parseAllResponses(h.transport.received()).length).toBe(16);
    expect(h.transport.closed).toBe(true);
  });
});
