/** Real WebSocket clients as child processes, each pointed at a URL (the harness's, or the integrated server's). */
import { spawn } from "node:child_process";
import { join } from "node:path";

const DIR = join(import.meta.dir, "clients");

/** Runs a client to its end (killed after `timeoutMs`) and parses the JSON line it prints. */
async function runClient(command: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${code}: ${err.trim() || out.trim()}`);
    return JSON.parse(out.trim().split("\n").pop()!) as Record<string, unknown>;
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}

/** The `ws` npm package under Node: text, binary, fragmented, 1 MiB, and 1 MiB + 1 (expects close 1009). */
export function runWsPackageClient(url: string, timeoutMs = 20_000, caFile?: string): Promise<Record<string, unknown>> {
  // wss://: Node adds a PEM CA file to its trust store from this variable, for the whole process.
  return runClient("node", [join(DIR, "ws-echo.mjs"), url], timeoutMs, caFile === undefined ? {} : { NODE_EXTRA_CA_CERTS: caFile });
}

/** The `ws` package under Node: waits for `count` pings from the server and reports them ({ pings, payloads }). */
export function runPingCounter(url: string, count: number, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  return runClient("node", [join(DIR, "ws-pings.mjs"), url, String(count)], timeoutMs);
}

/** Debian's python3-websockets: text, binary, ping, close 1000. */
export function runPythonClient(url: string, timeoutMs = 25_000, caFile?: string): Promise<Record<string, unknown>> {
  // wss://: Python's default SSL context loads OpenSSL's default verify paths, which this variable replaces.
  return runClient("/usr/bin/python3", [join(DIR, "python-echo.py"), url], timeoutMs, caFile === undefined ? {} : { SSL_CERT_FILE: caFile });
}
