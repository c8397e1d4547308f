/**
 * A tiny HTTP/2 server for real-client tests: a node:net server in the test
 * process that bridges each socket to an Http2Session through a Transport
 * adapter, with an app that answers `hello` (or `?size=N` octets, as the real
 * server's --request-control does). Not the integrated server: it checks the
 * session against curl, nghttp, h2load, Python h2 and the flood clients.
 */
import { createServer, type Server, type Socket } from "node:net";
import { NodeTransport } from "../../src/adapters/node.ts";
import { Http2Session } from "../../src/http2/session.ts";
import { DEFAULT_HTTP2_OPTIONS, type Http2Options, type Http2Reply, type Http2Request } from "../../src/http2/types.ts";
import { HELLO, HELLO_BLOCK } from "./helpers.ts";

/** The largest `?size=` answered: the real server's --max-size default is larger; this bounds the test process. */
const MAX_SIZE = 8 << 20;
const SIZED = new Uint8Array(MAX_SIZE).fill(0x61);

function bodyFor(path: string): Uint8Array {
  const m = /[?&]size=(\d+)/.exec(path);
  return m === null ? HELLO : SIZED.subarray(0, Math.min(MAX_SIZE, Number(m[1])));
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
  const app = { request: (req: Http2Request, reply: Http2Reply) => reply.respond(HELLO_BLOCK, bodyFor(req.path)) };
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    // The real node adapter's transport: past Node's high-water mark a write takes nothing, so a peer that does not read shows as backpressure.
    const transport = new NodeTransport(socket);
    const session = new Http2Session(transport, { ...DEFAULT_HTTP2_OPTIONS, ...options }, app, clock);
    sessions.add(session);
    socket.on("data", (b: Buffer) => {
      clock.now = Date.now();
      session.onData(b);
    });
    socket.on("drain", () => {
      clock.now = Date.now();
      transport.blocked = false;
      session.onDrain();
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
