/**
 * The WebSocket echo peers (bench/native/ws-bun.ts, ws-deno.ts,
 * ws-node.ts) each start, echo a text and a binary message to a real
 * client (the runtime's WebSocket), answer a plain GET with hello, and
 * give the generator a valid 0.5-second run. Correctness only.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWsEcho, WS_ECHO_DEFAULTS } from "../../bench/ws-echo/client.ts";
import { BUN, bundleForNode, DENO, startAnnounced } from "./h2-spawn.ts";

const tmp = mkdtempSync(join(tmpdir(), "hello-ws-peers-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PEERS: Array<[string, () => string[]]> = [
  ["ws-bun", () => [BUN, "bench/native/ws-bun.ts", "--port", "0"]],
  ["ws-deno", () => [DENO, "run", "-A", "bench/native/ws-deno.ts", "--port", "0"]],
  ["ws-node", () => ["node", bundleForNode("ws-node", tmp), "--port", "0"]],
];

/** One message through a client WebSocket; resolves with what came back. */
function echoOnce(url: string, message: string | Uint8Array): Promise<string | Uint8Array> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const timer = setTimeout(() => (ws.close(), fail(new Error("no echo in 5 s"))), 5000);
    ws.onopen = () => ws.send(message);
    ws.onerror = () => (clearTimeout(timer), fail(new Error("WebSocket error")));
    ws.onmessage = (e) => {
      clearTimeout(timer);
      ws.close();
      ok(typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer));
    };
  });
}

for (const [name, argv] of PEERS) {
  test(`${name}: echoes text and binary, answers GET, and a short generator run is valid`, async () => {
    const peer = await startAnnounced(argv());
    try {
      const url = `ws://127.0.0.1:${peer.port}/ws`;
      expect(await echoOnce(url, "hello, echo")).toBe("hello, echo");
      expect(await echoOnce(url, new Uint8Array([0, 1, 2, 255]))).toEqual(new Uint8Array([0, 1, 2, 255]));
      const plain = await fetch(`http://127.0.0.1:${peer.port}/`, { keepalive: false });
      expect([plain.status, await plain.text(), plain.headers.get("server")]).toEqual([200, "hello", "hello-server"]);
      const r = await runWsEcho({ ...WS_ECHO_DEFAULTS, url, connections: 16, warmupS: 0.2, durationS: 0.5, drainS: 2, serverPids: [peer.pid] });
      expect(r.invalidReasons).toEqual([]);
      expect(r.messages).toBeGreaterThan(100);
      expect(r.cpuUsPerMessage).not.toBeNull();
    } finally {
      await peer.stop();
    }
  }, 60_000);
}
