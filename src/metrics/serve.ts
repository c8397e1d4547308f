/**
 * Where the metrics come from and where they are served (--metrics-port):
 *
 *   --workers 1   the serving process counts and serves its own /metrics;
 *   --workers N   each worker sends its counters up the supervisor pipe every second, as it
 *                 exits, and when a scrape asks (src/spawner/protocol.ts); the supervisor sums
 *                 them (aggregate.ts) and serves /metrics. A scrape asks every worker for its
 *                 counters now and waits for the answers (100 ms at most; a worker busy past
 *                 that is served from its last report, and hello_metrics_snapshot_age_seconds
 *                 says how old), so "send N, then scrape" reads N.
 */
import { hostPort } from "../contract/address.ts";
import { VERSION, type Config } from "../config.ts";
import { detectRuntime } from "../runtime.ts";
import { lifecycle } from "../spawner/log.ts";
import type { SupervisorMessage, WorkerMessage } from "../spawner/protocol.ts";
import { resolveIo } from "../backends.ts";
import { Aggregator } from "./aggregate.ts";
import type { WorkerCounters } from "./counters.ts";
import { renderMetrics, type BuildInfo } from "./exposition.ts";
import { startMetricsListener, type MetricsListener, type ScrapeRefresh } from "./listener.ts";

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
async function listen(config: Config, render: () => string, warn: (line: string) => void, refresh: ScrapeRefresh | null = null): Promise<MetricsListener> {
  const host = config.metricsHost ?? config.host;
  const listener = await startMetricsListener({ host, port: config.metricsPort!, runtime: detectRuntime(), warn }, render, refresh);
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

/** Scrapes waiting for their answers at once, at most (more are concurrent scrapers gone astray, or abandoned ones). */
const MAX_SCRAPES_WAITING = 64;

/** The supervisor's side: every worker's reports summed, served on --metrics-port. */
export class PodMetrics implements ScrapeRefresh {
  readonly #pod = new Aggregator();
  readonly #info: BuildInfo;
  #listener: MetricsListener | null = null;
  /** The last scrape request sent, and the workers each one waits for (those serving when it was sent). */
  #seq = 0;
  readonly #waiting = new Map<number, Set<number>>();

  /** `tell(pid, m)`: a line to worker `pid` (its stdin). */
  constructor(
    private readonly config: Config,
    private readonly tell: (pid: number, m: SupervisorMessage) => void,
  ) {
    this.#info = buildInfo(config);
  }

  async listen(warn: (line: string) => void): Promise<number> {
    this.#listener = await listen(this.config, () => renderMetrics(this.#pod.totals(), this.#info), warn, this);
    return this.#listener.port;
  }

  ask(): number {
    const seq = ++this.#seq;
    const pids = new Set(this.#pod.livePids());
    this.#waiting.set(seq, pids);
    // A scrape whose client went away never asks isAnswered: keep only the recent ones (in order of asking).
    for (const old of this.#waiting.keys()) {
      if (this.#waiting.size <= MAX_SCRAPES_WAITING) break;
      this.#waiting.delete(old);
    }
    for (const pid of pids) this.tell(pid, { kind: "metrics", seq });
    return seq;
  }

  isAnswered(seq: number): boolean {
    const left = this.#waiting.get(seq);
    if (left !== undefined && left.size > 0) return false;
    // Answered (or asked of nobody); a scrape asks once, so its entry goes.
    this.#waiting.delete(seq);
    return true;
  }

  started(pid: number): void {
    this.#pod.started(pid);
  }

  message(pid: number, m: WorkerMessage): void {
    if (m.kind !== "metrics") return;
    this.#pod.update(pid, m.counters);
    // Lines on a pipe arrive in order: an answer to `seq` also answers every earlier request.
    if (m.seq !== undefined) for (const [seq, left] of this.#waiting) if (seq <= m.seq) left.delete(pid);
  }

  /** Called once the worker's pipe has closed: no report of it can come later, and its last one (at exit) is in. */
  exited(pid: number, served: boolean): void {
    this.#pod.exited(pid, served);
    for (const left of this.#waiting.values()) left.delete(pid);
  }

  stop(): void {
    this.#listener?.stop();
  }
}
