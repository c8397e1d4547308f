/** Real clients against the test harness's echo server (a node:net socket bridged to a WebSocketSession). */
import { describe, expect, test } from "bun:test";
import * as net from "node:net";
import { runPythonClient, runWsPackageClient } from "./clients.ts";
import { startWsEchoServer } from "./harness.ts";

describe("real clients", () => {
  test("the ws package: text, binary, fragmented, 1 MiB echoed; 1 MiB + 1 closes with 1009", async () => {
    const server = await startWsEchoServer();
    try {
      const r = await runWsPackageClient(server.url);
      expect(r).toEqual({ text: true, binary: true, fragmented: true, mebibyte: true, overCloseCode: 1009 });
      expect(server.closedCodes).toEqual([1009]);
    } finally {
      await server.close();
    }
  }, 30_000);

  test("python3-websockets: text, binary, ping, close 1000", async () => {
    const server = await startWsEchoServer();
    try {
      const r = await runPythonClient(server.url);
      expect(r).toEqual({ text: true, binary: true, ping: true, closeCode: 1000 });
    } finally {
      await server.close();
    }
  }, 30_000);

  test("a version 8 upgrade gets 426 with Sec-WebSocket-Version: 13", async () => {
    const server = await startWsEchoServer();
    const socket = net.connect(server.port, "127.0.0.1");
    try {
      let answer = "";
      socket.on("data", (d) => (answer += d.toString()));
      const ended = new Promise((resolve) => socket.on("end", resolve));
      socket.write(
        "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
      );
      await ended;
      expect(answer.startsWith("HTTP/1.1 426 ")).toBe(true);
      expect(answer).toContain("\r\nSec-WebSocket-Version: 13\r\n");
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
