/** Shapes shared by the comparison harness (bench/compare.ts). */

export type ScenarioId = "keepalive" | "pipelined" | "close" | "tls-keepalive" | "tls-close" | "h2c" | "h2c-single" | "h2-tls" | "echo-ws" | "grpc" | "grpc-tls";

/**
 * What a server must speak for a scenario to run on it: HTTP/1.1 plain or
 * over TLS (wrk or bench/load.ts), h2c with prior knowledge or h2 by ALPN
 * (h2load), a WebSocket echo (bench/ws-echo/), unary gRPC over h2c or over
 * TLS with h2 by ALPN (h2load).
 * A server kind lists the wires it serves (servers/kinds.ts).
 */
export type Wire = "http1" | "https1" | "h2c" | "h2" | "ws" | "grpc" | "grpcs";

/** Is this wire unary gRPC (h2load sends the pre-serialised health Check)? */
export function isGrpcWire(wire: Wire): boolean {
  return wire === "grpc" || wire === "grpcs";
}

export interface Scenario {
  readonly id: ScenarioId;
  readonly label: string;
  /** For the report's method: what one run does. */
  readonly description: string;
  readonly wire: Wire;
  /** What one counted exchange is: an HTTP request (a gRPC call is one) or an echoed WebSocket message. */
  readonly unit: "request" | "message";
  /** Requests per write (wrk counts each response). */
  readonly pipeline: number;
  /** Every request carries `Connection: close`: one request per connection. */
  readonly close: boolean;
  /** HTTPS, against the TLS server kinds (servers.ts, ids ending in `-tls`): with `close`, one full handshake per request. */
  readonly tls?: boolean;
  /**
   * The protocol scenarios' own connection count (and h2load's streams per
   * connection): fixed, as ../shared/BENCH.md sets them, whatever --connections says.
   */
  readonly connections?: number;
  readonly streams?: number;
}

export const SCENARIOS: readonly Scenario[] = [
  { id: "keepalive", label: "keep-alive", description: "keep-alive", wire: "http1", unit: "request", pipeline: 1, close: false },
  { id: "pipelined", label: "pipelined ×16", description: "pipelined ×16 (16 requests per write)", wire: "http1", unit: "request", pipeline: 16, close: false },
  { id: "close", label: "connection-close", description: "connection-close (Connection: close, one request per connection)", wire: "http1", unit: "request", pipeline: 1, close: true },
  { id: "tls-keepalive", label: "TLS keep-alive", description: "TLS keep-alive (HTTPS, every server on the same ECDSA P-256 certificate, its runtime's own TLS)", wire: "https1", unit: "request", pipeline: 1, close: false, tls: true },
  { id: "tls-close", label: "TLS connection-close", description: "TLS connection-close (a full handshake per request: its capacity per core is handshakes per second per core)", wire: "https1", unit: "request", pipeline: 1, close: true, tls: true },
  { id: "h2c", label: "h2c (-c 16 -m 32)", description: "h2c: h2load -c 16 -m 32 -t 1, GET / over HTTP/2 with prior knowledge, many streams per connection", wire: "h2c", unit: "request", pipeline: 1, close: false, connections: 16, streams: 32 },
  { id: "h2c-single", label: "h2c one stream (-c 64 -m 1)", description: "h2c-single: h2load -c 64 -m 1 -t 1, one stream at a time per connection", wire: "h2c", unit: "request", pipeline: 1, close: false, connections: 64, streams: 1 },
  { id: "h2-tls", label: "h2 over TLS (-c 16 -m 32)", description: "h2-tls: h2load -c 16 -m 32 -t 1 over https://, h2 by ALPN, every server on the session's ECDSA P-256 certificate", wire: "h2", unit: "request", pipeline: 1, close: false, tls: true, connections: 16, streams: 32 },
  { id: "echo-ws", label: "WebSocket echo (64 × 32 B)", description: "echo-ws: 64 WebSocket connections, each with one masked 32-byte text message in flight, every echo checked byte for byte (bench/ws-echo/); counted in echoed messages", wire: "ws", unit: "message", pipeline: 1, close: false, connections: 64 },
  { id: "grpc", label: "gRPC unary health Check (-c 16 -m 32)", description: "grpc: h2load -c 16 -m 32 -t 1, unary grpc.health.v1.Health/Check over h2c with a pre-serialised request (content-type application/grpc, te: trailers)", wire: "grpc", unit: "request", pipeline: 1, close: false, connections: 16, streams: 32 },
  { id: "grpc-tls", label: "gRPC Check over TLS (-c 16 -m 32)", description: "grpc-tls: the grpc scenario over https://, h2 by ALPN, every server on the session's ECDSA P-256 certificate", wire: "grpcs", unit: "request", pipeline: 1, close: false, tls: true, connections: 16, streams: 32 },
];

/** The scenarios measured by h2load or the WebSocket generator rather than wrk: opt-in (--scenarios, --preset protocols). */
export function isProtocolScenario(scenario: ScenarioId): boolean {
  const wire = SCENARIOS.find((s) => s.id === scenario)?.wire;
  return wire !== "http1" && wire !== "https1";
}

/** The connection counts a scenario is measured at: its own fixed count, or every --connections count. */
export function scenarioConnections(scenario: ScenarioId, counts: readonly number[]): readonly number[] {
  const own = SCENARIOS.find((s) => s.id === scenario)?.connections;
  return own === undefined ? counts : [own];
}

/** Is this an HTTPS scenario? Told by the scenario's `tls`, the one place that says it. */
export function isTls(scenario: ScenarioId): boolean {
  return SCENARIOS.find((s) => s.id === scenario)?.tls === true;
}

/**
 * Does a scenario run on a server kind? A kind that lists no wires serves
 * HTTP/1.1, over TLS only when it has `tls`.
 */
export function runsOn(scenario: ScenarioId, kind: { readonly tls?: boolean; readonly serves?: readonly Wire[] }): boolean {
  const wire = SCENARIOS.find((s) => s.id === scenario)?.wire;
  return wire !== undefined && (kind.serves ?? [kind.tls === true ? "https1" : "http1"]).includes(wire);
}

/** One load-generator run, exact counts (wrk's done() or bench/load.ts). */
export interface LoadResult {
  durationUs: number;
  /** Complete responses. */
  requests: number;
  /** Bytes read from the server, including a partial response at the end. */
  bytes: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Responses whose status and body were checked (validation pass only). */
  checked: number;
  /** Checked responses that were not 200 with the expected body. */
  bad: number;
  /** Parsed from wrk's rounded text summary: bytes are not exact. */
  approximate?: boolean;
}

/** What the generator process cost, to tell who was the bottleneck. */
export interface GeneratorUsage {
  cpuUs: number;
  wallUs: number;
  /** CPUs the generator may use. */
  cores: number;
}

export interface RunRecord {
  instance: string;
  scenario: ScenarioId;
  /** Concurrent connections of this run. */
  connections: number;
  /** -1 = primer, 0 = the warm-up/validation pass (never counted), 1.. = measured. */
  run: number;
  load: LoadResult;
  generator: GeneratorUsage;
  /** utime+stime of the server and its descendants during the run, µs. */
  serverCpuUs: number;
  requestsPerSec: number;
  cpuPerRequestUs: number;
  valid: boolean;
  invalidReasons: string[];
  generatorBound: boolean;
  /**
   * Share of the server's CPUs used by processes other than the server
   * (and the generator, when they share CPUs) during the run: other users
   * of a shared machine. High values make the run less trustworthy.
   */
  foreignCpuShare: number;
}
