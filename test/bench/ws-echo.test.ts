/**
 * The WebSocket echo generator (bench/ws-echo/): its RFC 6455 pieces as
 * data, and whole runs against a tiny echo server written here (a child
 * process, since the generator's loop holds this thread) that answers
 * right, or wrong in one way each: a flipped echo byte, a wrong accept
 * value, a close frame, a masked echo. Only the right one gives a valid
 * run. Correctness only: no timing is asserted.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { runWsEcho, WS_ECHO_DEFAULTS } from "../../bench/ws-echo/client.ts";
import { checkHandshake, encodeMasked, expectedAccept, fillPayload, Op, RandomPool, readFrame, type ServerFrame } from "../../bench/ws-echo/frames.ts";
import { parseWsEchoOutput } from "../../bench/ws-echo/result.ts";
import { BUN, ROOT, startAnnounced, type Peer } from "./h2-spawn.ts";

const ACCEPT_101 = (accept: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;

describe("frames", () => {
  test("the accept value of RFC 6455 §1.3's example", () => {
    expect(expectedAccept("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  test("the 101 is checked field by field", () => {
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    const good = ACCEPT_101("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    expect(checkHandshake(good, key)).toBeNull();
    expect(checkHandshake(good.replace("Connection: Upgrade", "Connection: keep-alive, upgrade"), key)).toBeNull();
    expect(checkHandshake(good.replace("s3pPL", "s3pPM"), key)).toBe("wrong Sec-WebSocket-Accept");
    expect(checkHandshake(good.replace("101 Switching Protocols", "200 OK"), key)).toBe("status 200 instead of 101");
    expect(checkHandshake(good.replace("Upgrade: websocket\r\n", ""), key)).toBe("Upgrade does not hold websocket");
    expect(checkHandshake(good.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"), key)).toBe("an extension the client did not offer");
  });

  test("a masked text frame unmasks to its payload, and each frame gets a fresh mask", () => {
    const random = new RandomPool();
    const payload = new Uint8Array(32);
    fillPayload(payload, 32, 3, 7);
    const frames = [new Uint8Array(38), new Uint8Array(38)];
    for (const f of frames) expect(encodeMasked(f, Op.TEXT, payload, 32, random)).toBe(38);
    const [a, b] = frames as [Uint8Array, Uint8Array];
    expect([a[0], a[1]]).toEqual([0x81, 0x80 | 32]);
    const unmasked = a.subarray(6).map((x, i) => x ^ a[2 + (i & 3)]!);
    expect(new TextDecoder().decode(unmasked)).toBe(new TextDecoder().decode(payload));
    expect(new TextDecoder().decode(payload).startsWith("3.7.")).toBe(true);
    expect(a.subarray(2, 6)).not.toEqual(b.subarray(2, 6));
  });

  test("server frames are read whole only, in each length form", () => {
    const f: ServerFrame = { fin: false, rsv: 0, opcode: 0, masked: false, payloadStart: 0, payloadLength: 0, end: 0 };
    const small = new Uint8Array([0x81, 2, 104, 105]);
    expect(readFrame(small, 0, 3, f)).toBe(false);
    expect(readFrame(small, 0, 4, f)).toBe(true);
    expect([f.fin, f.opcode, f.masked, f.payloadStart, f.payloadLength, f.end]).toEqual([true, 1, false, 2, 2, 4]);
    const mid = new Uint8Array(4 + 300);
    mid.set([0x02, 126, 1, 44]);
    expect(readFrame(mid, 0, 303, f)).toBe(false);
    expect(readFrame(mid, 0, 304, f)).toBe(true);
    expect([f.fin, f.opcode, f.payloadLength, f.end]).toEqual([false, 2, 300, 304]);
  });
});

/**
 * An echo server in one string, run with `bun -e`: a correct handshake
 * (or a wrong accept), then each masked text frame answered per MODE.
 */
const ECHO_SERVER = `
const { createServer } = require("node:net");
const { createHash } = require("node:crypto");
const MODE = process.argv.at(-1);
createServer((sock) => {
  let buf = Buffer.alloc(0), open = false;
  sock.on("error", () => {});
  sock.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    if (!open) {
      const end = buf.indexOf("\\r\\n\\r\\n");
      if (end < 0) return;
      const key = /sec-websocket-key: *(\\S+)/i.exec(buf.subarray(0, end).toString())[1];
      let accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
      // Another first character (a fixed "x" is right 1 time in 64: base64's first character is random).
      if (MODE === "accept") accept = (accept[0] === "x" ? "y" : "x") + accept.slice(1);
      sock.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + "\\r\\n\\r\\n");
      buf = buf.subarray(end + 4);
      open = true;
    }
    while (buf.length >= 6 && buf.length >= 6 + (buf[1] & 0x7f)) {
      const len = buf[1] & 0x7f, mask = buf.subarray(2, 6);
      const payload = Buffer.from(buf.subarray(6, 6 + len).map((x, i) => x ^ mask[i & 3]));
      buf = buf.subarray(6 + len);
      if ((buf[0] & 0x0f) === 8) return sock.end();
      if (MODE === "close") { sock.write(Buffer.from([0x88, 2, 0x03, 0xe8])); continue; }
      if (MODE === "flip") payload[len - 1] ^= 1;
      if (MODE === "mask") { sock.write(Buffer.concat([Buffer.from([0x81, 0x80 | len, 0, 0, 0, 0]), payload])); continue; }
      sock.write(Buffer.concat([Buffer.from([0x81, len]), payload]));
    }
  });
}).listen(0, "127.0.0.1", function () {
  console.error("listening on http://127.0.0.1:" + this.address().port + " (pid " + process.pid + ")");
});
`;

const peers: Peer[] = [];
afterAll(async () => {
  await Promise.all(peers.map((p) => p.stop()));
});

async function echoServer(mode: string): Promise<Peer> {
  const peer = await startAnnounced([BUN, "-e", ECHO_SERVER, mode]);
  peers.push(peer);
  return peer;
}

const short = { ...WS_ECHO_DEFAULTS, connections: 8, warmupS: 0.1, durationS: 0.5, drainS: 1 };

describe("runs against a test echo server", () => {
  test("a right echo: valid, every echo counted, server CPU measured", async () => {
    const server = await echoServer("ok");
    const r = await runWsEcho({ ...short, url: `ws://127.0.0.1:${server.port}/ws`, serverPids: [server.pid] });
    expect(r.invalidReasons).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.messages).toBeGreaterThan(100);
    expect(r.echoed).toBeGreaterThan(r.messages);
    expect(r.roundTripUs.count).toBe(r.messages);
    expect(r.messagesPerS).toBeCloseTo((r.messages * 1e6) / r.windowUs, 6);
    expect(r.cpuUsPerMessage).not.toBeNull();
    expect(Object.values(r.errors).every((n) => n === 0)).toBe(true);
  }, 20_000);

  const wrong: Array<[string, string, RegExp]> = [
    ["flip", "wrongEcho", /echo bytes differ from the message/],
    ["mask", "wrongEcho", /masked frame from the server/],
    ["close", "closed", /close frame from the server \(code 1000\)/],
    ["accept", "handshake", /wrong Sec-WebSocket-Accept/],
  ];
  for (const [mode, kind, why] of wrong) {
    test(`a server that answers wrong (${mode}) makes the run invalid`, async () => {
      const server = await echoServer(mode);
      const r = await runWsEcho({ ...short, url: `ws://127.0.0.1:${server.port}/ws` });
      expect(r.valid).toBe(false);
      expect(r.errors[kind as keyof typeof r.errors]).toBe(8);
      expect(r.invalidReasons.join("; ")).toMatch(why);
      expect(r.messages).toBe(0);
    }, 20_000);
  }

  test("nobody listening: an error, not a hang", async () => {
    await expect(runWsEcho({ ...short, url: "ws://127.0.0.1:1/" })).rejects.toThrow("connections opened");
  });

  test("the command line prints a result line that parses", async () => {
    const server = await echoServer("ok");
    const proc = Bun.spawn([BUN, "bench/ws-echo/ws-echo.ts", "--url", `ws://127.0.0.1:${server.port}/`, "--connections", "4", "--warmup", "0", "--duration", "0.3", "--pid", String(server.pid), "--json"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    const r = parseWsEchoOutput(stdout);
    expect([r.valid, r.connections, r.serverPids]).toEqual([true, 4, [server.pid]]);
  }, 20_000);
});
