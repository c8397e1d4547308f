/**
 * The Prometheus text exposition format (version 0.0.4): HELP and TYPE for every family, the
 * `hello_` prefix, `_total` on counters, base units (bytes, seconds), labels with bounded
 * values only (a method from a closed list, a status code, a refusal reason, a fault kind).
 * `promtool check metrics` is the referee (test/metrics/).
 */
import { ParseError, type ParseErrorKind } from "../http/constants.ts";
import type { Totals } from "./aggregate.ts";
import { FAULT_KINDS, GRPC_CODES, REFUSAL_KINDS } from "./counters.ts";

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Facts about the server, fixed at start. */
export interface BuildInfo {
  readonly version: string;
  readonly runtime: string;
  /** The I/O back end: socket, syscall or uring. */
  readonly io: string;
  /** When the serving process (the supervisor, with workers) started, seconds since the epoch. */
  readonly startTimeSeconds: number;
}

/** A label value escaped as the format asks: backslash, double quote and line feed. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function family(out: string[], name: string, type: "counter" | "gauge", help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

export function renderMetrics(t: Totals, info: BuildInfo): string {
  const out: string[] = [];
  family(
    out,
    "hello_requests_total",
    "counter",
    "Requests answered, by method, status code and protocol (http/1.1, h2); a WebSocket upgrade counts as its 101 (the health path's and gRPC calls are not counted).",
  );
  for (const key of Object.keys(t.requests).sort()) {
    const [protocol, method, code] = key.split(" ");
    out.push(`hello_requests_total{method="${label(method!)}",code="${label(code!)}",protocol="${label(protocol!)}"} ${t.requests[key]}`);
  }
  family(out, "hello_grpc_calls_total", "counter", "gRPC calls answered (health, echo, refused), by grpc-status code.");
  for (let code = 0; code < GRPC_CODES; code++) if (t.grpc[code] !== undefined) out.push(`hello_grpc_calls_total{code="${code}"} ${t.grpc[code]}`);
  family(out, "hello_requests_refused_total", "counter", "Requests refused before an answer could be chosen, by reason (the core's parse errors and timeouts) and status code.");
  for (const kind of REFUSAL_KINDS) {
    out.push(`hello_requests_refused_total{reason="${kind.toLowerCase()}",code="${ParseError[kind as ParseErrorKind]}"} ${t.refused[kind] ?? 0}`);
  }
  family(out, "hello_faults_injected_total", "counter", "Faults injected (--fail-rate, --delay, --reset-rate), by kind.");
  for (const kind of FAULT_KINDS) out.push(`hello_faults_injected_total{kind="${kind}"} ${t.faults[kind] ?? 0}`);
  family(out, "hello_connections_accepted_total", "counter", "TCP connections accepted.");
  out.push(`hello_connections_accepted_total ${t.accepted}`);
  family(out, "hello_connections_open", "gauge", "TCP connections open now.");
  out.push(`hello_connections_open ${t.open}`);
  family(out, "hello_websocket_connections", "gauge", "WebSocket sessions open now (their 101 sent, not yet closed).");
  out.push(`hello_websocket_connections ${t.wsOpen}`);
  family(out, "hello_websocket_messages_received_total", "counter", "Whole WebSocket messages (text or binary, every fragment) received.");
  out.push(`hello_websocket_messages_received_total ${t.wsReceived}`);
  family(out, "hello_websocket_messages_sent_total", "counter", "WebSocket messages sent (echoes).");
  out.push(`hello_websocket_messages_sent_total ${t.wsSent}`);
  family(out, "hello_access_log_dropped_total", "counter", "Access-log lines dropped (--access-log): the output could not keep up, or is gone.");
  out.push(`hello_access_log_dropped_total ${t.accessLogDropped}`);
  family(out, "hello_received_bytes_total", "counter", "Bytes received from clients.");
  out.push(`hello_received_bytes_total ${t.received}`);
  family(out, "hello_sent_bytes_total", "counter", "Bytes handed to the kernel for clients.");
  out.push(`hello_sent_bytes_total ${t.sent}`);
  family(out, "hello_worker_starts_total", "counter", "Worker processes started (the first ones, replacements and rolling restarts).");
  out.push(`hello_worker_starts_total ${t.workerStarts}`);
  family(out, "hello_worker_exits_total", "counter", "Worker processes that exited after they had started serving.");
  out.push(`hello_worker_exits_total ${t.workerExits}`);
  family(out, "hello_workers", "gauge", "Worker processes serving now.");
  out.push(`hello_workers ${t.workers}`);
  family(
    out,
    "hello_metrics_snapshot_age_seconds",
    "gauge",
    "Age of the oldest worker snapshot in this scrape: about 0 when every worker answered the scrape's request for its counters (100 ms at most), else the time since the slowest one last reported.",
  );
  out.push(`hello_metrics_snapshot_age_seconds ${t.snapshotAgeSeconds}`);
  family(out, "hello_build_info", "gauge", "Always 1: the version, runtime and I/O back end as labels.");
  out.push(`hello_build_info{version="${label(info.version)}",runtime="${label(info.runtime)}",io="${label(info.io)}"} 1`);
  family(out, "hello_start_time_seconds", "gauge", "When the server started, in seconds since the Unix epoch.");
  out.push(`hello_start_time_seconds ${info.startTimeSeconds}`);
  return out.join("\n") + "\n";
}
