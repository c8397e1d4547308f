/**
 * A tiny WebSocket echo server for tests, until the HTTP/1.1 core hands connections over itself:
 * a `node:net` listener in the test process that reads the upgrade request, answers it with
 * src/ws/handshake.ts, and bridges the socket to a WebSocketSession through a Transport. The
 * clients (clients.ts) take a URL, so the integrated server's tests can point them at it instead.
 */
import * as net from "node:net";
import { checkUpgrade, upgradeAnswer, VERSION_FIELD_LINE } from "../../src/ws/handshake.ts";
import { WebSocketSession, type SessionOptions } from "../../src/ws/session.ts";
import { SessionHost } from "../helpers/session-host.ts";

export const HARNESS_OPTIONS: SessionOptions = { maxMessage: 1 << 20, pingIntervalMs: 0, idleTimeoutMs: 30_000, maxBufferedOutput: 64 * 1024 };

/** How often the harness's clock ticks and fires due deadlines (the core's tick, coarsely). */
const TICK_MS = 20;
const MAX_HEAD = 8 * 1024;

export interface WsEchoServer {
  readonly url: string;
  readonly port: number;
  /** Close codes of the sessions that ended so far, in order. */
  readonly closedCodes: number[];
  close(): Promise<void>;
}

function refuse(socket: net.Socket, status: 400 | 426, reason: string): void {
  const extra = status === 426 ? VERSION_FIELD_LINE : "";
  socket.end(`HTTP/1.1 ${status} ${status === 400 ? "Bad Request" : "Upgrade Required"}\r\n${extra}Connection: close\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`);
}

/** Starts the echo server on 127.0.0.1 and a free port. */
export async function startWsEchoServer(options: Partial<SessionOptions> = {}): Promise<WsEchoServer> {
  const sessionOptions = { ...HARNESS_OPTIONS, ...options };
  const host = new SessionHost<WebSocketSession>(TICK_MS);
  const closedCodes: number[] = [];

  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    let head = Buffer.alloc(0);
    const onHead = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) {
        if (head.length > MAX_HEAD) socket.destroy();
        return;
      }
      socket.off("data", onHead);
      const lines = head.subarray(0, end).toString("latin1").split("\r\n");
      const [method = ""] = lines[0]!.split(" ");
      const fields = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        fields.set(name, fields.has(name) ? `${fields.get(name)}, ${value}` : value);
      }
      const check = checkUpgrade(method, (name) => fields.get(name) ?? null);
      if ("status" in check) return refuse(socket, check.status, check.reason);
      socket.write(upgradeAnswer(check.accept, ""));
      bridge(socket, head.subarray(end + 4));
    };
    socket.on("data", onHead);
    socket.on("error", () => {});
  });

  function bridge(socket: net.Socket, rest: Buffer): void {
    const session = host.bridge(socket, (transport) => new WebSocketSession(transport, sessionOptions, host.clock, { closed: (code) => closedCodes.push(code) }));
    if (rest.length > 0) session.onData(rest);
  }

  const port = await host.listen(server);
  return { url: `ws://127.0.0.1:${port}/`, port, closedCodes, close: () => host.close(server) };
}
