/**
 * Command-line flags and their environment-variable fallbacks. Pure: takes
 * argv and env, returns a Config or throws a UsageError (exit code 2).
 */

export const VERSION = "0.1.0";

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
  /** Length of the kernel's accept queue. */
  backlog: number;
  /** I/O back end: runtime sockets, direct system calls, or the fastest available. */
  io: "auto" | "socket" | "syscall" | "uring";
  /** syscall back end only: read/write at once instead of waiting for readiness first. */
  eager: boolean;
  /** No lifecycle lines on stderr. */
  quiet: boolean;
}

export type Command =
  | { readonly kind: "serve"; readonly config: Config }
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "healthcheck"; readonly config: Config };

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
  backlog: 4096,
  io: "auto",
  eager: true,
  quiet: false,
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
  backlog: "BACKLOG",
  io: "IO",
} as const;

type ValueFlag = keyof typeof ENV | "header";
const BOOLEAN_FLAGS = ["quiet", "no-eager", "help", "version", "healthcheck"] as const;
type BooleanFlag = (typeof BOOLEAN_FLAGS)[number];

export const HELP = `hello-server ${VERSION} — a very fast HTTP/1.1 server that answers every request with one configured response.

Usage: hello-server [flags]

Flags (environment variable in brackets; a flag wins over its variable):
  --port N               TCP port to listen on, 0 = any free port [PORT] (default 8000)
  --host ADDR            address to bind [HOST] (default ::, IPv6 and IPv4 on one
                         dual-stack socket; 0.0.0.0 where the host has no IPv6)
  --workers N|auto       worker processes; auto = CPUs this process may use
                         (affinity mask and cgroup quota) [WORKERS] (default auto)
  --body TEXT            response body [BODY] (default "hello")
  --status CODE          response status, 200..599 [STATUS] (default 200)
  --header 'Name: value' extra response header, repeatable
  --content-type TYPE    [CONTENT_TYPE] (default "text/plain; charset=utf-8")
  --max-header-size N    header section limit in bytes, over it 431 [MAX_HEADER_SIZE] (default 8192)
  --max-body-size N      request body limit in bytes, over it 413 [MAX_BODY_SIZE] (default 1048576)
  --header-timeout S     seconds to receive a request head, then 408 and close [HEADER_TIMEOUT] (default 10)
  --idle-timeout S       seconds a kept-alive connection may idle [IDLE_TIMEOUT] (default 60)
  --shutdown-timeout S   seconds graceful shutdown may take, then force [SHUTDOWN_TIMEOUT] (default 5)
  --shutdown-delay S     after SIGTERM keep serving S seconds (answers close the connection,
                         the health path answers 503), then drain [SHUTDOWN_DELAY] (default 0)
  --health-path PATH     this path (query ignored) answers 200 "ok" whatever --status says,
                         503 once shutdown has begun [HEALTH_PATH] (default none)
  --log-format text|json lifecycle lines as text or one JSON object per line [LOG_FORMAT] (default text)
  --backlog N            accept queue length (Node and --io syscall; Bun.listen and
                         Deno.listen have no such option) [BACKLOG] (default 4096)
  --io auto|socket|syscall|uring  I/O back end: socket = the runtime's sockets; syscall = direct
                         system calls through FFI (Linux x86_64; Bun, Deno with --allow-ffi,
                         Node with the optional koffi package); uring = io_uring rings
                         (Linux 6.0+, Bun and Deno; falls back to syscall where refused);
                         auto = syscall where it can run and HOST is an address, else socket
                         [IO] (default auto)
  --no-eager             syscall back end: wait for readiness before every read and write
  --quiet                no lifecycle lines on stderr
  --healthcheck          request the local port once (the health path if set, else /);
                         exit 0 if it answers 200 (--status without a health path), else 1
  --help                 this text
  --version              print the version

Signals: SIGTERM waits --shutdown-delay, then finishes responses in flight and
exits 0 (forced after --shutdown-timeout); SIGINT (Ctrl-C) skips the delay;
SIGHUP replaces the workers one by one.

Open files: each worker raises its soft open-file limit (ulimit -n) to the hard
limit at start, as Go and nginx's worker_rlimit_nofile do, wherever it can call
libc (Linux x86_64; Bun, Deno with --allow-ffi, Node with koffi). Out of file
descriptors, --io syscall pauses accepting for 100 ms and says so at most once
every 5 s, with a count.
`;

const FLAG_NAMES: ReadonlySet<string> = new Set<string>([...Object.keys(ENV), "header", ...BOOLEAN_FLAGS]);

function isValueFlag(name: string): name is ValueFlag {
  return name === "header" || name in ENV;
}

/** What the default host depends on: whether this host has IPv6 (src/ipv6.ts finds out). */
export interface HostFacts {
  readonly ipv6: boolean;
}

/** `::` (dual-stack) where the host has IPv6, else `0.0.0.0`. */
export function defaultHost(facts: HostFacts): string {
  return facts.ipv6 ? "::" : "0.0.0.0";
}

/** Parses argv (without the runtime and script) and env into a Command. */
export function parseCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  facts: HostFacts = { ipv6: true },
): Command {
  const values = new Map<ValueFlag, string>();
  const headers: string[] = [];
  const flags = new Set<BooleanFlag>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument '${arg}' (flags start with --; see --help)`);
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!FLAG_NAMES.has(name)) throw new UsageError(`unknown flag --${name} (see --help)`);
    if (isValueFlag(name)) {
      let value: string | undefined;
      if (eq !== -1) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      if (name === "header") headers.push(value);
      else values.set(name, value);
    } else {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags.add(name as BooleanFlag);
    }
  }
  if (flags.has("help")) return { kind: "help" };
  if (flags.has("version")) return { kind: "version" };

  const get = (name: keyof typeof ENV): string | undefined => {
    const v = values.get(name);
    if (v !== undefined) return v;
    const e = env[ENV[name]];
    return e === undefined || e === "" ? undefined : e;
  };
  const config: Config = {
    port: integer("port", get("port"), DEFAULTS.port, 0, 65535),
    host: host(get("host") ?? defaultHost(facts)),
    workers: workers(get("workers")),
    body: get("body") ?? DEFAULTS.body,
    status: status(get("status")),
    headers: headers.map(header),
    contentType: fieldValue("content-type", get("content-type") ?? DEFAULTS.contentType),
    maxHeaderSize: integer("max-header-size", get("max-header-size"), DEFAULTS.maxHeaderSize, 256, 1 << 20),
    maxBodySize: integer("max-body-size", get("max-body-size"), DEFAULTS.maxBodySize, 0, Number.MAX_SAFE_INTEGER),
    headerTimeout: seconds("header-timeout", get("header-timeout"), DEFAULTS.headerTimeout),
    idleTimeout: seconds("idle-timeout", get("idle-timeout"), DEFAULTS.idleTimeout),
    shutdownTimeout: seconds("shutdown-timeout", get("shutdown-timeout"), DEFAULTS.shutdownTimeout),
    shutdownDelay: delay(get("shutdown-delay")),
    healthPath: healthPath(get("health-path")),
    logFormat: logFormat(get("log-format")),
    backlog: integer("backlog", get("backlog"), DEFAULTS.backlog, 1, 1 << 16),
    io: io(get("io")),
    eager: !flags.has("no-eager"),
    quiet: flags.has("quiet"),
  };
  return flags.has("healthcheck") ? { kind: "healthcheck", config } : { kind: "serve", config };
}

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got '${raw}'`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${raw}`);
  return n;
}

function seconds(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--${name} must be a number of seconds, got '${raw}'`);
  const n = Number(raw);
  if (n < 0.05 || n > 86400) throw new UsageError(`--${name} must be between 0.05 and 86400 seconds, got ${raw}`);
  return n;
}

function delay(raw: string | undefined): number {
  if (raw === undefined) return DEFAULTS.shutdownDelay;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--shutdown-delay must be a number of seconds, got '${raw}'`);
  const n = Number(raw);
  if (n > 3600) throw new UsageError(`--shutdown-delay must be between 0 and 3600 seconds, got ${raw}`);
  return n;
}

/**
 * RFC 9112 §3.2.1 origin-form: absolute-path = 1*( "/" segment ), segment = *pchar
 * (RFC 3986 §3.3). No query: the health path matches whatever query follows it.
 */
const ABSOLUTE_PATH = /^(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)+$/;

function healthPath(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  if (!ABSOLUTE_PATH.test(raw) || raw.length > 1024) {
    throw new UsageError(`--health-path must be a path like /healthz (no query, no spaces), got '${raw}'`);
  }
  return raw;
}

function logFormat(raw: string | undefined): Config["logFormat"] {
  if (raw === undefined) return DEFAULTS.logFormat;
  if (raw === "text" || raw === "json") return raw;
  throw new UsageError(`--log-format must be text or json, got '${raw}'`);
}

function workers(raw: string | undefined): number | "auto" {
  if (raw === undefined || raw === "auto") return "auto";
  return integer("workers", raw, 1, 1, 1024);
}

function status(raw: string | undefined): number {
  const n = integer("status", raw, DEFAULTS.status, 200, 599);
  // RFC 9110 §15.3.5, §15.4.5: 204 and 304 responses carry no content, so they cannot carry the body.
  if (n === 204 || n === 304) throw new UsageError(`--status ${n} cannot carry a body; use 200..599 except 204 and 304`);
  return n;
}

function io(raw: string | undefined): Config["io"] {
  if (raw === undefined) return DEFAULTS.io;
  if (raw === "auto" || raw === "socket" || raw === "syscall" || raw === "uring") return raw;
  throw new UsageError(`--io must be auto, socket, syscall or uring, got '${raw}'`);
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
