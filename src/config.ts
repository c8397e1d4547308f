/**
 * Command-line flags and their environment-variable fallbacks. Pure: takes
 * argv and env, returns a Command or throws a UsageError (exit code 2).
 *
 * Flags are split by `node:util` parseArgs (the same implementation on Bun,
 * Deno and Node: checked on all three), strict, no short forms; each value
 * is then checked here, with a message that names its flag.
 */
import { ACCESS_LOG_FORMATS, type AccessLogFormat } from "./access-log/format.ts";
import { IO_CHOICES, isIoChoice, type IoChoice } from "./backends.ts";
import { parseArgs } from "node:util";
import { parseDuration, parseProbability, parseSize } from "./units.ts";
import { VERSION } from "./config/version.ts";

export { VERSION } from "./config/version.ts";
export { HELP } from "./config/help.ts";

/** A delay range in seconds; `min === max` for a fixed delay. */
export interface DelayRange {
  readonly min: number;
  readonly max: number;
}

/** Everything a worker needs to serve. Units: bytes and seconds. */
export interface Config {
  /** TCP port to listen on (0 = any free port). */
  port: number;
  /**
   * Address to bind. Default `::` (IPv6 and IPv4 on one dual-stack socket, IPV6_V6ONLY off)
   * where the host has IPv6, else `0.0.0.0`: see {@link defaultHost}.
   */
  host: string;
  /** Worker processes: a count, or "auto" = the CPUs this process may use. */
  workers: number | "auto";
  /** Response body, UTF-8. */
  body: string;
  /** Response status code (100..599 except 1xx, 204 and 304 which carry no body). */
  status: number;
  /** Extra response header fields, in order. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** Content-Type of the response. */
  contentType: string;
  /** Limit of the header section (field lines after the request line), bytes; over it: 431. */
  maxHeaderSize: number;
  /** Limit of a request body, bytes; over it: 413. */
  maxBodySize: number;
  /** Seconds a client may take to send a complete request head; then 408 and close. */
  headerTimeout: number;
  /** Seconds a kept-alive connection may stay idle between requests; then close. */
  idleTimeout: number;
  /** Seconds graceful shutdown may take before connections are cut. */
  shutdownTimeout: number;
  /**
   * Seconds to keep accepting and serving after SIGTERM (every answer with `Connection: close`,
   * the health path with 503) before the graceful drain: endpoints take a few seconds to stop
   * sending new connections to a terminating pod (kubernetes/kubernetes#20473). 0 = drain at once.
   */
  shutdownDelay: number;
  /**
   * Request path (origin-form, compared up to a `?`) answered `200 ok` whatever `status` says,
   * and `503` once shutdown has begun, so a readiness probe fails first. null = no such path.
   */
  healthPath: string | null;
  /** Lifecycle lines on stderr: `hello-server: …` text, or one JSON object per line. */
  logFormat: "text" | "json";
  /** One line per answered request on stdout (src/access-log/, docs/access-log.md); null = off. */
  accessLog: AccessLogFormat | null;
  /** Length of the kernel's accept queue. */
  backlog: number;
  /** I/O back end: runtime sockets, direct system calls, or the fastest available. */
  io: IoChoice;
  /** syscall back end only: read/write at once instead of waiting for readiness first. */
  eager: boolean;
  /** No lifecycle lines on stderr. */
  quiet: boolean;

  // Steering: every one off by default, so the prebuilt answer stays the only path.
  /** Per-request control through `status= delay= size= close=` and their X-Hello-* headers. */
  requestControl: boolean;
  /** Largest delay a request may ask for, seconds; over it: 400. */
  maxDelay: number;
  /** Largest `size=` a request may ask for, bytes; over it: 400. */
  maxSize: number;
  /** Fraction (0..1) of answers replaced by `failStatus`. */
  failRate: number;
  /** Status of an injected failure. */
  failStatus: number;
  /** Every answer waits this long (seconds, uniform in [min, max]); null = no delay. */
  delay: DelayRange | null;
  /** Fraction (0..1) of requests answered with a TCP reset. */
  resetRate: number;
  /** Seed of the random choices (worker i uses seed + i); null = seeded from the clock. */
  seed: number | null;
  /** Port of the admin listener (POST /ready /unready /sick, GET /state); null = none. */
  adminPort: number | null;
  /** Address of the admin listener: loopback unless asked, as it changes what the server answers. */
  adminHost: string;

  // Watching: echo, X-Served-By, metrics.
  /** This path answers with the request as it arrived (JSON, or text); null = none. */
  echoPath: string | null;
  /** Echo shows at most this many bytes of a request's body (then its length and `truncated`). */
  echoMaxBody: number;
  /** Every answer carries `X-Served-By: host/pid`, prebuilt per worker. */
  servedBy: boolean;
  /** Port of the Prometheus metrics listener; null = none. */
  metricsPort: number | null;
  /** Address of the metrics listener; null = as `host`. */
  metricsHost: string | null;

  // HTTPS.
  /** PEM certificate chain and key file paths; both or neither. */
  tlsCert: string | null;
  tlsKey: string | null;
  /** HTTPS on this port and plain HTTP on `port`; null with a certificate = `port` serves HTTPS. */
  tlsPort: number | null;
  /** PEM CA bundle: client certificates are required and verified against it. */
  tlsClientCa: string | null;

  // WebSocket.
  /** This path accepts WebSocket upgrades (RFC 6455) and echoes every message; null = none. */
  wsEchoPath: string | null;
  /** A message (all its fragments together) larger than this, bytes, closes the WebSocket with 1009. */
  wsMaxMessage: number;
  /** Seconds between the server's pings on each WebSocket; 0 = no pings. */
  wsPingInterval: number;

  // HTTP/2 (RFC 9113).
  /**
   * on: HTTP/2 beside HTTP/1.1 (h2c by prior knowledge or Upgrade, h2 by ALPN); off: HTTP/1.1 only;
   * only: HTTP/2 only (an HTTP/1.1 request is an invalid preface, ALPN offers h2 alone).
   */
  http2: Http2Mode;
  /** SETTINGS_MAX_CONCURRENT_STREAMS of each HTTP/2 connection; a stream past it is refused (REFUSED_STREAM). */
  http2MaxStreams: number;

  // gRPC (on wherever HTTP/2 is: POST with content-type application/grpc*).
  /** Service names grpc.health.v1.Health knows besides "" (the server as a whole); others are NOT_FOUND. */
  grpcServices: readonly string[];
  /** `--healthcheck-grpc`: the probe calls grpc.health.v1.Health/Check over h2c (h2 with TLS) instead of a GET. */
  healthcheckGrpc: boolean;
}

/** The values of --http2. */
export const HTTP2_MODES = ["on", "off", "only"] as const;
export type Http2Mode = (typeof HTTP2_MODES)[number];

/** What `hello-server admin ACTION` asks of a running server. */
export const ADMIN_ACTIONS = ["ready", "unready", "sick", "state"] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

export type Command =
  | { readonly kind: "serve"; readonly config: Config }
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "healthcheck"; readonly config: Config }
  | { readonly kind: "admin"; readonly action: AdminAction; readonly host: string; readonly port: number };

/** A bad flag or value: the CLI prints the message on one line and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export const DEFAULTS: Config = {
  port: 8000,
  host: "::",
  workers: "auto",
  body: "hello",
  status: 200,
  headers: [],
  contentType: "text/plain; charset=utf-8",
  maxHeaderSize: 8192,
  maxBodySize: 1024 * 1024,
  headerTimeout: 10,
  idleTimeout: 60,
  shutdownTimeout: 5,
  shutdownDelay: 0,
  healthPath: null,
  logFormat: "text",
  accessLog: null,
  backlog: 4096,
  io: "auto",
  eager: true,
  quiet: false,
  requestControl: false,
  maxDelay: 30,
  maxSize: 16 * 1024 * 1024,
  failRate: 0,
  failStatus: 503,
  delay: null,
  resetRate: 0,
  seed: null,
  adminPort: null,
  adminHost: "127.0.0.1",
  echoPath: null,
  echoMaxBody: 64 * 1024,
  servedBy: false,
  metricsPort: null,
  metricsHost: null,
  tlsCert: null,
  tlsKey: null,
  tlsPort: null,
  tlsClientCa: null,
  wsEchoPath: null,
  wsMaxMessage: 1024 * 1024,
  wsPingInterval: 0,
  http2: "on",
  http2MaxStreams: 100,
  grpcServices: [],
  healthcheckGrpc: false,
};

/**
 * Flag → environment variable. Flags without a variable are CLI-only. These are the only
 * variables read: none has the form HELLO_SERVER_*, which a Kubernetes Service named
 * `hello-server` injects into every pod of its namespace (service links:
 * HELLO_SERVER_PORT=tcp://10.0.0.1:8000, HELLO_SERVER_SERVICE_HOST, …).
 */
const ENV = {
  port: "PORT",
  host: "HOST",
  workers: "WORKERS",
  body: "BODY",
  status: "STATUS",
  "content-type": "CONTENT_TYPE",
  "max-header-size": "MAX_HEADER_SIZE",
  "max-body-size": "MAX_BODY_SIZE",
  "header-timeout": "HEADER_TIMEOUT",
  "idle-timeout": "IDLE_TIMEOUT",
  "shutdown-timeout": "SHUTDOWN_TIMEOUT",
  "shutdown-delay": "SHUTDOWN_DELAY",
  "health-path": "HEALTH_PATH",
  "log-format": "LOG_FORMAT",
  "access-log": "ACCESS_LOG",
  backlog: "BACKLOG",
  io: "IO",
  "max-delay": "MAX_DELAY",
  "max-size": "MAX_SIZE",
  "fail-rate": "FAIL_RATE",
  "fail-status": "FAIL_STATUS",
  delay: "DELAY",
  "reset-rate": "RESET_RATE",
  seed: "SEED",
  "admin-port": "ADMIN_PORT",
  "admin-host": "ADMIN_HOST",
  "echo-path": "ECHO_PATH",
  "echo-max-body": "ECHO_MAX_BODY",
  "metrics-port": "METRICS_PORT",
  "metrics-host": "METRICS_HOST",
  "tls-cert": "TLS_CERT",
  "tls-key": "TLS_KEY",
  "tls-port": "TLS_PORT",
  "tls-client-ca": "TLS_CLIENT_CA",
  "ws-echo-path": "WS_ECHO_PATH",
  "ws-max-message": "WS_MAX_MESSAGE",
  "ws-ping-interval": "WS_PING_INTERVAL",
  http2: "HTTP2",
  "http2-max-streams": "HTTP2_MAX_STREAMS",
} as const;

/** Boolean flags that a variable can switch on (`1`/`true`) or off (`0`/`false`). */
const BOOLEAN_ENV = { "request-control": "REQUEST_CONTROL", "served-by": "SERVED_BY" } as const;

type ValueFlag = keyof typeof ENV;
type OptionSpec = { type: "string" | "boolean"; multiple?: boolean };

const OPTIONS: Record<string, OptionSpec> = {
  ...Object.fromEntries(Object.keys(ENV).map((name) => [name, { type: "string" as const }])),
  header: { type: "string", multiple: true },
  ...Object.fromEntries(Object.keys(BOOLEAN_ENV).map((name) => [name, { type: "boolean" as const }])),
  quiet: { type: "boolean" },
  "no-eager": { type: "boolean" },
  help: { type: "boolean" },
  version: { type: "boolean" },
  healthcheck: { type: "boolean" },
  "healthcheck-grpc": { type: "boolean" },
  "grpc-service": { type: "string", multiple: true },
};

/** What the default host depends on: whether this host has IPv6 (src/ipv6.ts finds out). */
export interface HostFacts {
  readonly ipv6: boolean;
}

/** `::` (dual-stack) where the host has IPv6, else `0.0.0.0`. */
export function defaultHost(facts: HostFacts): string {
  return facts.ipv6 ? "::" : "0.0.0.0";
}

type Values = Record<string, string | boolean | string[] | undefined>;

/** parseArgs, with its errors as one-line UsageErrors. */
function split(argv: readonly string[], admin: boolean): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: admin });
    return { values: values as Values, positionals };
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/\s*\n\s*/g, " ") : String(err);
    throw new UsageError(`${message} (see --help)`);
  }
}

/** Parses argv (without the runtime and script) and env into a Command. */
export function parseCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  facts: HostFacts = { ipv6: true },
): Command {
  const admin = argv[0] === "admin";
  const { values, positionals } = split(admin ? argv.slice(1) : argv, admin);
  if (values.help === true) return { kind: "help" };
  if (values.version === true) return { kind: "version" };

  const get = (name: ValueFlag): string | undefined => {
    const v = values[name];
    if (typeof v === "string") return v;
    const e = env[ENV[name]];
    return e === undefined || e === "" ? undefined : e;
  };
  const flag = (name: keyof typeof BOOLEAN_ENV): boolean => {
    if (values[name] === true) return true;
    return booleanEnv(BOOLEAN_ENV[name], env[BOOLEAN_ENV[name]]);
  };

  if (admin) {
    const action = positionals[0];
    if (positionals.length !== 1 || !(ADMIN_ACTIONS as readonly string[]).includes(action!)) {
      throw new UsageError(`admin needs one action: ${ADMIN_ACTIONS.join(", ")} (got '${positionals.join(" ")}')`);
    }
    const port = optionalInteger("admin-port", get("admin-port"), 1, 65535);
    if (port === null) throw new UsageError(`admin needs --admin-port N (or ADMIN_PORT): the port of the server's admin listener`);
    return { kind: "admin", action: action as AdminAction, host: host(get("admin-host") ?? DEFAULTS.adminHost), port };
  }

  const tlsCert = get("tls-cert") ?? null;
  const tlsKey = get("tls-key") ?? null;
  const config: Config = {
    port: integer("port", get("port"), DEFAULTS.port, 0, 65535),
    host: host(get("host") ?? defaultHost(facts)),
    workers: workers(get("workers")),
    body: get("body") ?? DEFAULTS.body,
    status: status("status", get("status"), DEFAULTS.status),
    headers: ((values.header as string[] | undefined) ?? []).map(header),
    contentType: fieldValue("content-type", get("content-type") ?? DEFAULTS.contentType),
    maxHeaderSize: integer("max-header-size", get("max-header-size"), DEFAULTS.maxHeaderSize, 256, 1 << 20),
    maxBodySize: integer("max-body-size", get("max-body-size"), DEFAULTS.maxBodySize, 0, Number.MAX_SAFE_INTEGER),
    headerTimeout: seconds("header-timeout", get("header-timeout"), DEFAULTS.headerTimeout),
    idleTimeout: seconds("idle-timeout", get("idle-timeout"), DEFAULTS.idleTimeout),
    shutdownTimeout: seconds("shutdown-timeout", get("shutdown-timeout"), DEFAULTS.shutdownTimeout),
    shutdownDelay: shutdownDelay(get("shutdown-delay")),
    healthPath: path("health-path", get("health-path")),
    logFormat: logFormat(get("log-format")),
    accessLog: accessLog(get("access-log")),
    backlog: integer("backlog", get("backlog"), DEFAULTS.backlog, 1, 1 << 16),
    io: io(get("io")),
    eager: values["no-eager"] !== true,
    quiet: values.quiet === true,
    requestControl: flag("request-control"),
    maxDelay: duration("max-delay", get("max-delay"), DEFAULTS.maxDelay),
    maxSize: size("max-size", get("max-size"), DEFAULTS.maxSize),
    failRate: probability("fail-rate", get("fail-rate")),
    failStatus: anyStatus("fail-status", get("fail-status"), DEFAULTS.failStatus),
    delay: delayRange(get("delay")),
    resetRate: probability("reset-rate", get("reset-rate")),
    seed: optionalInteger("seed", get("seed"), 0, 2 ** 32 - 1),
    adminPort: optionalInteger("admin-port", get("admin-port"), 0, 65535),
    adminHost: host(get("admin-host") ?? DEFAULTS.adminHost),
    echoPath: path("echo-path", get("echo-path")),
    echoMaxBody: size("echo-max-body", get("echo-max-body"), DEFAULTS.echoMaxBody),
    servedBy: flag("served-by"),
    metricsPort: optionalInteger("metrics-port", get("metrics-port"), 0, 65535),
    metricsHost: get("metrics-host") === undefined ? null : host(get("metrics-host")!),
    tlsCert,
    tlsKey,
    tlsPort: optionalInteger("tls-port", get("tls-port"), 0, 65535),
    tlsClientCa: get("tls-client-ca") ?? null,
    wsEchoPath: path("ws-echo-path", get("ws-echo-path")),
    wsMaxMessage: wsMaxMessage(get("ws-max-message")),
    wsPingInterval: wsPingInterval(get("ws-ping-interval")),
    http2: http2Mode(get("http2")),
    // RFC 9113 §6.5.2 advises no fewer than 100 (the default); 1 still lets a client work, one stream at a time.
    http2MaxStreams: integer("http2-max-streams", get("http2-max-streams"), DEFAULTS.http2MaxStreams, 1, 1 << 16),
    grpcServices: grpcServices(values["grpc-service"] as string[] | undefined, env.GRPC_SERVICE),
    healthcheckGrpc: values["healthcheck-grpc"] === true,
  };
  checkCombinations(config);
  const probe = values.healthcheck === true || config.healthcheckGrpc;
  return probe ? { kind: "healthcheck", config } : { kind: "serve", config };
}

/** Flags that are each valid but not together. */
function checkCombinations(c: Config): void {
  if ((c.tlsCert === null) !== (c.tlsKey === null)) throw new UsageError(`--tls-cert and --tls-key go together: give both or neither`);
  const tls = c.tlsCert !== null;
  if (!tls && (c.tlsPort !== null || c.tlsClientCa !== null)) {
    throw new UsageError(`--${c.tlsPort !== null ? "tls-port" : "tls-client-ca"} needs --tls-cert and --tls-key`);
  }
  if (tls && (c.io === "syscall" || c.io === "uring")) {
    throw new UsageError(`--io ${c.io} cannot serve TLS (it would need kernel TLS); use --io socket or auto with --tls-cert`);
  }
  // Each listener needs its own port (0 = any free one, so no clash).
  const ports: Array<[string, number | null]> = [["port", c.port], ["tls-port", c.tlsPort], ["admin-port", c.adminPort], ["metrics-port", c.metricsPort]];
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      const [a, pa] = ports[i]!;
      const [b, pb] = ports[j]!;
      if (pa !== null && pa !== 0 && pa === pb) throw new UsageError(`--${b} must differ from --${a} (both ${pa})`);
    }
  }
  if (c.delay !== null && c.delay.max > c.maxDelay) {
    throw new UsageError(`--delay ${c.delay.max}s is above --max-delay ${c.maxDelay}s`);
  }
  if (c.echoPath !== null && c.echoPath === c.healthPath) throw new UsageError(`--echo-path and --health-path must differ (both ${c.echoPath})`);
  // One path, one answer: the upgrade would shadow the echo or health answer for clients that send Upgrade, and only for them.
  if (c.wsEchoPath !== null && (c.wsEchoPath === c.echoPath || c.wsEchoPath === c.healthPath)) {
    throw new UsageError(`--ws-echo-path must differ from --${c.wsEchoPath === c.echoPath ? "echo-path" : "health-path"} (both ${c.wsEchoPath})`);
  }
  // A WebSocket handshake is an HTTP/1.1 request, which `only` refuses (RFC 8441 over HTTP/2 is not served).
  if (c.healthcheckGrpc && c.http2 === "off") throw new UsageError(`--healthcheck-grpc needs HTTP/2: gRPC cannot go with --http2 off`);
  if (c.http2 === "only" && c.wsEchoPath !== null) throw new UsageError(`--ws-echo-path needs HTTP/1.1: it cannot go with --http2 only`);
}

/**
 * --grpc-service NAME (repeatable), else GRPC_SERVICE=a,b: the flags replace the variable, as every
 * other flag does. A name is a gRPC service name (health.proto: "package_names.ServiceName"); empty
 * names are dropped, since "" is always known.
 */
function grpcServices(flags: readonly string[] | undefined, env: string | undefined): string[] {
  const names = flags !== undefined && flags.length > 0 ? flags : (env ?? "").split(",");
  const out: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (name === "") continue;
    if (!/^[\x21-\x7e]+$/.test(name)) throw new UsageError(`--grpc-service '${raw}': a service name is printable ASCII without spaces`);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** --http2 on|off|only. */
function http2Mode(raw: string | undefined): Http2Mode {
  if (raw === undefined) return DEFAULTS.http2;
  if ((HTTP2_MODES as readonly string[]).includes(raw)) return raw as Http2Mode;
  throw new UsageError(`--http2 must be on, off or only, got '${raw}'`);
}

/** --ws-max-message: a size, at least 1 byte (0 would refuse every non-empty message). */
function wsMaxMessage(raw: string | undefined): number {
  const n = size("ws-max-message", raw, DEFAULTS.wsMaxMessage);
  if (n < 1) throw new UsageError(`--ws-max-message must be at least 1 byte, got ${raw}`);
  return n;
}

/** --ws-ping-interval: a duration, 0 = off; otherwise at least 50 ms (the core's clock ticks every 25 ms at its finest: shorter would not be kept). */
function wsPingInterval(raw: string | undefined): number {
  const s = duration("ws-ping-interval", raw, DEFAULTS.wsPingInterval);
  if (s > 0 && s < 0.05) throw new UsageError(`--ws-ping-interval must be 0 (off) or at least 50ms, got ${raw}`);
  return s;
}

function booleanEnv(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new UsageError(`${name} must be 1 or 0 (true or false), got '${raw}'`);
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got '${raw}'`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${raw}`);
  return n;
}

function optionalInteger(name: string, raw: string | undefined, min: number, max: number): number | null {
  return raw === undefined ? null : integer(name, raw, 0, min, max);
}

function seconds(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--${name} must be a number of seconds, got '${raw}'`);
  const n = Number(raw);
  if (n < 0.05 || n > 86400) throw new UsageError(`--${name} must be between 0.05 and 86400 seconds, got ${raw}`);
  return n;
}

function shutdownDelay(raw: string | undefined): number {
  if (raw === undefined) return DEFAULTS.shutdownDelay;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--shutdown-delay must be a number of seconds, got '${raw}'`);
  const n = Number(raw);
  if (n > 3600) throw new UsageError(`--shutdown-delay must be between 0 and 3600 seconds, got ${raw}`);
  return n;
}

/** A duration flag (`250ms`, `1.5s`, `2m`, or bare seconds), in seconds, at most an hour. */
function duration(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const ms = parseDuration(raw);
  if (ms === null) throw new UsageError(`--${name} must be a duration like 250ms, 1.5s or 2m, got '${raw}'`);
  if (ms > 3_600_000) throw new UsageError(`--${name} must be at most 1h, got ${raw}`);
  return ms / 1000;
}

function delayRange(raw: string | undefined): DelayRange | null {
  if (raw === undefined) return null;
  const parts = raw.split("..");
  if (parts.length > 2) throw new UsageError(`--delay must be D or MIN..MAX (e.g. 100ms..2s), got '${raw}'`);
  const min = duration("delay", parts[0]!, 0);
  const max = parts.length === 2 ? duration("delay", parts[1]!, 0) : min;
  if (max < min) throw new UsageError(`--delay ${raw}: MIN must not exceed MAX`);
  return max === 0 ? null : { min, max };
}

function size(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = parseSize(raw);
  if (n === null) throw new UsageError(`--${name} must be a size in bytes, k or M suffix allowed (e.g. 16M), got '${raw}'`);
  if (n > 1024 * 1024 * 1024) throw new UsageError(`--${name} must be at most 1024M, got ${raw}`);
  return n;
}

function probability(name: string, raw: string | undefined): number {
  if (raw === undefined) return 0;
  const p = parseProbability(raw);
  if (p === null) throw new UsageError(`--${name} must be a fraction between 0 and 1 (e.g. 0.05), got '${raw}'`);
  return p;
}

/**
 * RFC 9112 §3.2.1 origin-form: absolute-path = 1*( "/" segment ), segment = *pchar
 * (RFC 3986 §3.3). No query: the path matches whatever query follows it.
 */
const ABSOLUTE_PATH = /^(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)+$/;

function path(name: string, raw: string | undefined): string | null {
  if (raw === undefined) return null;
  if (!ABSOLUTE_PATH.test(raw) || raw.length > 1024) {
    throw new UsageError(`--${name} must be a path like /healthz (no query, no spaces), got '${raw}'`);
  }
  return raw;
}

function logFormat(raw: string | undefined): Config["logFormat"] {
  if (raw === undefined) return DEFAULTS.logFormat;
  if (raw === "text" || raw === "json") return raw;
  throw new UsageError(`--log-format must be text or json, got '${raw}'`);
}

function accessLog(raw: string | undefined): Config["accessLog"] {
  if (raw === undefined || raw === "off") return null;
  if ((ACCESS_LOG_FORMATS as readonly string[]).includes(raw)) return raw as AccessLogFormat;
  throw new UsageError(`--access-log must be ${ACCESS_LOG_FORMATS.join(" or ")}, got '${raw}'`);
}

function workers(raw: string | undefined): number | "auto" {
  if (raw === undefined || raw === "auto") return "auto";
  return integer("workers", raw, 1, 1, 1024);
}

/** A status whose answer carries the configured body: 200..599 except 204 and 304. */
function status(name: string, raw: string | undefined, fallback: number): number {
  const n = integer(name, raw, fallback, 200, 599);
  // RFC 9110 §15.3.5, §15.4.5: 204 and 304 responses carry no content, so they cannot carry the body.
  if (n === 204 || n === 304) throw new UsageError(`--${name} ${n} cannot carry a body; use 200..599 except 204 and 304`);
  return n;
}

/** An injected failure's status: any final status 200..599 (204 and 304 are sent without a body). */
function anyStatus(name: string, raw: string | undefined, fallback: number): number {
  return integer(name, raw, fallback, 200, 599);
}

function io(raw: string | undefined): Config["io"] {
  if (raw === undefined) return DEFAULTS.io;
  if (isIoChoice(raw)) return raw;
  throw new UsageError(`--io must be ${IO_CHOICES.slice(0, -1).join(", ")} or ${IO_CHOICES[IO_CHOICES.length - 1]}, got '${raw}'`);
}

function host(raw: string): string {
  if (!/^[0-9A-Za-z.:\-_[\]]+$/.test(raw)) throw new UsageError(`--host must be an address or host name, got '${raw}'`);
  return raw.startsWith("[") && raw.endsWith("]") ? raw.slice(1, -1) : raw;
}

// RFC 9110 §5.1: field-name = token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: field values are visible characters, spaces and tabs (no CR, LF or NUL).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\uffff]*$/;

/** Fields the server writes itself: a configured copy would contradict the framing. */
const RESERVED = new Set(["content-length", "transfer-encoding", "connection", "date", "server", "content-type"]);

function header(raw: string): readonly [string, string] {
  const colon = raw.indexOf(":");
  if (colon <= 0) throw new UsageError(`--header must look like 'Name: value', got '${raw}'`);
  const name = raw.slice(0, colon).trim();
  if (!TOKEN.test(name)) throw new UsageError(`--header name '${name}' is not a valid field name`);
  if (RESERVED.has(name.toLowerCase())) {
    throw new UsageError(`--header cannot set ${name}: the server writes it (use --content-type for Content-Type)`);
  }
  return [name, fieldValue("header", raw.slice(colon + 1).trim())];
}

function fieldValue(name: string, value: string): string {
  if (!FIELD_VALUE.test(value)) throw new UsageError(`--${name} value contains a control character`);
  return value;
}
