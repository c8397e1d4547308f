/**
 * Deno.upgradeWebSocket as the echo peer of the comparison's echo-ws
 * scenario: every upgrade request, on any path, becomes a WebSocket whose
 * text and binary messages come back as they arrived; other requests get
 * hello-server's answer. Deno negotiates no compression.
 *
 * Usage: deno run -A bench/native/ws-deno.ts [--port 0] [--host 127.0.0.1]
 * Prints `ws-deno listening on http://HOST:PORT (pid N)` on stderr.
 */
import { HEADERS, parseNativeArgs } from "./args.ts";

/** The few Deno APIs used here; the project carries no Deno lib types. */
interface DenoLike {
  args: string[];
  pid: number;
  serve(options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void }, handler: (req: Request) => Response): { addr: { port: number } };
  upgradeWebSocket(req: Request): { socket: WebSocket; response: Response };
}
declare const Deno: DenoLike;

const args = parseNativeArgs(Deno.args);
if (args.workers !== 1 || args.tlsCert !== null) throw new Error("ws-deno: one process, plain ws:// only");

const server = Deno.serve({ port: args.port, hostname: args.host, onListen: () => {} }, (req) => {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response(args.body, { headers: HEADERS });
  const { socket, response } = Deno.upgradeWebSocket(req);
  // Binary arrives as an ArrayBuffer (binaryType "arraybuffer"), text as a string: send() keeps the opcode.
  socket.binaryType = "arraybuffer";
  socket.onmessage = (e) => socket.send(e.data as string | ArrayBuffer);
  return response;
});
console.error(`ws-deno listening on http://${args.host}:${server.addr.port} (pid ${Deno.pid})`);
