/**
 * Usage: bun test/spawner/dualstack-driver.ts RUNTIME [SERVER FLAGS…]
 * Starts `hello-server --host :: --port 0 --workers 1` on RUNTIME, requests / over
 * 127.0.0.1 and over ::1, and prints one JSON line: { line, v4, v6 } (each the
 * response's first line, or the error). cluster.test.ts runs it in a network
 * namespace with net.ipv6.bindv6only=1, where a `::` socket is IPv6-only unless
 * the server turns IPV6_V6ONLY off itself.
 */
import { connect } from "node:net";
import { startServer, type Runtime } from "./harness.ts";

function firstLine(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let text = "";
    s.setTimeout(5000, () => s.destroy(new Error("timeout")));
    s.on("connect", () => s.write("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    s.on("data", (c: Buffer) => (text += c.toString("latin1")));
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.on("close", () => resolve(text.split("\r\n")[0]!));
  });
}

const server = await startServer(process.argv[2] as Runtime, ["--host", "::", "--port", "0", "--workers", "1", ...process.argv.slice(3)]);
try {
  const m = await server.waitFor(/^hello-server listening on http:\/\/\[::\]:(\d+) /, 15_000);
  const port = Number(m[1]);
  console.log(JSON.stringify({ line: m.input, v4: await firstLine("127.0.0.1", port), v6: await firstLine("::1", port) }));
} finally {
  await server.close();
}
