/**
 * node:http reference answering the same bytes as hello-server
 * ("hello", Server, Date, Content-Type, Content-Length). node:http also
 * always writes `Connection: keep-alive` on HTTP/1.1 keep-alive responses
 * (node 20 has no switch for it); `keepAliveTimeout = 0` at least drops
 * its `Keep-Alive: timeout=5` line.
 *
 * Usage: node bench/native/node-http.js [--port 0] [--host 127.0.0.1] [--workers N] [--body TEXT] [--tls-cert F --tls-key F]
 * (with the TLS flags it is node:https, for compare's TLS scenarios)
 * (compare.ts bundles this file with esbuild: node 20 cannot run .ts).
 * Prints `node-http listening on http://HOST:PORT (pid N)` on stderr.
 * With --workers N > 1 it uses node:cluster (node 20 has no reusePort), so
 * the primary hands connections round-robin to N workers.
 */
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { HEADERS, parseNativeArgs } from "./args.ts";

const args = parseNativeArgs(process.argv.slice(2));
const contentLength = String(Buffer.byteLength(args.body));

function serve(port: number, announce: boolean): void {
  const answer: http.RequestListener = (_req, res) => {
    res.writeHead(200, { ...HEADERS, "Content-Length": contentLength });
    res.end(args.body);
  };
  const server =
    args.tlsCert === null
      ? http.createServer(answer)
      : https.createServer({ cert: readFileSync(args.tlsCert, "utf8"), key: readFileSync(args.tlsKey!, "utf8") }, answer);
  server.keepAliveTimeout = 0;
  server.listen(port, args.host, () => {
    const address = server.address();
    const bound = typeof address === "object" && address ? address.port : port;
    if (announce) console.error(`node-http listening on http://${args.host}:${bound} (pid ${process.pid})`);
  });
}

if (args.workers > 1 && cluster.isPrimary) {
  let online = 0;
  for (let i = 0; i < args.workers; i++) cluster.fork();
  cluster.on("listening", (_worker, address) => {
    if (++online === args.workers) {
      console.error(`node-http listening on http://${args.host}:${address.port} (pid ${process.pid}, ${args.workers} workers)`);
    }
  });
} else {
  serve(args.port, !cluster.isWorker);
}
