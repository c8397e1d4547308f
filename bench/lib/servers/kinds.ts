/**
 * The servers compared. Each row of SERVER_KINDS is one kind of server;
 * a kind with `runtimes` runs once per runtime found. Adding a row (e.g.
 * hello-server with another --io back end) adds it to every report.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { nginxCommand, type TlsFiles } from "./nginx.ts";
import { freePort } from "./host.ts";
import { waitForResponse } from "./probe.ts";
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
}

const hello = (extra: readonly string[], suffix = ""): Pick<ServerKind, "needsBundle" | "label" | "argv"> => ({
  needsBundle: true,
  label: (rt) => `hello-server${suffix} (${rt?.name})`,
  argv: (ctx) => [
    ...scriptCommand(ctx.runtime!, ctx.bundle),
    ...["--workers", String(ctx.workers), "--quiet", "--host", "127.0.0.1", "--port", String(ctx.port), "--body", ctx.body, ...extra],
  ],
});

const NATIVE_LABEL: Record<RuntimeKind, string> = { bun: "Bun.serve", deno: "Deno.serve", node: "node:http" };
const NATIVE_TLS_LABEL: Record<RuntimeKind, string> = { bun: "Bun.serve tls", deno: "Deno.serve cert/key", node: "node:https" };
const tlsArgs = (ctx: LaunchContext): string[] => (ctx.tls ? ["--tls-cert", ctx.tls.cert, "--tls-key", ctx.tls.key] : []);

export const SERVER_KINDS: readonly ServerKind[] = [
  // --io socket explicitly: `auto` means the syscall back end on Bun and Deno, which has rows of its own.
  { id: "hello", runtimes: ["bun", "deno", "node"], ...hello(["--io", "socket"], " --io socket") },
  // Issue 5: the direct-syscall back end, eager and waiting for readiness (--no-eager).
  // Issue 11: Node's syscall back end goes through koffi (an optional dependency).
  { id: "hello-syscall", runtimes: ["bun", "deno", "node"], ...hello(["--io", "syscall"], " --io syscall") },
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

/** A kind bound to a runtime: one row of the report. */
export interface Instance {
  /** Unique key: `runtime/kind` or the kind id (nginx). */
  key: string;
  label: string;
  kind: ServerKind;
  runtime: Runtime | undefined;
}

export function expandInstances(runtimes: readonly Runtime[], kinds = SERVER_KINDS): Instance[] {
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

/** --only a,b: matches a key (bun/hello), a kind (hello, native, nginx) or a runtime name (deno). */
export function filterInstances(all: readonly Instance[], only: readonly string[]): Instance[] {
  if (only.length === 0) return [...all];
  return all.filter((i) => only.some((o) => o === i.key || o === i.kind.id || o === i.runtime?.name));
}

export interface Running {
  instance: Instance;
  child: ChildProcess;
  pid: number;
  port: number;
  /** ms from spawn to the first complete response. */
  startupMs: number;
  stop(): Promise<void>;
}

/** Starts an instance pinned to `cpus` and waits for its first response. */
export async function launch(instance: Instance, ctx: Omit<LaunchContext, "port" | "runtime">, cpus: string): Promise<Running> {
  const port = await freePort();
  const argv = instance.kind.argv({ ...ctx, port, runtime: instance.runtime });
  if (!argv) throw new Error(`${instance.label}: not available`);
  const started = performance.now();
  const [cmd, ...rest] = [...ctx.prefix, "taskset", "-c", cpus, ...argv];
  const child = spawn(cmd!, rest, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr = (stderr + s).slice(-2000)));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exit;
    clearTimeout(timer);
  };
  try {
    const first = await waitForResponse(port, () => !exited, 20_000, instance.kind.tls === true);
    return { instance, child, pid: child.pid!, port, startupMs: first - started, stop };
  } catch (e) {
    await stop();
    throw new Error(`${instance.label}: ${(e as Error).message}${stderr ? `; stderr: ${stderr.trim()}` : ""}`);
  }
}
