/**
 * test/grpc/clients/grpc_client.py (the python3-grpcio client the HTTP/2 integration will point at
 * hello-server) against a tiny grpcio server (fake_server.py): this proves the client, not our server.
 */
import { describe, expect, test } from "bun:test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const PYTHON = "/usr/bin/python3";
const CLIENT = join(import.meta.dir, "clients", "grpc_client.py");
const SERVER = join(import.meta.dir, "clients", "fake_server.py");
const available = spawnSync(PYTHON, ["-c", "import grpc"]).status === 0;

/** Starts the fake server; resolves with its port once it printed it (its first line). */
function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(PYTHON, [SERVER], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve({ child, port: Number(out.slice(0, nl)) });
    });
    child.on("exit", (code) => reject(new Error(`fake_server.py exited ${code}`)));
  });
}

function client(port: number, args: string[]): Record<string, unknown> {
  const run = spawnSync(PYTHON, [CLIENT, `127.0.0.1:${port}`, ...args], { encoding: "utf8", timeout: 30_000 });
  if (run.status !== 0) throw new Error(`grpc_client.py ${args.join(" ")}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}

describe.skipIf(!available)("grpc_client.py against a grpcio server", () => {
  test("check, watch, echo with metadata, deadlines and status", async () => {
    const { child, port } = await startServer();
    try {
      expect(client(port, ["check", ""])).toEqual({ code: "OK", details: null, status: "SERVING" });
      expect(client(port, ["check", "hello"])).toEqual({ code: "OK", details: null, status: "SERVING" });
      expect(client(port, ["check", "nope"])).toEqual({ code: "NOT_FOUND", details: "unknown service" });
      expect(client(port, ["watch", "", "5"])).toEqual({ code: "OK", details: null, statuses: ["SERVING", "NOT_SERVING"] });
      expect(client(port, ["watch", "", "1"])).toMatchObject({ code: "CANCELLED", statuses: ["SERVING"] });
      const echo = client(port, ["--metadata", "x-trace=42", "echo", "hi"]);
      expect(echo).toMatchObject({ code: "OK", reply: { message: "hi", runtime: "fake", pid: 4242 } });
      expect((echo.reply as { metadata: string[][] }).metadata).toContainEqual(["x-trace", "42"]);
      expect(client(port, ["--metadata", "x-hello-grpc-status=14", "echo", "hi"])).toEqual({ code: "UNAVAILABLE", details: "asked for" });
      expect(client(port, ["--timeout", "0.2", "--metadata", "x-hello-delay=2", "echo", "hi"])).toMatchObject({ code: "DEADLINE_EXCEEDED" });
      expect(client(port, ["call", "/grpc.health.v1.Health/Check", ""])).toEqual({ code: "OK", details: null, hex: "0801" });
      expect(client(port, ["call", "/hello.v1.Echo/Other", ""])).toMatchObject({ code: "UNIMPLEMENTED" });
    } finally {
      child.stdin!.end();
      child.kill();
    }
  }, 60_000);
});
