/**
 * Flags shared by the native reference servers: `--port N` (0 = free port),
 * `--host H`, `--workers N`, `--reuse-port`, `--tls-cert FILE --tls-key FILE`
 * (HTTPS, for compare's TLS scenarios). Runtime-neutral (takes argv).
 */
import { integer, readFlags } from "../lib/cli/flags.ts";
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

const USAGE = "flags: --port N --host H --workers N --reuse-port --body TEXT --tls-cert FILE --tls-key FILE";

export function parseNativeArgs(argv: readonly string[]): NativeArgs {
  const { values: v } = readFlags(argv, {
    port: { type: "string" }, host: { type: "string" }, workers: { type: "string" }, "reuse-port": { type: "boolean" },
    body: { type: "string" }, "tls-cert": { type: "string" }, "tls-key": { type: "string" },
  }, USAGE);
  const out: NativeArgs = {
    port: integer("port", v.port, 8000, 0),
    host: v.host ?? "127.0.0.1",
    workers: integer("workers", v.workers, 1),
    reusePort: v["reuse-port"] === true,
    body: v.body ?? BODY,
    tlsCert: v["tls-cert"] ?? null,
    tlsKey: v["tls-key"] ?? null,
  };
  if (out.port > 65535) throw new Error("bad --port");
  if ((out.tlsCert === null) !== (out.tlsKey === null)) throw new Error("--tls-cert and --tls-key go together");
  return out;
}

/** The bytes every reference answers with, as hello-server does by default. */
export const BODY = "hello";
export const HEADERS = {
  "Server": "hello-server",
  "Content-Type": "text/plain; charset=utf-8",
} as const;
