/**
 * A tiny HTTP/2 server for real-client tests: a node:net server in the test
 * process that bridges each socket to an Http2Session through a Transport
 * adapter, with an app that answers `hello`. Not the integrated server: it
 * checks the session against curl, nghttp, h2load and Python h2.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Transport } from "../../src/http2/io.ts";
import { Http2Session } from "../../src/http2/session.ts";
import { DEFAULT_HTTP2_OPTIONS, type Http2Options } from "../../src/http2/types.ts";
import { HELLO, HELLO_BLOCK } from "./helpers.ts";

class SocketTransport implements Transport {
  constructor(private readonly socket: Socket) {}
  write(data: Uint8Array): number {
    // node:net buffers everything; report all taken, like the socket back end when not backed up.
    this.socket.write(data.slice());
    return data.length;
  }
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
  shutdown(): void {
    this.socket.end();
  }
  close(): void {
    this.socket.end();
    this.socket.destroySoon();
  }
  abort(): void {
    this.socket.destroy();
  }
  reset(): void {
    this.socket.resetAndDestroy();
  }
}

export interface H2TestServer {
  readonly port: number;
  /** Sessions that ended with an error, by error name (ENHANCE_YOUR_CALM…). */
  readonly refusals: string[];
  close(): Promise<void>;
}

export async function startH2Server(options: Partial<Http2Options> = {}): Promise<H2TestServer> {
  const clock = { now: Date.now() };
  const sessions = new Set<Http2Session>();
  const refusals: string[] = [];
  const ticker = setInterval(() => {
    clock.now = Date.now();
    for (const s of sessions) if (clock.now >= s.deadline) s.onTimeout();
  }, 50);
  const app = { request: (_req: unknown, reply: { respond(b: Uint8Array, body: Uint8Array | null): void }) => reply.respond(HELLO_BLOCK, HELLO) };
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    const session = new Http2Session(new SocketTransport(socket), { ...DEFAULT_HTTP2_OPTIONS, ...options }, app, clock);
    sessions.add(session);
    socket.on("data", (b: Buffer) => {
      clock.now = Date.now();
      session.onData(b);
    });
    socket.on("end", () => session.onEnd());
    socket.on("error", () => {});
    socket.on("close", () => {
      if (session.refusedWith !== null) refusals.push(session.refusedWith);
      session.onClosed();
      sessions.delete(session);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    refusals,
    close: async () => {
      clearInterval(ticker);
      for (const s of sessions) s.abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
