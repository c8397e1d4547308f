/**
 * Starting the protocol peers for the h2 and ws-echo tests: a child
 * process that announces `listening on http(s)://HOST:PORT (pid N)` on
 * stderr (bench/native/h2-*.ts, ws-*.ts), or a C server on a port chosen
 * here and polled until it answers (nginx, h2o). Node's peers are bundled
 * with esbuild first (node 20 cannot run .ts). Every start returns a stop
 * that ends the process and waits for its exit.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");
export const BUN = process.execPath;
export const DENO = join(ROOT, "node_modules/.bin/deno");

export interface Peer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Bundles a bench/native peer for node as CommonJS (ws require()s node's builtins); returns its path. */
export function bundleForNode(name: string, dir: string): string {
  const out = join(dir, `${name}.cjs`);
  execFileSync(join(ROOT, "node_modules/.bin/esbuild"), [join(ROOT, `bench/native/${name}.ts`), "--bundle", "--platform=node", "--format=cjs", `--outfile=${out}`, "--log-level=warning"]);
  return out;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      // A peer that ignores SIGTERM is killed, so a test never leaves one behind.
      const force = setTimeout(() => child.kill("SIGKILL"), 3000);
      child.once("exit", () => {
        clearTimeout(force);
        done();
      });
      child.kill("SIGTERM");
    });
}

/** Spawns argv and waits (15 s at most) for its `listening on …:PORT (pid N)` line. */
export function startAnnounced(argv: string[]): Promise<Peer> {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  const stop = stopper(child);
  return new Promise<Peer>((ok, fail) => {
    let err = "";
    const timer = setTimeout(() => {
      void stop();
      fail(new Error(`${argv.join(" ")} did not announce itself in 15 s: ${err}`));
    }, 15_000);
    child.stderr!.setEncoding("utf8").on("data", (s: string) => {
      err += s;
      const m = /listening on https?:\/\/[^ ]+:(\d+) \(pid (\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        ok({ port: Number(m[1]), pid: Number(m[2]), stop });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`${argv.join(" ")} exited with ${code}: ${err}`));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const c = connect(port, "127.0.0.1");
    c.once("connect", () => (c.destroy(), ok(true)));
    c.once("error", () => ok(false));
  });
}

/** Spawns argv (a server listening on `port`) and waits until the port accepts, 10 s at most. */
export async function startOnPort(argv: string[], port: number): Promise<Peer> {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], detached: false });
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  const stop = stopper(child);
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${argv.join(" ")} exited with ${child.exitCode}: ${err}`);
    if (await accepts(port)) return { port, pid: child.pid!, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`${argv.join(" ")} did not listen on ${port} in 10 s: ${err}`);
}

/** curl's answer: status line, lower-cased fields and body. */
export function curl(args: string[]): { status: string; fields: Map<string, string>; body: string } {
  const out = execFileSync("curl", ["-sS", "--max-time", "5", "-D", "-", ...args], { encoding: "utf8" });
  const [head = "", body = ""] = out.split("\r\n\r\n");
  const [status = "", ...lines] = head.split("\r\n");
  const fields = new Map(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()] as [string, string]));
  return { status: status.trim(), fields, body };
}
