/**
 * `serve`: the one entry point src/main.ts calls for the "serve" command.
 *
 *   --workers 1            the server in this process, no supervisor
 *   --workers N (N > 1)    a supervisor and N worker processes sharing the port
 *   --workers auto         N = availableCpus() (affinity mask and cgroup quota)
 *
 * A worker process is this same program with WORKER_ENV set; it lands here
 * too and serves instead of supervising.
 */
import { UsageError, type Config } from "../config.ts";
import { detectRuntime, runtimeVersion } from "../runtime.ts";
import { tlsProblem } from "../tls/files.ts";
import { resolveIo } from "../backends.ts";
import { startWorker } from "../worker.ts";
import { currentPortSharing, currentProcessFacts, workerCommand } from "./command.ts";
import { availableCpus } from "./cpus.ts";
import { setLogFormat } from "./log.ts";
import { WORKER_ENV } from "./protocol.ts";
import { Supervisor } from "./supervisor.ts";
import { runSingle, runWorker, type StartWorker } from "./worker-process.ts";

export { availableCpus } from "./cpus.ts";

export function serve(config: Config): Promise<void> {
  return serveWith(config, startWorker);
}

/** `serve` with the server to run passed in (tests run the spawner around a stand-in). */
export async function serveWith(config: Config, start: StartWorker): Promise<void> {
  setLogFormat(config.logFormat);
  const runtime = detectRuntime();
  // The listening line names the I/O back end too: `--io auto` picks one per runtime. This also
  // refuses an impossible --io (syscall on Node) before any worker is spawned.
  const io = resolveIo(config.io, runtime, config.host, config.tlsCert !== null);
  const runtimeName = `${runtime} ${runtimeVersion(runtime)}, io ${io}`;
  if (process.env[WORKER_ENV] === "1") return runWorker(config, start, currentPortSharing(io) === "reuseport");
  // Certificates are checked once, before any worker: a bad pair is one line and exit 2, not a crash loop.
  if (config.tlsCert !== null && config.tlsKey !== null) {
    const problem = tlsProblem(runtime, { tlsCert: config.tlsCert, tlsKey: config.tlsKey, tlsClientCa: config.tlsClientCa });
    if (problem !== null) throw new UsageError(problem);
  }
  const workers = config.workers === "auto" ? availableCpus() : config.workers;
  if (workers <= 1) return runSingle(config, start, runtimeName);
  // Workers share --port 0 through the port the first one got (WORKER_PORT_ENV); a second free port is not passed on.
  if (config.tlsPort === 0) throw new UsageError(`--tls-port 0 needs --workers 1 (with ${workers} workers each would get a port of its own)`);
  const supervisor = new Supervisor({
    config,
    workers,
    command: workerCommand(currentProcessFacts()),
    sharing: currentPortSharing(io),
    runtime: runtimeName,
  });
  return supervisor.run();
}
