/**
 * src/protocols/upgrade.ts on its own: every handshake case of upgrade-cases.ts → 101 / 400 /
 * 426 / null, the 101's and the refusals' exact fields, the refused socket's closing, the h2c
 * branch point, and what is counted.
 */
import { describe, expect, test } from "bun:test";
import type { ExchangeRequest, RequestFields } from "../../src/contract/exchange.ts";
import type { Upgrade } from "../../src/contract/session.ts";
import { DEFAULTS, type Config } from "../../src/config.ts";
import type { WebSocketCounters } from "../../src/protocols/counters.ts";
import { createUpgrade, protocolSwitch, requestedProtocols, type UpgradeOptions } from "../../src/protocols/upgrade.ts";
import { FakeTransport } from "../helpers/fake-transport.ts";
import { SAMPLE_ACCEPT, UPGRADE_CASES, type Decision } from "./upgrade-cases.ts";

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);
const config = (overrides: Partial<Config> = {}): Config => ({ ...DEFAULTS, wsEchoPath: "/ws", ...overrides });
const text = (b: Uint8Array): string => new TextDecoder("latin1").decode(b);

/** An ExchangeRequest from field lines as sent; repeated names joined with ", " (RFC 9110 §5.3). */
function request(method: string, target: string, lines: ReadonlyArray<readonly [string, string]>): ExchangeRequest {
  const fields: RequestFields = {
    get(lowerName) {
      const values = lines.filter(([n]) => n.toLowerCase() === lowerName).map(([, v]) => v.trim());
      return values.length === 0 ? null : values.join(", ");
    },
    forEach(visit) {
      for (const [n, v] of lines) visit(n, v.trim());
    },
  };
  return { protocol: "http/1.1", method, target, streamId: 0, fields, bodyLength: 0, peer: null, local: null, tls: false };
}

function decide(up: Upgrade | null): Decision {
  if (up === null) return null;
  return Number(text(up.response).slice(9, 12)) as Decision;
}

const options = (extra: Partial<UpgradeOptions> = {}): UpgradeOptions => ({ clock: { now: NOW }, servedBy: null, ...extra });

describe("decisions as data", () => {
  const upgrade = createUpgrade(config(), options())!;
  for (const c of UPGRADE_CASES) {
    test(`${c.name} → ${c.expect ?? "no switch"}`, () => {
      expect(decide(upgrade(request(c.method, c.target, c.fields)))).toBe(c.expect);
    });
  }
});

describe("answers", () => {
  const good = UPGRADE_CASES[0]!;

  test("101: the accept value of RFC 6455 §1.3, no subprotocol, no extension, X-Served-By with --served-by", () => {
    const plain = text(createUpgrade(config(), options())!(request("GET", "/ws", good.fields))!.response);
    expect(plain).toBe(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n\r\n`);
    const served = text(createUpgrade(config(), options({ servedBy: "box/7" }))!(request("GET", "/ws", good.fields))!.response);
    expect(served).toBe(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\nX-Served-By: box/7\r\n\r\n`);
    expect(served.toLowerCase()).not.toContain("sec-websocket-protocol");
    expect(served.toLowerCase()).not.toContain("sec-websocket-extensions");
  });

  test("400: Date, Connection: close, a text reason with its length", () => {
    const lines = UPGRADE_CASES.find((c) => c.name === "no key")!.fields;
    const answer = text(createUpgrade(config(), options({ servedBy: "box/7" }))!(request("GET", "/ws", lines))!.response);
    const [head, body] = answer.split("\r\n\r\n") as [string, string];
    expect(head.split("\r\n")).toEqual([
      "HTTP/1.1 400 Bad Request",
      "Server: hello-server",
      "Date: Tue, 02 Jan 2024 03:04:05 GMT",
      "Content-Type: text/plain; charset=utf-8",
      `Content-Length: ${body.length}`,
      "Connection: close",
      "X-Served-By: box/7",
    ]);
    expect(body).toContain("Sec-WebSocket-Key");
  });

  test("426: Sec-WebSocket-Version: 13 and the Upgrade it asks for (RFC 9110 §15.5.22)", () => {
    const lines = UPGRADE_CASES.find((c) => c.name === "version 8")!.fields;
    const answer = text(createUpgrade(config(), options())!(request("GET", "/ws", lines))!.response);
    expect(answer.startsWith("HTTP/1.1 426 Upgrade Required\r\n")).toBe(true);
    expect(answer).toContain("\r\nSec-WebSocket-Version: 13\r\n");
    expect(answer).toContain("\r\nUpgrade: websocket\r\n");
    expect(answer).toContain("\r\nConnection: upgrade, close\r\n");
  });

  test("a HEAD refused: the same fields, no content (RFC 9110 §9.3.2)", () => {
    const answer = text(createUpgrade(config(), options())!(request("HEAD", "/ws", good.fields))!.response);
    expect(answer.startsWith("HTTP/1.1 400 ")).toBe(true);
    expect(answer).toMatch(/\r\nContent-Length: [1-9]\d*\r\n/);
    expect(answer.endsWith("\r\n\r\n")).toBe(true);
  });
});

describe("the refused socket", () => {
  const refused = () => {
    const clock = { now: NOW };
    const lines = UPGRADE_CASES.find((c) => c.name === "version 8")!.fields;
    const up = createUpgrade(config(), { clock, servedBy: null })!(request("GET", "/ws", lines))!;
    const transport = new FakeTransport();
    const session = up.open(transport);
    transport.onClose = () => session.onClosed();
    return { clock, transport, session };
  };

  test("half-closes at once, drops what still arrives, closes at the peer's FIN; its refusal is named", () => {
    const { transport, session } = refused();
    expect(transport.shutDown).toBe(true);
    expect(session.refusedWith).toBe("WS_VERSION");
    session.onData(new Uint8Array([0x81, 0x80, 1, 2, 3, 4]));
    expect(transport.writes.length).toBe(0);
    expect(transport.closed).toBe(false);
    session.onEnd();
    expect(transport.closed).toBe(true);
    expect(session.deadline).toBe(Infinity);
  });

  test("a peer that never sends its FIN is closed after the linger, and a drain shortens the wait", () => {
    const { clock, transport, session } = refused();
    expect(session.deadline).toBeGreaterThan(clock.now);
    session.onShutdown(100, 100);
    expect(session.deadline).toBe(clock.now + 100);
    clock.now = session.deadline;
    session.onTimeout();
    expect(transport.closed).toBe(true);
  });
});

describe("the one place Upgrade is read", () => {
  test("nothing configured: no switch at all, so the core keeps its upgrade hook null", () => {
    expect(createUpgrade(config({ wsEchoPath: null }), options())).toBeNull();
    expect(protocolSwitch(config({ wsEchoPath: null }), options())).toEqual({});
    expect(typeof protocolSwitch(config(), options()).upgrade).toBe("function");
  });

  test("protocols in the client's order, case-insensitive, name/version compared whole", () => {
    expect(requestedProtocols("IRC/6.9, H2C, WebSocket")).toEqual(["h2c", "websocket"]);
    expect(requestedProtocols("websocket/13")).toEqual([]);
    expect(requestedProtocols(null)).toEqual([]);
  });

  test("the h2c branch: its switch decides h2c requests on any path; its null lets websocket be tried", () => {
    const asked: string[] = [];
    const h2cAnswer: Upgrade = { response: new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\n\r\n"), open: () => { throw new Error("not opened here"); } };
    const h2c = (r: ExchangeRequest): Upgrade | null => {
      asked.push(r.target);
      return r.target === "/yes" ? h2cAnswer : null;
    };
    const onlyH2c = createUpgrade(config({ wsEchoPath: null }), options({ h2c }))!;
    const h2cFields = [["Host", "a"], ["Connection", "Upgrade, HTTP2-Settings"], ["Upgrade", "h2c"]] as const;
    expect(onlyH2c(request("GET", "/yes", h2cFields))).toBe(h2cAnswer);
    expect(onlyH2c(request("GET", "/no", h2cFields))).toBeNull();
    const both = createUpgrade(config(), options({ h2c }))!;
    const good = UPGRADE_CASES[0]!.fields.map(([n, v]) => (n === "Upgrade" ? ([n, "h2c, websocket"] as const) : ([n, v] as const)));
    expect(decide(both(request("GET", "/ws", good)))).toBe(101);
    expect(asked).toEqual(["/yes", "/no", "/ws"]);
  });
});

describe("counting", () => {
  test("opened at open, each message in and out, closed with its code", () => {
    const events: string[] = [];
    const counters: WebSocketCounters = {
      opened: () => events.push("opened"),
      closed: (code) => events.push(`closed ${code}`),
      messageReceived: () => events.push("in"),
      messageSent: () => events.push("out"),
    };
    const up = createUpgrade(config(), options({ wsCounters: counters }))!(request("GET", "/ws", UPGRADE_CASES[0]!.fields))!;
    expect(events).toEqual([]);
    const transport = new FakeTransport();
    const session = up.open(transport);
    transport.onClose = () => session.onClosed();
    // A masked text frame "hi", then a close 1000 (RFC 6455 §5.7's mask).
    const mask = [0x37, 0xfa, 0x21, 0x3d];
    const masked = (bytes: number[]) => bytes.map((b, i) => b ^ mask[i & 3]!);
    session.onData(Uint8Array.from([0x81, 0x82, ...mask, ...masked([0x68, 0x69])]));
    session.onData(Uint8Array.from([0x88, 0x82, ...mask, ...masked([0x03, 0xe8])]));
    session.onEnd();
    expect(events).toEqual(["opened", "in", "out", "closed 1000"]);
    expect(session.refusedWith).toBeNull();
  });
});
