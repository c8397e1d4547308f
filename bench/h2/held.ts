/**
 * Memory per idle h2c connection: opens N connections to one worker, each sending the client
 * preface and an empty SETTINGS (RFC 9113 §3.4) and then nothing, and reports the server's
 * resident memory per connection (VmRSS once all are held and the server's SETTINGS has reached
 * each, minus before). The HTTP/2 twin of bench/held-connections.ts --mode idle; with
 * --http1 it measures idle HTTP/1.1 keep-alive connections (one request answered, then silent)
 * on a fresh server in the same run and prints the ratio (issue goal: h2c ≤ 2× HTTP/1.1).
 *
 * usage (alone on the machine; the server is pinned to CPU 0; N past ~1000 needs `ulimit -n`
 * above 2N in the shell that runs it):
 *   flock /tmp/hello-bench.lock node_modules/.bin/bun bench/h2/held.ts \
 *     [--connections 10000] [--runtime bun|deno|node] [--io socket|syscall|uring] [--http1] [--bundle dist/hello-server.js] [--port 19400]
 */
import { commandLine, integer, readFlags } from "../lib/cli/flags.ts";
import { checkFdLimit, firstAnswer, HELD_TABLE_HEAD, heldRow, http1Idle, measureHeld, type HeldServer } from "../lib/measure/held.ts";

const { values } = readFlags(commandLine(), {
  connections: { type: "string" },
  runtime: { type: "string", default: "bun" },
  io: { type: "string", default: "socket" },
  bundle: { type: "string", default: "dist/hello-server.js" },
  http1: { type: "boolean", default: false },
  port: { type: "string" },
}, "usage: bench/h2/held.ts [--connections 10000] [--runtime bun|deno|node] [--io socket|syscall|uring] [--http1] [--bundle FILE] [--port 19400]");
const N = integer("connections", values.connections, 10_000);
const PORT = integer("port", values.port, 19_400);
const server: HeldServer = { runtime: values.runtime!, io: values.io!, bundle: values.bundle!, extra: [] };

/** RFC 9113 §3.4: the preface, then a SETTINGS frame (empty: every default); held once the server's SETTINGS arrived. */
const h2cIdle = firstAnswer(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));

checkFdLimit(N);
console.log(HELD_TABLE_HEAD);
const h2 = await measureHeld(server, PORT, N, h2cIdle);
console.log(heldRow(server, "h2c idle", h2));
if (values.http1) {
  const h1 = await measureHeld(server, PORT + 1, N, http1Idle);
  console.log(heldRow(server, "HTTP/1.1 idle", h1));
  console.log(`h2c / HTTP/1.1 per idle connection: ${(h2.perConnection / h1.perConnection).toFixed(2)}×`);
}
process.exit(0);
