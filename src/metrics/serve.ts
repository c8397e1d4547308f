/**
 * Where the metrics come from and where they are served (--metrics-port):
 *
 *   --workers 1   the serving process counts and serves its own /metrics;
 *   --workers N   each worker sends its counters up the supervisor pipe every second and as
 *                 it exits (src/spawner/protocol.ts); the supervisor sums them (aggregate.ts)
 *                 and serves /metrics, so a scrape never waits on a worker and never lands on
 *                 a busy one.
 */
import { hostPort } from "../contract/address.ts";
import { VERSION, type Config } from "../config.ts";
import { detectRuntime } from "../runtime.ts";
import { lifecycle } from "../spawner/log.ts";
import type { WorkerMessage } from "../spawner/protocol.ts";
import { resolveIo } from "../backends.ts";
import { Aggregator } from "./aggregate.ts";
import type { WorkerCounters } from "./counters.ts";
import { renderMetrics, type BuildInfo } from "./exposition.ts";
import { startMetricsListener, type MetricsListener } from "./listener.ts";

/** How often a worker reports: one scrape interval of Prometheus' default (15 s) sees 15 reports. */
export const REPORT_INTERVAL_MS = 1000;

function buildInfo(config: Config): BuildInfo {
  const runtime = detectRuntime();
  return {
    version: VERSION,
    runtime,
    io: resolveIo(config.io, runtime, config.host, config.tlsCert !== null),
    startTimeSeconds: Math.floor(Date.now() / 1000),
  };
}

/** Binds the listener and says where: `hello-server: metrics on http://HOST:PORT/metrics` (with --metrics-port 0, the port it got). */
async function listen(config: Config, render: () => string, warn: (line: string) => void): Promise<MetricsListener> {
  const host = config.metricsHost ?? config.host;
  const listener = await startMetricsListener({ host, port: config.metricsPort!, runtime: detectRuntime(), warn }, render);
  const where = `http://${hostPort(host, listener.port)}/metrics`;
  lifecycle(config.quiet, { event: "metrics_listening", message: `metrics on ${where}` });
  return listener;
}

/**
 * A worker under a supervisor: report the counters every second, and once more as the
 * process exits (synchronously, so the last requests are not lost to a replacement).
 */
export function reportCounters(counters: WorkerCounters, send: (m: WorkerMessage) => void): void {
  const report = () => send({ kind: "metrics", counters: counters.snapshot() });
  const timer = setInterval(report, REPORT_INTERVAL_MS);
  // Never what keeps a draining worker alive.
  (timer as { unref?: () => void }).unref?.();
  process.on("exit", report);
}

/** `--workers 1`: this process is the pod; it serves its own counters (null: it counts nothing yet). */
export async function serveOwnMetrics(config: Config, own: WorkerCounters | null, warn: (line: string) => void): Promise<MetricsListener> {
  const pod = new Aggregator();
  pod.started(process.pid);
  const info = buildInfo(config);
  return listen(
    config,
    () => {
      if (own !== null) pod.update(process.pid, own.snapshot());
      return renderMetrics(pod.totals(), info);
    },
    warn,
  );
}

/** The supervisor's side: every worker's reports summed, served on --metrics-port. */
export class PodMetrics {
  readonly #pod = new Aggregator();
  readonly #info: BuildInfo;
  #listener: MetricsListener | null = null;

  constructor(private readonly config: Config) {
    this.#info = buildInfo(config);
  }

  async listen(warn: (line: string) => void): Promise<number> {
    this.#listener = await listen(this.config, () => renderMetrics(this.#pod.totals(), this.#info), warn);
    return this.#listener.port;
  }

  started(pid: number): void {
    this.#pod.started(pid);
  }

  message(pid: number, m: WorkerMessage): void {
    if (m.kind === "metrics") this.#pod.update(pid, m.counters);
  }

  /** Called once the worker's pipe has closed: no report of it can come later. */
  exited(pid: number, served: boolean): void {
    this.#pod.exited(pid, served);
  }

  stop(): void {
    this.#listener?.stop();
  }
}
