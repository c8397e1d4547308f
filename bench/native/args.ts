/**
 * Flags shared by the native reference servers: `--port N` (0 = free port),
 * `--host H`, `--workers N`, `--reuse-port`, `--tls-cert FILE --tls-key FILE`
 * (HTTPS, for compare's TLS scenarios). Runtime-neutral (takes argv).
 */
export interface NativeArgs {
  port: number;
  host: string;
  workers: number;
  reusePort: boolean;
  /** Response body (compare.ts --body; default "hello"). */
  body: string;
  /** PEM files: serve HTTPS (both or neither). */
  tlsCert: string | null;
  tlsKey: string | null;
}

/** The flags a parent passes on to the worker processes it spawns. */
export function tlsFlags(args: NativeArgs): string[] {
  return args.tlsCert !== null && args.tlsKey !== null ? ["--tls-cert", args.tlsCert, "--tls-key", args.tlsKey] : [];
}

export function parseNativeArgs(argv: readonly string[]): NativeArgs {
  const out: NativeArgs = { port: 8000, host: "127.0.0.1", workers: 1, reusePort: false, body: BODY, tlsCert: null, tlsKey: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === "--reuse-port") out.reusePort = true;
    else if (flag === "--port" && value !== undefined) (out.port = Number(value)), i++;
    else if (flag === "--host" && value !== undefined) (out.host = value), i++;
    else if (flag === "--workers" && value !== undefined) (out.workers = Number(value)), i++;
    else if (flag === "--body" && value !== undefined) (out.body = value), i++;
    else if (flag === "--tls-cert" && value !== undefined) (out.tlsCert = value), i++;
    else if (flag === "--tls-key" && value !== undefined) (out.tlsKey = value), i++;
    else throw new Error(`unknown or incomplete flag: ${flag}`);
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error("bad --port");
  if (!Number.isInteger(out.workers) || out.workers < 1) throw new Error("bad --workers");
  if ((out.tlsCert === null) !== (out.tlsKey === null)) throw new Error("--tls-cert and --tls-key go together");
  return out;
}

/** The bytes every reference answers with, as hello-server does by default. */
export const BODY = "hello";
export const HEADERS = {
  "Server": "hello-server",
  "Content-Type": "text/plain; charset=utf-8",
} as const;
