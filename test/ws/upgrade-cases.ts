/**
 * The upgrade switch's decisions as data: a request (method, target, field lines as sent) and
 * what src/protocols/upgrade.ts answers on --ws-echo-path /ws: 101, 400, 426, or null (not a
 * switch: the request is answered as HTTP/1.1). Field lines repeat as on the wire; the fake
 * request joins them with ", " as RFC 9110 §5.3 (and the core's Http1Request) does.
 */
export type Decision = 101 | 400 | 426 | null;

export interface UpgradeCase {
  readonly name: string;
  readonly method: string;
  readonly target: string;
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly expect: Decision;
}

/** RFC 6455 §1.3's example key and the accept value it gives. */
export const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
export const SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

const GOOD: ReadonlyArray<readonly [string, string]> = [
  ["Host", "example"],
  ["Upgrade", "websocket"],
  ["Connection", "Upgrade"],
  ["Sec-WebSocket-Key", SAMPLE_KEY],
  ["Sec-WebSocket-Version", "13"],
];

/** GOOD with `name` replaced by `value` (null = removed), keeping the order. */
function withField(name: string, value: string | null): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (const f of GOOD) {
    if (f[0].toLowerCase() !== name.toLowerCase()) out.push(f);
    else if (value !== null) out.push([f[0], value]);
  }
  return out;
}

export const UPGRADE_CASES: readonly UpgradeCase[] = [
  // §4.2.1: the valid handshake, and the shapes real clients send.
  { name: "the RFC's handshake", method: "GET", target: "/ws", fields: GOOD, expect: 101 },
  { name: "a query after the path", method: "GET", target: "/ws?room=1", fields: GOOD, expect: 101 },
  { name: "Firefox's Connection list", method: "GET", target: "/ws", fields: withField("connection", "keep-alive, Upgrade"), expect: 101 },
  { name: "Connection and Upgrade in other cases", method: "GET", target: "/ws", fields: withField("connection", "UPGRADE").map(([n, v]) => (n === "Upgrade" ? [n, "WebSocket"] as const : [n, v] as const)), expect: 101 },
  { name: "Connection split over two lines", method: "GET", target: "/ws", fields: [...withField("connection", "keep-alive"), ["Connection", "upgrade"]], expect: 101 },
  { name: "websocket first among two protocols", method: "GET", target: "/ws", fields: withField("upgrade", "websocket, h2c"), expect: 101 },
  { name: "websocket after h2c, which is not offered", method: "GET", target: "/ws", fields: withField("upgrade", "h2c, websocket"), expect: 101 },
  { name: "the key with surrounding spaces", method: "GET", target: "/ws", fields: withField("sec-websocket-key", `  ${SAMPLE_KEY} `), expect: 101 },
  // §4.2.1 items 1-5 broken: 400.
  { name: "POST", method: "POST", target: "/ws", fields: GOOD, expect: 400 },
  { name: "HEAD", method: "HEAD", target: "/ws", fields: GOOD, expect: 400 },
  { name: "no Host", method: "GET", target: "/ws", fields: withField("host", null), expect: 400 },
  { name: "Connection without upgrade", method: "GET", target: "/ws", fields: withField("connection", "keep-alive"), expect: 400 },
  { name: "no key", method: "GET", target: "/ws", fields: withField("sec-websocket-key", null), expect: 400 },
  { name: "a key of 15 bytes", method: "GET", target: "/ws", fields: withField("sec-websocket-key", "AAAAAAAAAAAAAAAAAAAA"), expect: 400 },
  { name: "a key of 17 bytes", method: "GET", target: "/ws", fields: withField("sec-websocket-key", "AAAAAAAAAAAAAAAAAAAAAAA="), expect: 400 },
  { name: "a key that is not base64", method: "GET", target: "/ws", fields: withField("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ!!"), expect: 400 },
  // §4.2.1 item 6, §4.2.2 item 4: any other version (or none) gets 426 naming 13.
  { name: "version 8", method: "GET", target: "/ws", fields: withField("sec-websocket-version", "8"), expect: 426 },
  { name: "no version", method: "GET", target: "/ws", fields: withField("sec-websocket-version", null), expect: 426 },
  { name: "versions listed", method: "GET", target: "/ws", fields: withField("sec-websocket-version", "13, 8"), expect: 426 },
  // Not a WebSocket request on the echo path: no switch (RFC 9110 §7.8 lets a server ignore Upgrade).
  { name: "another path", method: "GET", target: "/", fields: GOOD, expect: null },
  { name: "a longer path", method: "GET", target: "/wss", fields: GOOD, expect: null },
  { name: "a path below it", method: "GET", target: "/ws/x", fields: GOOD, expect: null },
  { name: "h2c only (no HTTP/2 switch given)", method: "GET", target: "/ws", fields: withField("upgrade", "h2c"), expect: null },
  { name: "an unknown protocol", method: "GET", target: "/ws", fields: withField("upgrade", "IRC/6.9"), expect: null },
  { name: "websocket with a version suffix", method: "GET", target: "/ws", fields: withField("upgrade", "websocket/13"), expect: null },
  { name: "no Upgrade field", method: "GET", target: "/ws", fields: withField("upgrade", null), expect: null },
];
