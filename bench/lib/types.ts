/** Shapes shared by the comparison harness (bench/compare.ts). */

export type ScenarioId = "keepalive" | "pipelined" | "close" | "tls-keepalive" | "tls-close";

export interface Scenario {
  readonly id: ScenarioId;
  readonly label: string;
  /** Requests per write (wrk counts each response). */
  readonly pipeline: number;
  /** Every request carries `Connection: close`: one request per connection. */
  readonly close: boolean;
  /** HTTPS, against the TLS server kinds (servers.ts, ids ending in `-tls`): with `close`, one full handshake per request. */
  readonly tls?: boolean;
}

export const SCENARIOS: readonly Scenario[] = [
  { id: "keepalive", label: "keep-alive", pipeline: 1, close: false },
  { id: "pipelined", label: "pipelined ×16", pipeline: 16, close: false },
  { id: "close", label: "connection-close", pipeline: 1, close: true },
  { id: "tls-keepalive", label: "TLS keep-alive", pipeline: 1, close: false, tls: true },
  { id: "tls-close", label: "TLS connection-close", pipeline: 1, close: true, tls: true },
];

/** Is this an HTTPS scenario? Told by the scenario's `tls`, the one place that says it. */
export function isTls(scenario: ScenarioId): boolean {
  return SCENARIOS.find((s) => s.id === scenario)?.tls === true;
}

/** A server kind with `tls` serves HTTPS only: the TLS scenarios run on those, the others on the rest. */
export function runsOn(scenario: ScenarioId, kind: { readonly tls?: boolean }): boolean {
  return isTls(scenario) === (kind.tls === true);
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
