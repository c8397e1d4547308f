/**
 * No client-initiated renegotiation on any runtime (CVE-2011-1473: each renegotiation is a full
 * handshake of server CPU the client asks for at will). openssl s_client's `R` command starts one
 * on an established TLS 1.2 connection; the server must refuse it (a no_renegotiation alert from
 * OpenSSL with SSL_OP_NO_RENEGOTIATION on Node and from BoringSSL on Bun, rustls' refusal on Deno)
 * instead of completing a second handshake. Then Debian's testssl.sh (`-R`, the renegotiation
 * checks only) must report `secure_client_renego` not vulnerable; skipped with a line where it is
 * not installed (CI installs it). Needs dist/hello-server.js and openssl.
 */
import { describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certsForFile } from "../helpers/tls-files.ts";
import { RUNTIMES, startServer } from "../helpers/server.ts";

const HAVE_TESTSSL = spawnSync("testssl", ["--version"]).status === 0;
if (!HAVE_TESTSSL) console.log("testssl.sh not installed (apt-get install testssl.sh): its renegotiation check is skipped");

const certs = certsForFile();

/**
 * A TLS 1.2 session through openssl s_client that asks for a renegotiation once the handshake is
 * done, then an HTTP request. Resolves with everything s_client printed. Bounded: s_client is
 * killed after 10 s.
 */
function renegotiate(port: number): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", "-tls1_2"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let asked = false;
    const onOutput = (chunk: Buffer): void => {
      out += chunk.toString("latin1");
      // s_client reads commands only after the handshake, whose session block ends with the verify result.
      if (!asked && out.includes("Verify return code")) {
        asked = true;
        child.stdin.write("R\n");
        // Sent after R: answered only if the connection outlived the refused renegotiation.
        child.stdin.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      }
    };
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    child.stdin.on("error", () => {});
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

for (const runtime of RUNTIMES.filter((r) => ["bun", "deno", "node"].includes(r.label))) {
  describe(runtime.label, () => {
    test("a client-initiated TLS 1.2 renegotiation is refused", async () => {
      const server = await startServer(runtime, ["--tls-cert", certs.cert, "--tls-key", certs.key]);
      try {
        const out = await renegotiate(server.port);
        expect(out, out).toContain("RENEGOTIATING");
        // OpenSSL's texts for "the peer refused": the alert (Bun) or the refusal read as such (Node, Deno).
        expect(out, out).toMatch(/no renegotiation/);
        // A completed renegotiation prints the verify lines a second time, after RENEGOTIATING.
        const after = out.slice(out.indexOf("RENEGOTIATING"));
        expect(after, out).not.toContain("verify return:");
        // The worker goes on serving.
        const r = spawnSync("curl", ["-sS", "--max-time", "5", "-k", `https://127.0.0.1:${server.port}/`], { encoding: "utf8" });
        expect(r.stdout).toBe("hello");
      } finally {
        await server.stop();
      }
    }, 30_000);

    test.skipIf(!HAVE_TESTSSL)("testssl.sh -R: secure client-initiated renegotiation not vulnerable", async () => {
      const server = await startServer(runtime, ["--tls-cert", certs.cert, "--tls-key", certs.key]);
      const dir = mkdtempSync(join(tmpdir(), "hello-testssl-"));
      try {
        const json = join(dir, "renego.json");
        const r = spawnSync("testssl", ["-R", "--quiet", "--color", "0", "--warnings", "batch", "--jsonfile", json, `127.0.0.1:${server.port}`], {
          encoding: "utf8",
          timeout: 90_000,
        });
        const findings = JSON.parse(readFileSync(json, "utf8")) as Array<{ id: string; severity: string; finding: string }>;
        const client = findings.find((f) => f.id === "secure_client_renego");
        expect(client, r.stdout).toBeDefined();
        console.log(`${runtime.label}: testssl.sh secure_client_renego ${client!.severity}: ${client!.finding}`);
        expect(client!.severity, r.stdout).toBe("OK");
        expect(client!.finding).toBe("not vulnerable");
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await server.stop();
      }
    }, 120_000);
  });
}
