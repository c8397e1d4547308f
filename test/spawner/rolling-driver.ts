/**
 * Usage: bun test/spawner/rolling-driver.ts RUNTIME [--restarts N] [--keep-alive N] [SERVER FLAGS…]
 * Starts `hello-server --workers 2` on RUNTIME, runs continuous load (4
 * connection-per-request clients and 4 keep-alive clients, or as many as
 * --keep-alive says), sends SIGHUP N
 * times (default 1), each once the last rolling restart is done and the load
 * has moved on, and prints one JSON line: requests answered, requests lost on
 * new connections, requests failed on reused (keep-alive) connections, how
 * long each restart took and each old worker took to drain (from its
 * replacement's "started" line to its "exited" line), the worker pids and
 * the server's lines.
 * spawner.test.ts and cluster.test.ts run it inside a fresh network
 * namespace where it can set net.ipv4.tcp_migrate_req (see there why).
 */
import { keepAliveLoad, listening, load, type Runtime } from "./harness.ts";

const runtime = process.argv[2] as Runtime;
let flags = process.argv.slice(3);
let restarts = 1;
let keepAliveClients = 4;
for (;;) {
  if (flags[0] === "--restarts") restarts = Number(flags[1]);
  else if (flags[0] === "--keep-alive") keepAliveClients = Number(flags[1]);
  else break;
  flags = flags.slice(2);
}

const { server, port } = await listening(runtime, ["--workers", "2", ...flags]);
try {
  await server.waitFor(/test connections spread/);
  const perRequest = load(port, 4);
  const keepAlive = keepAliveLoad(port, keepAliveClients);
  const answered = (): number => perRequest.ok() + keepAlive.ok();
  const moved = async (n: number): Promise<void> => {
    const from = answered();
    while (answered() < from + n) await new Promise((r) => setTimeout(r, 5));
  };
  const restartMs: number[] = [];
  const drainMs: number[] = [];
  await moved(100);
  for (let i = 0; i < restarts; i++) {
    const from = server.lines.length;
    const sent = Date.now();
    process.kill(server.pid, "SIGHUP");
    await server.waitFor(/^hello-server: rolling restart done$/, 20_000, from);
    restartMs.push(Date.now() - sent);
    // Each slot: the replacement starts, then the old worker is stopped and exits.
    let startedAt = 0;
    for (let k = from; k < server.lines.length; k++) {
      if (/^hello-server: worker \d+ started$/.test(server.lines[k]!)) startedAt = server.lineTimes[k]!;
      else if (/^hello-server: worker \d+ exited/.test(server.lines[k]!)) drainMs.push(server.lineTimes[k]! - startedAt);
    }
    await moved(100);
  }
  await Promise.all([perRequest.stop(), keepAlive.stop()]);
  console.log(
    JSON.stringify({
      ok: answered(),
      // Connection-per-request clients: every request is a new connection's first.
      errors: [...perRequest.errors, ...keepAlive.lostNew],
      failedReused: keepAlive.failedReused,
      keepAliveOk: keepAlive.ok(),
      closedByServer: keepAlive.closedByServer(),
      restartMs,
      drainMs,
      started: server.startedPids(),
      lines: server.lines,
    }),
  );
} finally {
  await server.close();
}
