/**
 * A request that switches protocols is steered like any other (faults, --delay, request control):
 * the core asks its responder for the request's one plan before the switch answers it. A fault's
 * status or reset replaces the switch's answer and ends the connection; a delay delays the 101;
 * counting records the switch's own status (101, or its refusal). In-process, with a dummy switch
 * (Upgrade.status set, as the WebSocket echo's) and a manual performance.now().
 */
import { describe, expect, test } from "bun:test";
import type { Config } from "../../src/config.ts";
import type { Session } from "../../src/contract/session.ts";
import type { Transport } from "../../src/contract/socket.ts";
import { WorkerCounters } from "../../src/metrics/counters.ts";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";
import { handClock } from "../helpers/hand-clock.ts";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const SWITCHED = new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: dummy\r\n\r\n");
const upgrade = (target = "/chat", fields = "") => `GET ${target} HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: dummy\r\n${fields}\r\n`;

/** Moves both clocks by `ms` and ticks the core. */
const advance = handClock();

class Opened implements Session {
  deadline = Infinity;
  readonly refusedWith = null;
  readonly reads: string[] = [];
  ended = false;
  constructor(readonly transport: Transport) {}
  onData(bytes: Uint8Array): void {
    this.reads.push(text(bytes));
  }
  onDrain(): void {}
  onEnd(): void {
    this.ended = true;
  }
  onClosed(): void {}
  onTimeout(): void {}
  onShutdown(): void {}
  abort(): void {
    this.transport.abort();
  }
}

function harness(overrides: Partial<Config>, counters: WorkerCounters | null = null): { h: CoreHarness; sessions: Opened[]; asked: () => number } {
  const sessions: Opened[] = [];
  let asked = 0;
  const h = new CoreHarness(testConfig(overrides), undefined, {
    counters,
    protocols: {
      upgrade() {
        asked++;
        return {
          response: SWITCHED,
          status: 101,
          open(transport) {
            const s = new Opened(transport);
            sessions.push(s);
            return s;
          },
        };
      },
    },
  });
  return { h, sessions, asked: () => asked };
}

describe("faults and control on the upgrade request", () => {
  test("--fail-rate 1: the fault's status instead of the 101, Connection: close, no session; the bytes after it are never parsed as requests", () => {
    const { h, sessions } = harness({ failRate: 1, failStatus: 503 });
    h.feed(upgrade() + "\x81\x85frame");
    const out = text(h.transport.received());
    expect(out).toStartWith("HTTP/1.1 503 Service Unavailable\r\n");
    expect(out).toContain("\r\nConnection: close\r\n");
    expect(out.match(/HTTP\/1\.1 /g)!.length).toBe(1);
    expect(sessions.length).toBe(0);
    expect(h.transport.ended).toBe(true);
  });

  test("--reset-rate 1: the connection is reset, no 101", () => {
    const { h, sessions } = harness({ resetRate: 1 });
    h.feed(upgrade());
    expect(h.transport.resetSent).toBe(true);
    expect(h.transport.received().length).toBe(0);
    expect(sessions.length).toBe(0);
  });

  test("--request-control ?status=503 on the upgrade URL answers 503; a request without control switches", () => {
    const { h, sessions } = harness({ requestControl: true });
    h.feed(upgrade("/chat?status=503"));
    expect(text(h.transport.received())).toStartWith("HTTP/1.1 503 ");
    expect(sessions.length).toBe(0);
    const ok = harness({ requestControl: true });
    ok.h.feed(upgrade("/chat") + "first");
    expect(text(ok.h.transport.received())).toBe(text(SWITCHED));
    expect(ok.sessions[0]!.reads).toEqual(["first"]);
  });

  test("a delay delays the 101: nothing before it is due; bytes sent meanwhile and a FIN reach the new session after it", () => {
    const { h, sessions, asked } = harness({ requestControl: true });
    h.feed(upgrade("/chat?delay=200ms") + "early");
    expect(h.transport.writes.length).toBe(0);
    expect(h.transport.paused).toBe(true);
    h.feed("later");
    h.client.end();
    advance(h, 199);
    expect(h.transport.writes.length).toBe(0);
    advance(h, 1);
    expect(text(h.transport.received())).toBe(text(SWITCHED));
    expect(sessions.length).toBe(1);
    expect(sessions[0]!.reads).toEqual(["earlylater"]);
    expect(sessions[0]!.ended).toBe(true);
    expect(h.transport.paused).toBe(false);
    // One plan per request: the switch was asked once, and the delay was not drawn again.
    expect(asked()).toBe(1);
  });

  test("--delay with --fail-rate 1: the failure comes after the delay, then the connection closes", () => {
    const { h, sessions } = harness({ delay: { min: 0.1, max: 0.1 }, failRate: 1 });
    h.feed(upgrade());
    expect(h.transport.writes.length).toBe(0);
    advance(h, 100);
    expect(text(h.transport.received())).toStartWith("HTTP/1.1 503 ");
    expect(sessions.length).toBe(0);
    expect(h.transport.ended).toBe(true);
  });

  test("counting: the 101 and a failed upgrade are counted in hello_requests_total by the status sent", () => {
    const counters = new WorkerCounters();
    const { h } = harness({ requestControl: true }, counters);
    h.feed(upgrade());
    const failed = harness({ requestControl: true }, counters);
    failed.h.feed(upgrade("/chat?status=502"));
    expect(counters.snapshot().requests).toEqual({ "http/1.1 GET 101": 1, "http/1.1 GET 502": 1 });
    expect(text(h.transport.received())).toBe(text(SWITCHED));
  });

  test("no responder (every feature off): the switch as before, nothing planned", () => {
    const { h, sessions } = harness({});
    h.feed(upgrade());
    expect(text(h.transport.received())).toBe(text(SWITCHED));
    expect(sessions.length).toBe(1);
  });
});

describe("the WebSocket drain through the core", () => {
  test("close 1001 at the drain, then the peer's close is awaited past the 1 s grace, up to --shutdown-timeout less two ticks", async () => {
    const { protocolSwitch } = await import("../../src/protocols/upgrade.ts");
    const { SAMPLE_KEY } = await import("../ws/upgrade-cases.ts");
    const config = testConfig({ wsEchoPath: "/ws", shutdownTimeout: 5 });
    let h: CoreHarness | null = null;
    const clock = { get now() { return h!.now; } };
    h = new CoreHarness(config, undefined, { protocols: protocolSwitch(config, { clock, servedBy: null }) });
    h.feed(`GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${SAMPLE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    expect(text(h.transport.received())).toStartWith("HTTP/1.1 101 ");
    const before = h.transport.received().length;
    let drained = false;
    const done = h.core.shutdown(h.now).then(() => (drained = true));
    // The close frame: FIN + close (0x88), 2 bytes of payload, 1001 (0x03e9).
    expect(Array.from(h.transport.received().subarray(before))).toEqual([0x88, 0x02, 0x03, 0xe9]);
    h.advance(1500);
    expect(h.transport.closed).toBe(false);
    h.advance(1000);
    expect(h.transport.closed).toBe(false);
    h.advance(1000);
    expect(h.transport.closed).toBe(true);
    await done;
    expect(drained).toBe(true);
  });
});
