/**
 * Bun.serve's WebSocket (uWebSockets) as the echo peer of the comparison's
 * echo-ws scenario: every upgrade request, on any path, becomes a
 * WebSocket whose text and binary messages come back as they arrived;
 * other requests get hello-server's answer. No compression (Bun's
 * default: perMessageDeflate off), as hello-server negotiates none.
 *
 * Usage: bun bench/native/ws-bun.ts [--port 0] [--host 127.0.0.1]
 * Prints `ws-bun listening on http://HOST:PORT (pid N)` on stderr.
 */
import { HEADERS, parseNativeArgs } from "./args.ts";

const args = parseNativeArgs(process.argv.slice(2));
if (args.workers !== 1 || args.tlsCert !== null) throw new Error("ws-bun: one process, plain ws:// only");

const server = Bun.serve({
  port: args.port,
  hostname: args.host,
  fetch(req, srv) {
    if (srv.upgrade(req, { data: undefined })) return undefined;
    return new Response(args.body, { headers: HEADERS });
  },
  websocket: {
    perMessageDeflate: false,
    // A string for a text message, a Buffer for a binary one: send() keeps the opcode.
    message(ws, message) {
      ws.send(message);
    },
  },
});
console.error(`ws-bun listening on http://${args.host}:${server.port} (pid ${process.pid})`);
