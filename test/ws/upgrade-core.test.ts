/**
 * The switch given to the real HTTP core (createHttpCore's `protocols`) on a fake transport and
 * a manual clock: what the wiring will do, checked in-process through the takeover seam as it is
 * committed. HTTP before the upgrade, the 101 and the echo after it, a refusal's close, the
 * idle timeout and pings on the core's tick, the drain's 1001, and a forced close.
 */
import { describe, expect, test } from "bun:test";
import { protocolSwitch } from "../../src/protocols/upgrade.ts";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";
import { SAMPLE_ACCEPT, SAMPLE_KEY } from "./upgrade-cases.ts";

const START = 1_700_000_000_000;
const MASK = [0x37, 0xfa, 0x21, 0x3d];
const latin1 = (b: Uint8Array): string => new TextDecoder("latin1").decode(b);
const HANDSHAKE = `GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${SAMPLE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/** A masked client frame (FIN set). */
function frame(opcode: number, payload: number[]): Uint8Array {
  return Uint8Array.from([0x80 | opcode, 0x80 | payload.length, ...MASK, ...payload.map((b, i) => b ^ MASK[i & 3]!)]);
}
const bytes = (s: string): number[] => Array.from(new TextEncoder().encode(s));

/** A core with the ws switch; the switch's clock follows the harness's. */
function harness(flags: Parameters<typeof testConfig>[0] = {}) {
  const clock = { now: START };
  const config = testConfig({ wsEchoPath: "/ws", ...flags });
  const h = new CoreHarness(config, START, { protocols: protocolSwitch(config, { clock, servedBy: null }) });
  const advance = (ms: number) => {
    clock.now += ms;
    h.advance(ms);
  };
  /** What the client received after the first `from` bytes. */
  const since = (from: number): number[] => Array.from(h.transport.received().subarray(from));
  return { h, advance, since };
}

describe("through the core", () => {
  test("an HTTP request, then the upgrade on the same connection: 200, 101, and frames echoed from the same read on", () => {
    const { h, since } = harness();
    h.feed(`GET / HTTP/1.1\r\nHost: a\r\n\r\n${HANDSHAKE}`);
    const out = latin1(h.transport.received());
    expect(out.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(out.endsWith(`Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`)).toBe(true);
    const mark = h.transport.received().length;
    h.feed(frame(0x1, bytes("héllo")));
    expect(since(mark)).toEqual([0x81, bytes("héllo").length, ...bytes("héllo")]);
  });

  test("a frame in the same read as the handshake is echoed right after the 101", () => {
    const { h } = harness();
    h.feed(Uint8Array.from([...bytes(HANDSHAKE), ...frame(0x2, [1, 2, 3])]));
    const all = h.transport.received();
    expect(Array.from(all.subarray(all.length - 5))).toEqual([0x82, 3, 1, 2, 3]);
  });

  test("a refused upgrade: 426 written, then a half-close, and the close at the client's FIN", () => {
    const { h } = harness();
    h.feed(HANDSHAKE.replace("Version: 13", "Version: 8"));
    const out = latin1(h.transport.received());
    expect(out.startsWith("HTTP/1.1 426 Upgrade Required\r\n")).toBe(true);
    expect(out).toContain("\r\nSec-WebSocket-Version: 13\r\n");
    expect(h.transport.shutDown).toBe(true);
    h.client.end();
    expect(h.transport.closed).toBe(true);
    expect(h.core.size).toBe(0);
  });

  test("another path with Upgrade: websocket is an ordinary request", () => {
    const { h } = harness();
    h.feed(HANDSHAKE.replace("GET /ws ", "GET /other "));
    expect(latin1(h.transport.received()).startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
  });

  test("--idle-timeout: a silent WebSocket gets close 1001 on the core's tick", () => {
    const { h, advance, since } = harness({ idleTimeout: 1 });
    h.feed(HANDSHAKE);
    const mark = h.transport.received().length;
    advance(500);
    expect(since(mark)).toEqual([]);
    advance(600);
    expect(since(mark)).toEqual([0x88, 2, 0x03, 0xe9]);
  });

  test("--ws-ping-interval: pings on the core's tick while the client is silent", () => {
    const { h, advance, since } = harness({ wsPingInterval: 0.5 });
    h.feed(HANDSHAKE);
    const mark = h.transport.received().length;
    for (let i = 0; i < 4; i++) advance(h.core.tickMs);
    const pings = since(mark);
    expect(pings.length).toBeGreaterThan(0);
    for (let i = 0; i < pings.length; i += 2) expect([pings[i], pings[i + 1]]).toEqual([0x89, 0]);
  });

  test("a drain sends close 1001 and ends when the client answers with its close", async () => {
    const { h, since } = harness();
    h.feed(HANDSHAKE);
    const mark = h.transport.received().length;
    const drained = h.core.shutdown();
    expect(since(mark)).toEqual([0x88, 2, 0x03, 0xe9]);
    h.feed(frame(0x8, [0x03, 0xe9]));
    h.client.end();
    await drained;
    expect(h.core.size).toBe(0);
  });

  test("--ws-max-message: one byte over closes with 1009", () => {
    const { h, since } = harness({ wsMaxMessage: 4 });
    h.feed(HANDSHAKE);
    const mark = h.transport.received().length;
    h.feed(frame(0x2, [1, 2, 3, 4, 5]));
    expect(since(mark)).toEqual([0x88, 2, 0x03, 0xf1]);
  });

  test("closeAll aborts the session and the core forgets it", () => {
    const { h } = harness();
    h.feed(HANDSHAKE);
    expect(h.core.size).toBe(1);
    h.core.closeAll();
    expect(h.transport.aborted).toBe(true);
    expect(h.core.size).toBe(0);
  });
});
