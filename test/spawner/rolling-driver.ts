/**
 * Usage: bun test/spawner/rolling-driver.ts RUNTIME [--load http1|h2] [--restarts N] [--keep-alive N] [SERVER FLAGS…]
 * Starts `hello-server --workers 2` on RUNTIME, runs a continuous load for the whole run, sends
 * SIGHUP N times (default 1), each once the last rolling restart is done and the load has moved
 * on, and prints one JSON line: what the load counted, how long each restart took and each old
 * worker took to drain (from its replacement's "started" line to its "exited" line), the worker
 * pids and the server's lines.
 *   - `--load http1` (the default): 4 connection-per-request clients and 4 keep-alive clients
 *     (or as many as --keep-alive says); counts requests answered, lost on new connections, and
 *     failed on reused (keep-alive) connections;
 *   - `--load h2`: h2load and an accounting node:http2 client over h2c
 *     (test/http2/rolling-load.ts says what each counts).
 * spawner.test.ts, cluster.test.ts and h2-rolling.test.ts run it inside a fresh network
 * namespace where it can set net.ipv4.tcp_migrate_req (spawner.test.ts says why: a closing
 * SO_REUSEPORT listener otherwise resets connections in its accept queue).
 */
import { h2RollingLoad } from "../http2/rolling-load.ts";
import { keepAliveLoad, listening, load, type Runtime } from "./harness.ts";

/** A load kept running through the restarts. */
export interface RollingLoad {
  /** Answers so far: the driver paces its restarts on them. */
  answered(): number;
  /** How many more answers mean the load has moved on, before the first restart and after each. */
  readonly step: number;
  /** Stops the load; what it counted goes into the JSON line. */
  stop(): Promise<Record<string, unknown>>;
}

interface LoadOptions {
  readonly restarts: number;
  readonly keepAliveClients: number;
}

function http1RollingLoad(port: number, keepAliveClients: number): RollingLoad {
  const perRequest = load(port, 4);
  const keepAlive = keepAliveLoad(port, keepAliveClients);
  const answered = (): number => perRequest.ok() + keepAlive.ok();
  return {
    answered,
    step: 100,
    stop: async () => {
      await Promise.all([perRequest.stop(), keepAlive.stop()]);
      return {
        ok: answered(),
        // Connection-per-request clients: every request is a new connection's first.
        errors: [...perRequest.errors, ...keepAlive.lostNew],
        failedReused: keepAlive.failedReused,
        keepAliveOk: keepAlive.ok(),
        closedByServer: keepAlive.closedByServer(),
      };
    },
  };
}

const LOADS = {
  http1: (port: number, o: LoadOptions) => http1RollingLoad(port, o.keepAliveClients),
  h2: (port: number, o: LoadOptions) => h2RollingLoad(port, o.restarts),
} as const satisfies Record<string, (port: number, o: LoadOptions) => RollingLoad>;

/** How long the load may take to move on before the driver goes on without it (and the caller's counts say so). */
const MOVED_TIMEOUT_MS = 10_000;

if (import.meta.main) await main();

async function main(): Promise<void> {
  const runtime = process.argv[2] as Runtime;
  let flags = process.argv.slice(3);
  let restarts = 1;
  let keepAliveClients = 4;
  let loadName: keyof typeof LOADS = "http1";
  for (;;) {
    if (flags[0] === "--restarts") restarts = Number(flags[1]);
    else if (flags[0] === "--keep-alive") keepAliveClients = Number(flags[1]);
    else if (flags[0] === "--load") {
      if (!(flags[1]! in LOADS)) throw new Error(`--load takes ${Object.keys(LOADS).join(" or ")}, not ${flags[1]}`);
      loadName = flags[1] as keyof typeof LOADS;
    } else break;
    flags = flags.slice(2);
  }

  const { server, port } = await listening(runtime, ["--workers", "2", ...flags]);
  try {
    await server.waitFor(/test connections spread/);
    const running = LOADS[loadName](port, { restarts, keepAliveClients });
    const moved = async (): Promise<void> => {
      const until = running.answered() + running.step;
      const deadline = Date.now() + MOVED_TIMEOUT_MS;
      while (running.answered() < until && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };
    const restartMs: number[] = [];
    const drainMs: number[] = [];
    await moved();
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
      await moved();
    }
    const counted = await running.stop();
    console.log(JSON.stringify({ ...counted, restartMs, drainMs, started: server.startedPids(), lines: server.lines }));
  } finally {
    await server.close();
  }
}
