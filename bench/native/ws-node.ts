/**
 * The `ws` package on node:http as the echo peer of the comparison's
 * echo-ws scenario: every upgrade request, on any path, becomes a
 * WebSocket whose text and binary messages come back as they arrived;
 * other requests get hello-server's answer. No compression (ws's server
 * default: perMessageDeflate off), as hello-server negotiates none.
 *
 * Usage: node ws-node.cjs [--port 0] [--host 127.0.0.1]
 * (bundled with esbuild first, ws included, as CommonJS: node 20 cannot
 * run .ts, and ws require()s node's builtins, which an ESM bundle cannot).
 * Prints `ws-node listening on http://HOST:PORT (pid N)` on stderr.
 */
import http from "node:http";
import { WebSocketServer } from "ws";
import { HEADERS, parseNativeArgs } from "./args.ts";

const args = parseNativeArgs(process.argv.slice(2));
if (args.workers !== 1 || args.tlsCert !== null) throw new Error("ws-node: one process, plain ws:// only");
const contentLength = String(Buffer.byteLength(args.body));

const server = http.createServer((_req, res) => {
  res.writeHead(200, { ...HEADERS, "Content-Length": contentLength });
  res.end(args.body);
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.listen(args.port, args.host, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : args.port;
  console.error(`ws-node listening on http://${args.host}:${port} (pid ${process.pid})`);
});
