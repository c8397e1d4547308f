/**
 * Deno.serve as the h2 peer of the comparison's h2c, h2c-single and
 * h2-tls scenarios, answering the same fields as hello-server ("hello",
 * server, date, content-type, content-length). Deno.serve (hyper) speaks
 * h2c with prior knowledge on a plain port with no option (checked with
 * curl --http2-prior-knowledge, Deno 2.9) and h2 by ALPN with
 * --tls-cert/--tls-key; HTTP/1.1 stays on for everyone else.
 *
 * Usage: deno run -A bench/native/h2-deno.ts [--port 0] [--host 127.0.0.1] [--body TEXT] [--tls-cert F --tls-key F]
 * Prints `h2-deno listening on http://HOST:PORT (pid N)` on stderr (https:// with TLS).
 */
import { readFileSync } from "node:fs";
import { HEADERS, parseNativeArgs } from "./args.ts";

/** The few Deno APIs used here; the project carries no Deno lib types. */
interface DenoLike {
  args: string[];
  pid: number;
  serve(options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void; cert?: string; key?: string }, handler: () => Response): { addr: { port: number } };
}
declare const Deno: DenoLike;

const args = parseNativeArgs(Deno.args);
// One process: the HTTP/2 rows compare CPU per request on one server core.
if (args.workers !== 1) throw new Error("h2-deno: one process only");
const tls = args.tlsCert === null ? {} : { cert: readFileSync(args.tlsCert, "utf8"), key: readFileSync(args.tlsKey!, "utf8") };

// Deno.serve adds date and content-length itself.
const server = Deno.serve({ port: args.port, hostname: args.host, onListen: () => {}, ...tls }, () => new Response(args.body, { headers: HEADERS }));
console.error(`h2-deno listening on ${args.tlsCert === null ? "http" : "https"}://${args.host}:${server.addr.port} (pid ${Deno.pid})`);
