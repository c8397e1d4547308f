/**
 * Bun.serve reference answering the same bytes as hello-server
 * ("hello", Server, Date, Content-Type, Content-Length).
 *
 * Usage: bun bench/native/bun-serve.ts [--port 0] [--host 127.0.0.1] [--workers N] [--body TEXT] [--tls-cert F --tls-key F]
 * Prints `bun-serve listening on http://HOST:PORT (pid N)` on stderr.
 * With --workers N > 1 it spawns N processes sharing the port with
 * SO_REUSEPORT (Bun.serve `reusePort`), like hello-server's workers.
 */
import { readFileSync } from "node:fs";
import { HEADERS, parseNativeArgs, tlsFlags } from "./args.ts";

const args = parseNativeArgs(process.argv.slice(2));
// HTTPS with Bun.serve's own `tls` (BoringSSL), for compare's TLS scenarios.
const tls = args.tlsCert === null ? {} : { tls: { cert: readFileSync(args.tlsCert, "utf8"), key: readFileSync(args.tlsKey!, "utf8") } };

if (args.workers > 1) {
  // Children need a fixed port to share it; pick it by binding once here.
  const probe = Bun.serve({ port: args.port, hostname: args.host, reusePort: true, fetch: () => new Response(args.body) });
  const port = probe.port;
  const children = Array.from({ length: args.workers }, () =>
    Bun.spawn([process.execPath, import.meta.path, "--port", String(port), "--host", args.host, "--body", args.body, "--reuse-port", ...tlsFlags(args)], {
      stdio: ["ignore", "inherit", "ignore"],
    }),
  );
  probe.stop(true);
  console.error(`bun-serve listening on http://${args.host}:${port} (pid ${process.pid}, ${args.workers} workers)`);
  const stop = () => { for (const c of children) c.kill(); process.exit(0); };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await Promise.all(children.map((c) => c.exited));
} else {
  // Bun adds Date and Content-Length itself.
  const server = Bun.serve({
    port: args.port,
    hostname: args.host,
    reusePort: args.reusePort,
    ...tls,
    fetch: () => new Response(args.body, { headers: HEADERS }),
  });
  console.error(`bun-serve listening on http://${args.host}:${server.port} (pid ${process.pid})`);
}
