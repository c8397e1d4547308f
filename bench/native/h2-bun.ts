/**
 * Bun.serve's HTTP/2 as the h2 peer of the comparison's h2c, h2c-single
 * and h2-tls scenarios, answering the same fields as hello-server ("hello",
 * server, date, content-type, content-length). `http2: true` serves h2c
 * with prior knowledge on a plain port (the connection opens with the
 * preface) and, with --tls-cert/--tls-key, h2 to clients that offer it by
 * ALPN; HTTP/1.1 stays on for everyone else, as on hello-server's port.
 *
 * Usage: bun bench/native/h2-bun.ts [--port 0] [--host 127.0.0.1] [--body TEXT] [--tls-cert F --tls-key F]
 * Prints `h2-bun listening on http://HOST:PORT (pid N)` on stderr (https:// with TLS).
 */
import { readFileSync } from "node:fs";
import { HEADERS, parseNativeArgs } from "./args.ts";

const args = parseNativeArgs(process.argv.slice(2));
// One process: the HTTP/2 rows compare CPU per request on one server core.
if (args.workers !== 1) throw new Error("h2-bun: one process only");
const tls = args.tlsCert === null ? {} : { tls: { cert: readFileSync(args.tlsCert, "utf8"), key: readFileSync(args.tlsKey!, "utf8") } };

// Bun adds date and content-length itself.
const server = Bun.serve({
  port: args.port,
  hostname: args.host,
  http2: true,
  ...tls,
  fetch: () => new Response(args.body, { headers: HEADERS }),
});
console.error(`h2-bun listening on ${args.tlsCert === null ? "http" : "https"}://${args.host}:${server.port} (pid ${process.pid})`);
