/**
 * Real clients against an Http2Session on a socket (harness.ts): curl with
 * prior knowledge, nghttp, a short h2load run (correctness only). The flood
 * clients (Rapid Reset and the rest) run in floods.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { execFile, spawnSync } from "node:child_process";
import { startH2Server } from "./harness.ts";

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/** Runs a client without blocking this process's event loop: the server under test lives in it. */
function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: "utf8", timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

describe("real HTTP/2 clients", () => {
  test.skipIf(!has("curl"))("curl --http2-prior-knowledge", async () => {
    const server = await startH2Server();
    try {
      const r = await run("curl", ["-sS", "--http2-prior-knowledge", "-w", "\\n%{http_version} %{http_code}", `http://127.0.0.1:${server.port}/`]);
      expect(r.out).toBe("hello\n2 200");
      // A request with a body (DATA). Several URLs on one connection are not tried: curl 7.88.1 fails its
      // second request on a reused HTTP/2 connection the same way against h2o ("000", nothing sent).
      const post = await run("curl", ["-sS", "--http2-prior-knowledge", "-d", "abc", "-w", " %{http_code}", `http://127.0.0.1:${server.port}/x`]);
      expect(post.out).toBe("hello 200");
    } finally {
      await server.close();
    }
  }, 30_000);

  test.skipIf(!has("nghttp"))("nghttp -v: SETTINGS exchange, the answer, a clean GOAWAY", async () => {
    const server = await startH2Server();
    try {
      const r = await run("nghttp", ["-v", "-n", `http://127.0.0.1:${server.port}/`]);
      expect(r.code).toBe(0);
      expect(r.out).toContain("recv SETTINGS frame");
      expect(r.out).toContain("(niv=4)");
      expect(r.out).toContain("[SETTINGS_NO_RFC7540_PRIORITIES(0x09):1]");
      expect(r.out).toMatch(/recv \(stream_id=\d+\) :status: 200/);
      expect(r.out).toMatch(/recv DATA frame <length=5, flags=0x01, stream_id=\d+>/);
    } finally {
      await server.close();
    }
  }, 30_000);

  test.skipIf(!has("h2load"))("h2load -n 1000 -c 4 -m 10: every answer 2xx", async () => {
    const server = await startH2Server();
    try {
      const r = await run("h2load", ["-n", "1000", "-c", "4", "-m", "10", `http://127.0.0.1:${server.port}/`]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored/);
      expect(r.out).toMatch(/status codes: 1000 2xx/);
    } finally {
      await server.close();
    }
  }, 30_000);
});
