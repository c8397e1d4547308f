/**
 * Memory per idle WebSocket connection: opens N connections to one worker started with
 * `--ws-echo-path /ws`, each completing the opening handshake (RFC 6455 §4.1: the 101 and
 * Sec-WebSocket-Accept checked field by field) and then sending nothing, and reports the server's
 * resident memory per connection against N idle HTTP/1.1 keep-alive connections measured the
 * same way on a fresh server of the same flags in the same run (bench/lib/measure/held.ts, the
 * method of bench/h2/held.ts). The goal: an idle WebSocket costs at most an idle keep-alive
 * connection + 1 KiB. At a few hundred connections the figures are mostly fixed costs; the
 * per-connection figure is the 10,000 one.
 *
 * usage (alone on the machine; the server is pinned to CPU 0; needs `ulimit -n` above 2N in the
 * shell that runs it):
 *   ulimit -n 25000 && flock /tmp/hello-bench.lock node_modules/.bin/bun bench/ws/held.ts \
 *     --connections 10000 [--runtime bun|deno|node] [--io socket|syscall|uring] [--bundle dist/hello-server.js] [--port 19500]
 */
import type { Socket } from "node:net";
import { commandLine, integer, readFlags } from "../lib/cli/flags.ts";
import { checkFdLimit, HELD_TABLE_HEAD, heldRow, http1Idle, measureHeld, openConnection, type HeldServer, type Opener } from "../lib/measure/held.ts";
import { checkHandshake, handshakeRequest, headEnd, newKey, RandomPool } from "../ws-echo/frames.ts";

const { values } = readFlags(commandLine(), {
  connections: { type: "string" },
  runtime: { type: "string", default: "bun" },
  io: { type: "string", default: "socket" },
  bundle: { type: "string", default: "dist/hello-server.js" },
  port: { type: "string" },
}, "usage: bench/ws/held.ts [--connections 10000] [--runtime bun|deno|node] [--io socket|syscall|uring] [--bundle FILE] [--port 19500]");
const N = integer("connections", values.connections, 10_000);
const PORT = integer("port", values.port, 19_500);
const WS_PATH = "/ws";
// Both servers run with the same flags, so the difference is the WebSocket's own state.
const server: HeldServer = { runtime: values.runtime!, io: values.io!, bundle: values.bundle!, extra: ["--ws-echo-path", WS_PATH] };
/** The goal's allowance over an idle keep-alive connection, in bytes. */
const GOAL_EXTRA_BYTES = 1024;

const random = new RandomPool();

/** Held once the server's 101 is read whole and accepted; a server frame before any client frame would be a fault. */
function wsIdle(port: number): Promise<Socket> {
  const key = newKey(random);
  let head = Buffer.alloc(0);
  return openConnection(
    port,
    (s) => s.write(handshakeRequest(new URL(`ws://127.0.0.1:${port}${WS_PATH}`), key)),
    (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = headEnd(head, head.length);
      if (end < 0) return false;
      const wrong = checkHandshake(head.subarray(0, end).toString("latin1"), key);
      if (wrong !== null) throw new Error(`handshake refused: ${wrong}`);
      if (end !== head.length) throw new Error(`${head.length - end} bytes after the 101 from a silent client`);
      return true;
    },
  );
}

const run = (label: string, port: number, open: Opener) =>
  measureHeld(server, port, N, open).then((fig) => (console.log(heldRow(server, label, fig)), fig));

checkFdLimit(N);
console.log(HELD_TABLE_HEAD);
const ws = await run("WebSocket idle", PORT, wsIdle);
const h1 = await run("HTTP/1.1 idle", PORT + 1, http1Idle);
const extra = ws.perConnection - h1.perConnection;
console.log(`WebSocket − HTTP/1.1 per idle connection: ${extra >= 0 ? "+" : ""}${extra.toFixed(0)} B (goal ≤ +${GOAL_EXTRA_BYTES} B: ${extra <= GOAL_EXTRA_BYTES ? "met" : "missed"})`);
process.exit(0);
