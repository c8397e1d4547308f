/**
 * A gRPC health peer on node:http2: `grpc.health.v1.Health/Check` answered
 * SERVING for any request, with no gRPC library (none is installed; the
 * issue's @grpc/grpc-js peer comes when it is). It gives the h2load
 * runner's gRPC mode (bench/h2/h2load.ts) a server that answers a real
 * gRPC unary call: content-type application/grpc, one length-prefixed
 * message, grpc-status in the trailers. Any other path is UNIMPLEMENTED
 * (12) as a trailers-only answer, and a request without
 * `content-type: application/grpc` gets 415, as gRPC over HTTP/2 says.
 *
 * Usage: node h2-node-grpc.mjs [--port 0] [--host 127.0.0.1] [--tls-cert F --tls-key F]
 * (bundled with esbuild first: node 20 cannot run .ts).
 * Prints `h2-node-grpc listening on http://HOST:PORT (pid N)` on stderr (https:// with TLS).
 */
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { parseNativeArgs } from "./args.ts";

const args = parseNativeArgs(process.argv.slice(2));
if (args.workers !== 1) throw new Error("h2-node-grpc: one process only");

const CHECK = "/grpc.health.v1.Health/Check";
/** Uncompressed flag, length 2, then HealthCheckResponse { status (field 1, varint) = SERVING (1) }. */
const SERVING = Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]);
const GRPC = "application/grpc";

const server =
  args.tlsCert === null
    ? http2.createServer()
    : http2.createSecureServer({ cert: readFileSync(args.tlsCert, "utf8"), key: readFileSync(args.tlsKey!, "utf8") });
server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
  const type = String(headers["content-type"] ?? "");
  // gRPC over HTTP/2: a content-type that is not application/grpc[+…] gets HTTP 415.
  if (type !== GRPC && !type.startsWith(`${GRPC}+`) && !type.startsWith(`${GRPC};`)) {
    stream.respond({ ":status": 415 }, { endStream: true });
    return;
  }
  if (headers[":path"] !== CHECK) {
    stream.respond({ ":status": 200, "content-type": GRPC, "grpc-status": "12" }, { endStream: true });
    return;
  }
  // The request message is read to its end before the answer, as a unary handler does.
  stream.on("data", () => {});
  stream.on("end", () => {
    stream.respond({ ":status": 200, "content-type": GRPC }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(SERVING);
  });
});
server.listen(args.port, args.host, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : args.port;
  console.error(`h2-node-grpc listening on ${args.tlsCert === null ? "http" : "https"}://${args.host}:${port} (pid ${process.pid})`);
});
