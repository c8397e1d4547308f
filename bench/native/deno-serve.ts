/**
 * Deno.serve reference answering the same bytes as hello-server
 * ("hello", Server, Date, Content-Type, Content-Length).
 *
 * Usage: deno run -A --unstable-net bench/native/deno-serve.ts [--port 0] [--host 127.0.0.1] [--workers N] [--body TEXT] [--tls-cert F --tls-key F]
 * Prints `deno-serve listening on http://HOST:PORT (pid N)` on stderr.
 * With --workers N > 1 it spawns N processes sharing the port with
 * SO_REUSEPORT (Deno.serve `reusePort`, Linux only).
 */
import { readFileSync } from "node:fs";
import { HEADERS, parseNativeArgs, tlsFlags } from "./args.ts";

/** The few Deno APIs used here; the project carries no Deno lib types. */
interface DenoLike {
  args: string[];
  pid: number;
  execPath(): string;
  serve(
    options: { port: number; hostname: string; reusePort?: boolean; onListen?: (addr: { port: number }) => void; cert?: string; key?: string },
    handler: () => Response,
  ): { addr: { port: number }; shutdown(): Promise<void> };
  Command: new (cmd: string, options: { args: string[]; stdout: "inherit"; stderr: "null" }) => {
    spawn(): { kill(signal?: string): void; status: Promise<unknown> };
  };
  addSignalListener(signal: "SIGTERM" | "SIGINT", handler: () => void): void;
  exit(code: number): never;
}
declare const Deno: DenoLike;

const args = parseNativeArgs(Deno.args);
const quiet = { port: args.port, hostname: args.host, onListen: () => {} };
// HTTPS with Deno.serve's own `cert`/`key` (rustls), for compare's TLS scenarios.
const tls = args.tlsCert === null ? {} : { cert: readFileSync(args.tlsCert, "utf8"), key: readFileSync(args.tlsKey!, "utf8") };

if (args.workers > 1) {
  const probe = Deno.serve({ ...quiet, reusePort: true }, () => new Response(args.body));
  const port = probe.addr.port;
  const script = new URL(import.meta.url).pathname;
  const children = Array.from({ length: args.workers }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--unstable-net", script, "--port", String(port), "--host", args.host, "--body", args.body, "--reuse-port", ...tlsFlags(args)],
      stdout: "inherit",
      stderr: "null",
    }).spawn(),
  );
  await probe.shutdown();
  console.error(`deno-serve listening on http://${args.host}:${port} (pid ${Deno.pid}, ${args.workers} workers)`);
  const stop = () => { for (const c of children) c.kill("SIGTERM"); Deno.exit(0); };
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  await Promise.all(children.map((c) => c.status));
} else {
  // Deno.serve adds Date and Content-Length itself.
  const server = Deno.serve({ ...quiet, ...tls, reusePort: args.reusePort }, () => new Response(args.body, { headers: HEADERS }));
  console.error(`deno-serve listening on http://${args.host}:${server.addr.port} (pid ${Deno.pid})`);
}
