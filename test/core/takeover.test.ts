/**
 * Protocol takeover: an HTTP/1.1 connection hands its socket to another protocol's Session after
 * a 101 (Upgrade) or when its first bytes are the HTTP/2 preface; from then on the core's clock,
 * shutdown, forced close and release reach the new session, and bytes go to it. Also the
 * first-read switch (TLS whose ALPN chose h2, --http2 only), the --shutdown-delay signal
 * (Session.onShutdownBegun) and the tick a --ws-ping-interval asks for.
 */
import { describe, expect, test } from "bun:test";
import type { Session } from "../../src/contract/session.ts";
import type { Transport } from "../../src/contract/socket.ts";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const SWITCHED = new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: dummy\r\n\r\n");
const UPGRADE = "GET /chat HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: dummy\r\n\r\n";
const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/** Records every call the core makes on it. */
class DummySession implements Session {
  deadline = Infinity;
  readonly refusedWith = null;
  readonly reads: string[] = [];
  readonly calls: string[] = [];
  constructor(readonly transport: Transport) {}
  onData(bytes: Uint8Array): void {
    this.reads.push(text(bytes));
  }
  onDrain(): void {
    this.calls.push("drain");
  }
  onEnd(): void {
    this.calls.push("end");
  }
  onClosed(): void {
    this.calls.push("closed");
  }
  onTimeout(): void {
    this.calls.push("timeout");
    this.deadline = Infinity;
    this.transport.close();
  }
  onShutdown(graceMs: number, closeWithinMs: number): void {
    this.calls.push(`shutdown ${graceMs} ${closeWithinMs}`);
  }
  onShutdownBegun(): void {
    this.calls.push("begun");
  }
  abort(): void {
    this.calls.push("abort");
    this.transport.abort();
  }
}

function upgradeHarness(): { h: CoreHarness; sessions: DummySession[]; asked: string[] } {
  const sessions: DummySession[] = [];
  const asked: string[] = [];
  const h = new CoreHarness(testConfig(), undefined, {
    protocols: {
      upgrade(request) {
        asked.push(`${request.method} ${request.target} ${request.fields.get("upgrade")} ${request.protocol}`);
        if (request.fields.get("upgrade") !== "dummy") return null;
        return {
          response: SWITCHED,
          open(transport) {
            const s = new DummySession(transport);
            sessions.push(s);
            return s;
          },
        };
      },
    },
  });
  return { h, sessions, asked };
}

describe("takeover after a 101", () => {
  test("the answers before it, then the 101, go out; the bytes after the head in the same read reach the new session, and later reads too", () => {
    const { h, sessions, asked } = upgradeHarness();
    h.feed(`GET / HTTP/1.1\r\nHost: a\r\n\r\n${UPGRADE}frame-1`);
    expect(asked).toEqual(["GET /chat dummy http/1.1"]);
    const out = text(h.transport.received());
    expect(out.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(out.endsWith(text(SWITCHED))).toBe(true);
    expect(sessions.length).toBe(1);
    const s = sessions[0]!;
    expect(s.reads).toEqual(["frame-1"]);
    const writes = h.transport.writes.length;
    h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    // Not HTTP/1.1 any more: the core answers nothing, the session gets the bytes.
    expect(h.transport.writes.length).toBe(writes);
    expect(s.reads).toEqual(["frame-1", "GET / HTTP/1.1\r\nHost: a\r\n\r\n"]);
    h.client.drain();
    h.client.end();
    expect(s.calls).toEqual(["drain", "end"]);
    expect(h.core.size).toBe(1);
  });

  test("the core's clock times the new session out on its deadline, and its close releases it", () => {
    const { h, sessions } = upgradeHarness();
    h.feed(UPGRADE);
    const s = sessions[0]!;
    expect(s.reads).toEqual([]);
    s.deadline = h.now + 5_000;
    h.advance(4_000);
    expect(s.calls).toEqual([]);
    h.advance(2_000);
    expect(s.calls).toEqual(["timeout", "closed"]);
    expect(h.transport.closed).toBe(true);
    expect(h.core.size).toBe(0);
  });

  test("shutdown reaches the new session and resolves once it closes; a forced close aborts it", async () => {
    const { h, sessions } = upgradeHarness();
    h.feed(UPGRADE);
    const other = h.connect();
    other.feed(UPGRADE);
    const [a, b] = sessions as [DummySession, DummySession];
    let done = false;
    const stopped = h.core.shutdown().then(() => (done = true));
    // The drain grace (1 s) and the closing handshake's bound: --shutdown-timeout 5 s less two 1 s ticks.
    expect(a.calls).toEqual(["shutdown 1000 3000"]);
    expect(b.calls).toEqual(["shutdown 1000 3000"]);
    a.transport.close();
    await Promise.resolve();
    expect(done).toBe(false);
    expect(h.core.size).toBe(1);
    h.core.closeAll();
    expect(b.calls).toEqual(["shutdown 1000 3000", "abort", "closed"]);
    await stopped;
    expect(h.core.size).toBe(0);
  });

  test("a switch that declines leaves the request to HTTP/1.1; without a switch `Connection: upgrade` is ignored", () => {
    const { h, sessions } = upgradeHarness();
    h.feed(UPGRADE.replace("Upgrade: dummy", "Upgrade: other"));
    expect(sessions.length).toBe(0);
    expect(text(h.transport.received()).startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    const plain = new CoreHarness(testConfig());
    plain.feed(UPGRADE);
    expect(text(plain.transport.received()).startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(plain.transport.closed).toBe(false);
  });
});

describe("takeover by the HTTP/2 preface", () => {
  function prefaceHarness(): { h: CoreHarness; sessions: DummySession[]; seen: string[] } {
    const sessions: DummySession[] = [];
    const seen: string[] = [];
    const h = new CoreHarness(testConfig(), undefined, {
      protocols: {
        h2Preface(transport, bytes) {
          seen.push(text(bytes));
          const s = new DummySession(transport);
          sessions.push(s);
          return s;
        },
      },
    });
    return { h, sessions, seen };
  }

  test("as a connection's first bytes, the whole preface and what follows it reach the session; nothing is answered", () => {
    const { h, sessions, seen } = prefaceHarness();
    h.feed(`${PREFACE}SETTINGS`);
    expect(seen).toEqual([`${PREFACE}SETTINGS`]);
    expect(sessions[0]!.reads).toEqual([`${PREFACE}SETTINGS`]);
    expect(h.transport.writes.length).toBe(0);
    expect(h.core.size).toBe(1);
  });

  test("split over reads, the preface still switches (the session gets the part HTTP/1.1 read as a head, then the rest)", () => {
    const { h, sessions } = prefaceHarness();
    h.feed("PRI * HTTP/2.0\r\n");
    h.feed("\r\nSM\r");
    h.feed("\n\r\n");
    expect(sessions[0]!.reads.join("")).toBe(PREFACE);
  });

  test("after an HTTP/1.1 answer the preface is refused as HTTP/1.1 refuses it (RFC 9113 §3.3: only a connection's first bytes)", () => {
    const { h, sessions } = prefaceHarness();
    h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    h.feed(PREFACE);
    expect(sessions.length).toBe(0);
    expect(h.conn.refusedWith).not.toBeNull();
  });

  test("without the switch the preface is refused exactly as before", () => {
    const h = new CoreHarness(testConfig());
    h.feed(PREFACE);
    expect(h.conn.refusedWith).not.toBeNull();
    expect(text(h.transport.received())).toMatch(/^HTTP\/1\.1 5\d\d /);
  });
});

describe("takeover at the first read (ALPN h2, --http2 only)", () => {
  function firstReadHarness(take: (t: Transport) => boolean): { h: CoreHarness; sessions: DummySession[]; asked: number[] } {
    const sessions: DummySession[] = [];
    const asked: number[] = [];
    const h = new CoreHarness(testConfig(), undefined, {
      protocols: {
        firstRead(transport) {
          asked.push(asked.length);
          if (!take(transport)) return null;
          const s = new DummySession(transport);
          sessions.push(s);
          return s;
        },
      },
    });
    return { h, sessions, asked };
  }

  test("asked at the first read, not at open; the session gets that read whole (not parsed as HTTP/1.1) and every later one", () => {
    const { h, sessions, asked } = firstReadHarness(() => true);
    expect(asked).toEqual([]);
    h.feed(`${PREFACE}SETTINGS`);
    h.feed("more");
    expect(asked).toEqual([0]);
    expect(sessions[0]!.reads).toEqual([`${PREFACE}SETTINGS`, "more"]);
    expect(h.transport.writes.length).toBe(0);
    expect(h.conn.refusedWith).toBeNull();
    expect(h.core.size).toBe(1);
    sessions[0]!.transport.close();
    expect(sessions[0]!.calls).toEqual(["closed"]);
    expect(h.core.size).toBe(0);
  });

  test("null: HTTP/1.1 from the first byte, and the switch is not asked again on later reads", () => {
    const { h, sessions, asked } = firstReadHarness(() => false);
    h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    h.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(asked).toEqual([0]);
    expect(sessions.length).toBe(0);
    expect(text(h.transport.received()).match(/HTTP\/1\.1 200 OK/g)!.length).toBe(2);
  });

  test("the switch sees the transport (its ALPN choice): one connection taken, another left to HTTP/1.1", () => {
    const { h, sessions } = firstReadHarness((t) => t.alpnProtocol?.() === "h2");
    (h.transport as Transport).alpnProtocol = () => "h2";
    h.feed(PREFACE);
    const other = h.connect();
    other.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(sessions.length).toBe(1);
    expect(text(other.transport.received())).toStartWith("HTTP/1.1 200 OK\r\n");
  });
});

describe("shutdown reaching sessions that took a socket over", () => {
  test("beginShutdown (--shutdown-delay): onShutdownBegun once per session, also for one that takes over during the delay; then the drain", async () => {
    const { h, sessions } = upgradeHarness();
    h.feed(UPGRADE);
    const plain = h.connect();
    plain.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    h.core.beginShutdown();
    h.core.beginShutdown();
    expect(sessions[0]!.calls).toEqual(["begun"]);
    const later = h.connect();
    later.feed(UPGRADE);
    expect(sessions[1]!.calls).toEqual(["begun"]);
    // The HTTP/1.1 connection has no onShutdownBegun: its next answer closes (ctx.stopping), as before.
    plain.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(text(plain.transport.received())).toContain("Connection: close");
    const drained = h.core.shutdown();
    expect(sessions[0]!.calls).toEqual(["begun", "shutdown 1000 3000"]);
    h.core.closeAll();
    await drained;
  });

  test("a session that takes over once the drain began hears onShutdown, not onShutdownBegun", () => {
    const { h, sessions } = upgradeHarness();
    void h.core.shutdown();
    const late = h.connect();
    late.feed(UPGRADE);
    expect(sessions[0]!.calls).toEqual(["shutdown 1000 3000"]);
    h.core.closeAll();
  });
});

describe("the tick and --ws-ping-interval", () => {
  test("an interval under 4 s shortens the tick to a quarter of it; off or long leaves it at the timeouts'", () => {
    expect(new CoreHarness(testConfig()).core.tickMs).toBe(1000);
    expect(new CoreHarness(testConfig({ wsPingInterval: 0.2 })).core.tickMs).toBe(50);
    expect(new CoreHarness(testConfig({ wsPingInterval: 30 })).core.tickMs).toBe(1000);
    expect(new CoreHarness(testConfig({ wsPingInterval: 0 })).core.nextTimeout()).toBe(1000);
  });
});
