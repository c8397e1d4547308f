/**
 * The servers compared. Each row of SERVER_KINDS is one kind of server;
 * a kind with `runtimes` runs once per runtime found. Adding a row (e.g.
 * hello-server with another --io back end) adds it to every report.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { h2oCommand } from "../../h2/h2o.ts";
import { nginxH2Command } from "../../h2/nginx.ts";
import type { Wire } from "../types.ts";
import { nginxCommand, type TlsFiles } from "./nginx.ts";
import { freePort } from "./host.ts";
import type { PeerFormat } from "./natives.ts";
import { waitForH2, waitForResponse } from "./probe.ts";
import { scriptCommand, type Runtime, type RuntimeKind } from "./runtimes.ts";

export interface LaunchContext {
  /** Runtime for runtime-bound kinds; undefined for nginx. */
  runtime: Runtime | undefined;
  port: number;
  workers: number;
  /** dist/hello-server.js */
  bundle: string;
  /** Bundled native reference servers, by runtime kind. */
  natives: Record<RuntimeKind, string>;
  nginx: string | undefined;
  /** Scratch directory for this instance. */
  tmp: string;
  /** The most connections a run opens (nginx sizes worker_connections to it). */
  maxConnections: number;
  /** Response body every server answers with (--body). */
  body: string;
  /** argv before taskset: prlimit for the open-file limit of a sweep. */
  prefix: string[];
  /** The ECDSA P-256 certificate every TLS kind serves (made by compare.ts); undefined = no TLS scenario. */
  tls?: TlsFiles;
  /** Bundles a bench/native peer (h2-*, ws-*, grpc-js) on first use; returns the file. Undefined = no protocol peers. */
  peer?: (name: string, format: PeerFormat) => string;
  /** Debian's h2o, when installed. */
  h2o?: string;
}

export interface ServerKind {
  id: string;
  /** Runtimes it runs on, or "none" for a runtime-independent server. */
  runtimes: readonly RuntimeKind[] | "none";
  /** Is this kind the reference for its runtime (the "vs native" column)? */
  native?: boolean;
  /** Needs dist/hello-server.js. */
  needsBundle?: boolean;
  label(rt: Runtime | undefined): string;
  argv(ctx: LaunchContext): string[] | undefined;
  /** Serves HTTPS only (types.ts runsOn): the TLS scenarios run on these kinds. */
  tls?: boolean;
  /** The wires it serves (types.ts runsOn); none listed = HTTP/1.1, over TLS with `tls`. */
  serves?: readonly Wire[];
  /** Other names --only knows it by (a protocol peer answers to its family: native, nginx, hello). */
  also?: readonly string[];
  /** How start-up knows it answers: an HTTP/1.1 GET (the default), or one HTTP/2 exchange for peers that speak no HTTP/1.1. */
  ready?: "h2c" | "h2" | "grpc" | "grpcs";
  /** A program that must be installed (the plan drops the kind with a note otherwise). */
  binary?: "nginx" | "h2o";
  /**
   * Runs hello-server's default back end (`--io auto`): which one served is known only once it
   * listens (its listening line), so the row's label is this, given that back end.
   */
  servedLabel?(rt: Runtime | undefined, io: string): string;
}

// Not --quiet: the listening line (stderr, read by launch) names the back end that served, which
// `--io auto` picks per machine and `--io uring` may fall back from (to syscall).
const hello = (extra: readonly string[], suffix = ""): Pick<ServerKind, "needsBundle" | "label" | "argv"> => ({
  needsBundle: true,
  label: (rt) => `hello-server${suffix} (${rt?.name})`,
  argv: (ctx) => [
    ...scriptCommand(ctx.runtime!, ctx.bundle),
    ...["--workers", String(ctx.workers), "--host", "127.0.0.1", "--port", String(ctx.port), "--body", ctx.body, ...extra],
  ],
});

/** hello-server as `./hello-server` runs it (no --io: `auto`), its label naming the back end once it served. */
const helloDefault = (extra: readonly string[], suffix = ""): Pick<ServerKind, "needsBundle" | "label" | "argv" | "servedLabel"> => ({
  ...hello(extra, ` default${suffix}`),
  servedLabel: (rt, io) => `hello-server default, io ${io}${suffix} (${rt?.name})`,
});

/** The back end a hello-server listening line names (`…, io syscall, pid …`); undefined for any other line. */
export function servedIo(stderr: string): string | undefined {
  return /hello-server listening on [^\n]*?, io (\w+)[,)]/.exec(stderr)?.[1];
}

const NATIVE_LABEL: Record<RuntimeKind, string> = { bun: "Bun.serve", deno: "Deno.serve", node: "node:http" };
const NATIVE_TLS_LABEL: Record<RuntimeKind, string> = { bun: "Bun.serve tls", deno: "Deno.serve cert/key", node: "node:https" };
const tlsArgs = (ctx: LaunchContext): string[] => (ctx.tls ? ["--tls-cert", ctx.tls.cert, "--tls-key", ctx.tls.key] : []);

/** The path hello-server's WebSocket rows echo on (the ws peers echo on any path). */
export const WS_PATH = "/ws";

/**
 * A runtime's own protocol server from bench/native/ (file, label per
 * runtime), bundled on first use: CommonJS for node and for grpc-js (they
 * require() node's builtins, which an ESM bundle cannot), ESM otherwise.
 */
function peerKind(id: string, serves: readonly Wire[], files: Partial<Record<RuntimeKind, readonly [file: string, label: string]>>): ServerKind {
  const of = (rt: Runtime | undefined) => files[rt!.kind]!;
  return {
    id,
    runtimes: Object.keys(files) as RuntimeKind[],
    native: true,
    serves,
    also: ["native"],
    label: (rt) => `${of(rt)[1]} (${rt!.name})`,
    argv: (ctx) => {
      const [file] = of(ctx.runtime);
      const tls = serves.includes("h2") || serves.includes("grpcs");
      if (!ctx.peer || (tls && !ctx.tls)) return undefined;
      const script = ctx.peer(file, ctx.runtime!.kind === "node" || file === "grpc-js" ? "cjs" : "esm");
      return [...scriptCommand(ctx.runtime!, script), "--host", "127.0.0.1", "--port", String(ctx.port), "--body", ctx.body, ...(tls ? tlsArgs(ctx) : [])];
    },
  };
}

export const SERVER_KINDS: readonly ServerKind[] = [
  // `hello` is the server as it runs by default (`--io auto`: syscall where it can run, else socket;
  // the row's label says which served); each back end also has its own name.
  // HTTP/2 is on by default (--http2 on: h2c by its preface on the same port), gRPC's health service with it.
  { id: "hello", runtimes: ["bun", "deno", "node"], serves: ["http1", "h2c", "grpc"], ...helloDefault([]) },
  { id: "hello-socket", runtimes: ["bun", "deno", "node"], serves: ["http1", "h2c", "grpc"], ...hello(["--io", "socket"], " --io socket") },
  // Issue 5: the direct-syscall back end, eager and waiting for readiness (--no-eager).
  // Issue 11: Node's syscall back end goes through koffi (an optional dependency).
  { id: "hello-syscall", runtimes: ["bun", "deno", "node"], serves: ["http1", "h2c", "grpc"], ...hello(["--io", "syscall"], " --io syscall") },
  { id: "hello-syscall-lazy", runtimes: ["bun", "deno"], ...hello(["--io", "syscall", "--no-eager"], " --io syscall --no-eager") },
  // Issue 12: the io_uring back end (falls back to syscall, with a stderr line, where io_uring is refused).
  { id: "hello-uring", runtimes: ["bun", "deno", "node"], ...hello(["--io", "uring"], " --io uring") },
  {
    id: "native",
    runtimes: ["bun", "deno", "node"],
    native: true,
    label: (rt) => `${NATIVE_LABEL[rt!.kind]} (${rt!.name})`,
    argv: (ctx) => [
      ...scriptCommand(ctx.runtime!, ctx.natives[ctx.runtime!.kind]),
      ...["--workers", String(ctx.workers), "--host", "127.0.0.1", "--port", String(ctx.port), "--body", ctx.body],
    ],
  },
  {
    id: "nginx",
    runtimes: "none",
    label: () => "nginx",
    argv: (ctx) => (ctx.nginx ? nginxCommand(ctx.nginx, join(ctx.tmp, "nginx"), ctx.port, ctx.workers, ctx.body, ctx.maxConnections) : undefined),
  },
  // HTTPS, every server on the same ECDSA P-256 certificate, each with its runtime's own TLS
  // (compare's tls-keepalive and tls-close scenarios; hello-server's TLS is the socket back end's).
  {
    id: "hello-tls",
    runtimes: ["bun", "deno", "node"],
    tls: true,
    // ALPN offers h2 then http/1.1: the h2-tls scenario runs on the same server.
    serves: ["https1", "h2", "grpcs"],
    needsBundle: true,
    label: (rt) => `hello-server TLS (${rt?.name})`,
    argv: (ctx) => {
      const args = hello(["--io", "socket", ...tlsArgs(ctx)]).argv(ctx);
      return ctx.tls ? args : undefined;
    },
  },
  {
    id: "native-tls",
    runtimes: ["bun", "deno", "node"],
    native: true,
    tls: true,
    label: (rt) => `${NATIVE_TLS_LABEL[rt!.kind]} (${rt!.name})`,
    argv: (ctx) =>
      ctx.tls
        ? [...scriptCommand(ctx.runtime!, ctx.natives[ctx.runtime!.kind]), ...["--workers", String(ctx.workers), "--host", "127.0.0.1", "--port", String(ctx.port), "--body", ctx.body], ...tlsArgs(ctx)]
        : undefined,
  },
  {
    id: "nginx-tls",
    runtimes: "none",
    tls: true,
    label: () => "nginx ssl",
    argv: (ctx) => (ctx.nginx && ctx.tls ? nginxCommand(ctx.nginx, join(ctx.tmp, "nginx-tls"), ctx.port, ctx.workers, ctx.body, ctx.maxConnections, ctx.tls) : undefined),
  },
];

/** The peers of the protocol scenarios (bench/native/, bench/h2/): the same fields and body as hello-server. */
const PROTOCOL_KINDS: readonly ServerKind[] = [
  // The WebSocket echo is off by default: its own rows, so that the HTTP/1.1 rows measure the default server.
  { id: "hello-ws", runtimes: ["bun", "deno", "node"], serves: ["ws"], also: ["hello"], ...helloDefault(["--ws-echo-path", WS_PATH], " ws-echo") },
  { id: "hello-socket-ws", runtimes: ["bun", "deno", "node"], serves: ["ws"], also: ["hello-socket"], ...hello(["--io", "socket", "--ws-echo-path", WS_PATH], " --io socket ws-echo") },
  { id: "hello-syscall-ws", runtimes: ["bun", "deno", "node"], serves: ["ws"], also: ["hello-syscall"], ...hello(["--io", "syscall", "--ws-echo-path", WS_PATH], " --io syscall ws-echo") },
  // node:http2's createServer speaks h2c only (no allowHTTP1): every HTTP/2 peer starts on an HTTP/2 probe.
  { ...peerKind("native-h2", ["h2c"], { bun: ["h2-bun", "Bun.serve http2"], deno: ["h2-deno", "Deno.serve h2c"], node: ["h2-node", "node:http2"] }), ready: "h2c" },
  { ...peerKind("native-h2-tls", ["h2"], { bun: ["h2-bun", "Bun.serve http2 tls"], deno: ["h2-deno", "Deno.serve h2 cert/key"], node: ["h2-node", "node:http2 secure"] }), tls: true, ready: "h2", also: ["native-tls"] },
  peerKind("native-ws", ["ws"], { bun: ["ws-bun", "Bun.serve websocket"], deno: ["ws-deno", "Deno.upgradeWebSocket"], node: ["ws-node", "ws"] }),
  // grpc-js is the reference the issue measures against (the "vs native" column); the bare node:http2 peer shows HTTP/2's own share.
  { ...peerKind("grpc-js", ["grpc"], { bun: ["grpc-js", "@grpc/grpc-js"], node: ["grpc-js", "@grpc/grpc-js"] }), ready: "grpc" },
  { ...peerKind("grpc-js-tls", ["grpcs"], { bun: ["grpc-js", "@grpc/grpc-js ssl"], node: ["grpc-js", "@grpc/grpc-js ssl"] }), tls: true, ready: "grpcs", also: ["native-tls"] },
  { ...peerKind("grpc-node-http2", ["grpc"], { node: ["h2-node-grpc", "node:http2 gRPC health"] }), native: false, ready: "grpc" },
  {
    id: "nginx-h2", runtimes: "none", serves: ["h2c"], also: ["nginx"], binary: "nginx", ready: "h2c", label: () => "nginx http2",
    argv: (ctx) => (ctx.nginx ? nginxH2Command(ctx.nginx, join(ctx.tmp, "nginx-h2"), ctx.port, ctx.body) : undefined),
  },
  {
    id: "nginx-h2-tls", runtimes: "none", serves: ["h2"], tls: true, also: ["nginx-tls"], binary: "nginx", ready: "h2", label: () => "nginx http2 ssl",
    argv: (ctx) => (ctx.nginx && ctx.tls ? nginxH2Command(ctx.nginx, join(ctx.tmp, "nginx-h2-tls"), ctx.port, ctx.body, ctx.tls) : undefined),
  },
  {
    id: "h2o", runtimes: "none", serves: ["h2c"], binary: "h2o", ready: "h2c", label: () => "h2o",
    argv: (ctx) => (ctx.h2o ? h2oCommand(ctx.h2o, join(ctx.tmp, "h2o"), ctx.port, ctx.body) : undefined),
  },
  {
    id: "h2o-tls", runtimes: "none", serves: ["h2"], tls: true, also: ["h2o"], binary: "h2o", ready: "h2", label: () => "h2o tls",
    argv: (ctx) => (ctx.h2o && ctx.tls ? h2oCommand(ctx.h2o, join(ctx.tmp, "h2o-tls"), ctx.port, ctx.body, ctx.tls) : undefined),
  },
];

/** Every kind: the HTTP/1.1 ones first (their order is the reports' and the charts' shades), then the protocol peers. */
export const ALL_KINDS: readonly ServerKind[] = [...SERVER_KINDS, ...PROTOCOL_KINDS];

/** A kind bound to a runtime: one row of the report. */
export interface Instance {
  /** Unique key: `runtime/kind` or the kind id (nginx). */
  key: string;
  label: string;
  kind: ServerKind;
  runtime: Runtime | undefined;
}

export function expandInstances(runtimes: readonly Runtime[], kinds = ALL_KINDS): Instance[] {
  const out: Instance[] = [];
  for (const rt of runtimes) {
    for (const kind of kinds) {
      if (kind.runtimes !== "none" && kind.runtimes.includes(rt.kind)) {
        out.push({ key: `${rt.name}/${kind.id}`, label: kind.label(rt), kind, runtime: rt });
      }
    }
  }
  for (const kind of kinds) if (kind.runtimes === "none") out.push({ key: kind.id, label: kind.label(undefined), kind, runtime: undefined });
  return out;
}

/**
 * --only a,b: matches a key (bun/hello), a kind (hello, native, nginx) or
 * a runtime name (deno); `hello` is the default back end, `hello-socket`,
 * `hello-syscall`, `hello-uring` each one back end; a protocol peer also answers to its family
 * (`native` takes native-h2, native-ws and grpc-js; `bun/native` takes
 * bun/native-h2 and the rest on bun).
 */
export function filterInstances(all: readonly Instance[], only: readonly string[]): Instance[] {
  if (only.length === 0) return [...all];
  const names = (i: Instance) => [i.kind.id, ...(i.kind.also ?? [])];
  return all.filter((i) => only.some((o) => o === i.key || o === i.runtime?.name || names(i).some((n) => o === n || o === `${i.runtime?.name}/${n}`)));
}

export interface Running {
  instance: Instance;
  child: ChildProcess;
  pid: number;
  port: number;
  /** ms from spawn to the first complete response. */
  startupMs: number;
  /** The back end hello-server's listening line named (socket, syscall, uring); undefined for other servers. */
  io: string | undefined;
  stop(): Promise<void>;
}

/** How long after its first answer hello-server's listening line may take (all workers up); past it the row names no back end. */
const LISTENING_LINE_WAIT_MS = 5000;

/** Starts an instance pinned to `cpus` and waits for its first response. */
export async function launch(instance: Instance, ctx: Omit<LaunchContext, "port" | "runtime">, cpus: string): Promise<Running> {
  const port = await freePort();
  const argv = instance.kind.argv({ ...ctx, port, runtime: instance.runtime });
  if (!argv) throw new Error(`${instance.label}: not available`);
  const started = performance.now();
  const [cmd, ...rest] = [...ctx.prefix, "taskset", "-c", cpus, ...argv];
  const child = spawn(cmd!, rest, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  let io: string | undefined;
  let sawIo: () => void = () => {};
  const ioSeen = new Promise<void>((resolve) => (sawIo = resolve));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => {
    stderr = (stderr + s).slice(-2000);
    if (io === undefined && (io = servedIo(stderr)) !== undefined) sawIo();
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), sawIo(), resolve())));
  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exit;
    clearTimeout(timer);
  };
  try {
    const ready = instance.kind.ready;
    const first = ready === undefined
      ? await waitForResponse(port, () => !exited, 20_000, instance.kind.tls === true)
      : await waitForH2(port, () => !exited, 20_000, { tls: ready === "h2" || ready === "grpcs", grpc: ready === "grpc" || ready === "grpcs" });
    // A supervisor prints its listening line once every worker listens, which may follow the first answer.
    if (instance.kind.needsBundle && io === undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([ioSeen, new Promise<void>((resolve) => (timer = setTimeout(resolve, LISTENING_LINE_WAIT_MS)))]);
      clearTimeout(timer);
    }
    return { instance, child, pid: child.pid!, port, startupMs: first - started, io, stop };
  } catch (e) {
    await stop();
    throw new Error(`${instance.label}: ${(e as Error).message}${stderr ? `; stderr: ${stderr.trim()}` : ""}`);
  }
}
