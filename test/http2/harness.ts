/**
 * A tiny HTTP/2 server for real-client tests: a node:net server in the test
 * process that bridges each socket to an Http2Session through a Transport
 * adapter, with an app that answers `hello` (or `?size=N` octets, as the real
 * server's --request-control does). Not the integrated server: it checks the
 * session against curl, nghttp, h2load, Python h2 and the flood clients.
 */
import { createServer, type Server } from "node:net";
import { Http2Session } from "../../src/http2/session.ts";
import { DEFAULT_HTTP2_OPTIONS, type Http2Options, type Http2Reply, type Http2Request } from "../../src/http2/types.ts";
import { SessionHost } from "../helpers/session-host.ts";
import { HELLO, HELLO_BLOCK } from "./helpers.ts";

/** The largest `?size=` answered: the real server's --max-size default is larger; this bounds the test process. */
const MAX_SIZE = 8 << 20;
const SIZED = new Uint8Array(MAX_SIZE).fill(0x61);
/** How often the clock ticks and fires due deadlines (the core's tick, coarsely). */
const TICK_MS = 50;

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
  const host = new SessionHost<Http2Session>(TICK_MS);
  const refusals: string[] = [];
  const app = { request: (req: Http2Request, reply: Http2Reply) => reply.respond(HELLO_BLOCK, bodyFor(req.path)) };
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    host.bridge(
      socket,
      (transport) => new Http2Session(transport, { ...DEFAULT_HTTP2_OPTIONS, ...options }, app, host.clock),
      (session) => {
        if (session.refusedWith !== null) refusals.push(session.refusedWith);
      },
    );
  });
  return { port: await host.listen(server), refusals, close: () => host.close(server) };
}
