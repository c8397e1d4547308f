/**
 * Usage: bun test/spawner/rolling-driver.ts RUNTIME [SERVER FLAGS…]
 * Starts `hello-server --workers 2` on RUNTIME, runs connection-per-request
 * load, sends SIGHUP, and prints one JSON line: { ok, errors, restarted }.
 * spawner.test.ts runs it inside a fresh network namespace where it can set
 * net.ipv4.tcp_migrate_req (see there why).
 */
import { listening, load, type Runtime } from "./harness.ts";

const runtime = process.argv[2] as Runtime;
const { server, port } = await listening(runtime, ["--workers", "2", ...process.argv.slice(3)]);
try {
  await server.waitFor(/test connections spread/);
  const l = load(port, 4);
  while (l.ok() < 50) await new Promise((r) => setTimeout(r, 5));
  const from = server.lines.length;
  process.kill(server.pid, "SIGHUP");
  await server.waitFor(/^hello-server: rolling restart done$/, 20_000, from);
  const okAtDone = l.ok();
  while (l.ok() < okAtDone + 50) await new Promise((r) => setTimeout(r, 5));
  await l.stop();
  console.log(JSON.stringify({ ok: l.ok(), errors: l.errors, started: server.startedPids(), lines: server.lines }));
} finally {
  await server.close();
}
