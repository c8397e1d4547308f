/** The session's lifecycle: backpressure, the ping and idle timers, shutdown, and how each kind of end is reported. */
import { describe, expect, test } from "bun:test";
import { CloseCode, Limits } from "../../src/ws/constants.ts";
import { SessionPhase } from "../../src/ws/session.ts";
import { clientFrame, serverFrame } from "./frames.ts";
import { SessionHarness } from "./session-harness.ts";

const enc = (s: string) => Array.from(new TextEncoder().encode(s));
const text = (s: string, fin = true) => clientFrame({ opcode: 1, payload: enc(s), fin });
const close = (code: number) => clientFrame({ opcode: 8, payload: [code >>> 8, code & 0xff] });
const pong = clientFrame({ opcode: 10, payload: [] });
const sent = (h: SessionHarness) => Array.from(h.transport.received());

describe("backpressure", () => {
  test("a client that never reads: reading pauses once queued output passes maxBufferedOutput, and drain delivers every echo in order", () => {
    const max = 16 * 1024;
    const h = new SessionHarness({ maxBufferedOutput: max });
    h.transport.budget = 0;
    const message = "x".repeat(1000);
    const echo = serverFrame(1, enc(message));
    let fed = 0;
    // Bounded: ~17 messages pass the limit.
    while (!h.transport.paused && fed < 1000) {
      h.feed(text(message));
      fed++;
    }
    expect(h.transport.paused).toBe(true);
    expect(h.transport.pauses).toBe(1);
    // Paused as soon as the queue passed the limit, not one read later.
    expect(fed * echo.length).toBeGreaterThan(max);
    expect((fed - 1) * echo.length).toBeLessThanOrEqual(max);
    // A drain that takes nothing leaves it paused.
    h.drain(0);
    expect(h.transport.resumes).toBe(0);
    h.drain();
    expect(h.transport.paused).toBe(false);
    expect(h.transport.resumes).toBe(1);
    expect(sent(h)).toEqual(Array.from({ length: fed }, () => echo).flat());
  });

  test("a partial write keeps the rest queued, and later reads queue behind it in order", () => {
    const h = new SessionHarness();
    h.transport.budget = 3;
    h.feed(text("first"));
    h.feed(text("second"));
    expect(h.transport.writes.length).toBe(1);
    h.drain();
    expect(sent(h)).toEqual([...serverFrame(1, enc("first")), ...serverFrame(1, enc("second"))]);
  });

  test("the close answering the peer's waits for queued output, then the half-close", () => {
    const h = new SessionHarness();
    h.transport.budget = 0;
    h.feed([...text("a"), ...close(1000)]);
    expect(h.transport.shutDown).toBe(false);
    h.drain();
    expect(sent(h)).toEqual([...serverFrame(1, enc("a")), ...serverFrame(8, [0x03, 0xe8])]);
    expect(h.transport.shutDown).toBe(true);
    h.session.onEnd();
    expect(h.transport.closed).toBe(true);
    expect(h.closedWith).toBe(1000);
  });
});

describe("timers", () => {
  test("pingIntervalMs sends an empty ping every interval", () => {
    const h = new SessionHarness({ pingIntervalMs: 1000 });
    h.advance(999);
    expect(sent(h)).toEqual([]);
    h.advance(1);
    expect(sent(h)).toEqual([0x89, 0]);
    h.advance(1000);
    expect(sent(h)).toEqual([0x89, 0, 0x89, 0]);
    expect(h.session.phase).toBe(SessionPhase.OPEN);
  });

  test("idleTimeoutMs: frames (pongs too) keep it open; silence closes with 1001, then the peer's close completes it", () => {
    const h = new SessionHarness({ idleTimeoutMs: 1000, pingIntervalMs: 400 });
    for (let i = 0; i < 5; i++) {
      h.advance(400);
      h.feed(pong);
    }
    expect(h.session.phase).toBe(SessionPhase.OPEN);
    h.advance(400);
    h.advance(400);
    h.advance(200);
    const tail = sent(h).slice(-4);
    expect(tail).toEqual([0x88, 2, 0x03, 0xe9]);
    expect(h.session.phase).toBe(SessionPhase.CLOSE_SENT);
    // After our close, data is read but not echoed (§5.5.1), and no more pings go out.
    const before = sent(h).length;
    h.feed(text("late"));
    h.advance(500);
    expect(sent(h).length).toBe(before);
    h.feed(close(1001));
    expect(h.transport.shutDown).toBe(true);
    h.session.onEnd();
    expect(h.closedWith).toBe(CloseCode.GOING_AWAY);
  });

  test("a peer that never answers our close is closed after the bounded wait", () => {
    const h = new SessionHarness({ idleTimeoutMs: 1000 });
    h.advance(1000);
    expect(h.session.phase).toBe(SessionPhase.CLOSE_SENT);
    h.advance(Limits.CLOSE_WAIT_MS);
    expect(h.transport.closed).toBe(true);
    expect(h.closedWith).toBe(1001);
  });
});

describe("ends", () => {
  test("onShutdown(grace): close 1001, the peer's close ends it", () => {
    const h = new SessionHarness();
    h.session.onShutdown(5000);
    expect(sent(h)).toEqual([0x88, 2, 0x03, 0xe9]);
    h.feed(clientFrame({ opcode: 9, payload: [1] }));
    expect(sent(h).length).toBe(4);
    h.feed(close(1000));
    expect(h.transport.shutDown).toBe(true);
    h.session.onEnd();
    expect(h.transport.closed).toBe(true);
  });

  test("onShutdown(grace): a peer that stays silent is closed when the grace runs out", () => {
    const h = new SessionHarness();
    h.session.onShutdown(5000);
    h.advance(4999);
    expect(h.transport.closed).toBe(false);
    h.advance(1);
    expect(h.transport.closed).toBe(true);
  });

  test("a violation: close frame, half-close, later bytes ignored, closed after the bounded wait", () => {
    const h = new SessionHarness();
    h.feed(clientFrame({ opcode: 1, payload: enc("x"), mask: null }));
    expect(sent(h)).toEqual([0x88, 2, 0x03, 0xea]);
    expect(h.transport.shutDown).toBe(true);
    h.feed(text("ignored"));
    expect(sent(h).length).toBe(4);
    h.advance(Limits.CLOSE_WAIT_MS);
    expect(h.transport.closed).toBe(true);
    expect(h.closedWith).toBe(1002);
  });

  test("the peer ends without a close frame: 1006", () => {
    const h = new SessionHarness();
    h.feed(text("hi", false));
    h.session.onEnd();
    expect(h.transport.closed).toBe(true);
    expect(h.closedWith).toBe(CloseCode.ABNORMAL);
  });

  test("a close with no code is reported as 1005", () => {
    const h = new SessionHarness();
    h.feed(clientFrame({ opcode: 8, payload: [] }));
    h.session.onEnd();
    expect(h.closedWith).toBe(CloseCode.NO_STATUS);
  });

  test("abort() releases at once, and only once", () => {
    const h = new SessionHarness();
    let closes = 0;
    const s = h.session;
    h.transport.onClose = () => {
      closes++;
      s.onClosed();
    };
    s.abort();
    s.abort();
    s.onClosed();
    expect(closes).toBe(1);
    expect(h.transport.aborted).toBe(true);
    expect(s.phase).toBe(SessionPhase.CLOSED);
  });

  test("messages are counted in and out through the hooks", () => {
    const h = new SessionHarness();
    h.feed([...text("a"), ...text("b", false), ...clientFrame({ opcode: 0, payload: enc("c") })]);
    expect(h.messagesIn).toBe(2);
    expect(h.messagesOut).toBe(2);
  });
});
