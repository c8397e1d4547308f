/**
 * node:http2 as the h2 peer of the comparison's h2c, h2c-single and
 * h2-tls scenarios, answering the same fields as hello-server ("hello",
 * server, date, content-type, content-length): `createServer` (h2c with
 * prior knowledge) or, with --tls-cert/--tls-key, `createSecureServer`
 * (h2 by ALPN). node:http2 serves HTTP/2 only on either: its HTTP/1.1
 * fallback (`allowHTTP1`) goes through the compatibility API, and the
 * stream API answers here, node's cheapest path.
 *
 * Usage: node h2-node.mjs [--port 0] [--host 127.0.0.1] [--body TEXT] [--tls-cert F --tls-key F]
 * (bundled with esbuild first: node 20 cannot run .ts).
 * Prints `h2-node listening on http://HOST:PORT (pid N)` on stderr (https:// with TLS).
 */
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { HEADERS, parseNativeArgs } from "./args.ts";

const args = parseNativeArgs(process.argv.slice(2));
// One process: the HTTP/2 rows compare CPU per request on one server core.
if (args.workers !== 1) throw new Error("h2-node: one process only");
const body = Buffer.from(args.body);
// node:http2 adds date itself (sendDate); field names are lower case on the wire (RFC 9113 §8.2.1).
const answer = { ":status": 200, server: HEADERS.Server, "content-type": HEADERS["Content-Type"], "content-length": String(body.length) };

const server =
  args.tlsCert === null
    ? http2.createServer()
    : http2.createSecureServer({ cert: readFileSync(args.tlsCert, "utf8"), key: readFileSync(args.tlsKey!, "utf8") });
server.on("stream", (stream: http2.ServerHttp2Stream) => {
  stream.respond(answer);
  stream.end(body);
});
server.listen(args.port, args.host, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : args.port;
  console.error(`h2-node listening on ${args.tlsCert === null ? "http" : "https"}://${args.host}:${port} (pid ${process.pid})`);
});
