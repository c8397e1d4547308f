/**
 * An outside scanner's view of hello-server's TLS on every runtime: Debian's sslscan lists the
 * protocols and cipher suites the server accepts. Nothing below the profile (src/tls/profile.ts,
 * Mozilla's "intermediate"): no SSLv2/SSLv3/TLS 1.0/TLS 1.1, and every TLS 1.2 suite ECDHE with
 * an AEAD cipher (AES-GCM or ChaCha20-Poly1305). Skipped with a line when sslscan is missing (CI
 * installs it). Needs dist/hello-server.js and openssl (test certificates).
 */
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { certsForFile } from "../helpers/tls-files.ts";
import { RUNTIMES, startServer } from "../helpers/server.ts";

const HAVE_SSLSCAN = spawnSync("sslscan", ["--version"]).status === 0;
if (!HAVE_SSLSCAN) console.log("sslscan not installed (apt-get install sslscan): the scan is skipped");

const certs = certsForFile();

/** sslscan's protocol lines (`TLSv1.2   enabled`) and accepted suites (`Accepted  TLSv1.2  256 bits  ECDHE-ECDSA-AES256-GCM-SHA384 …`). */
function scan(port: number): { protocols: Map<string, boolean>; accepted: Array<[string, string]>; text: string } {
  const r = spawnSync("sslscan", ["--no-colour", "--no-heartbleed", `127.0.0.1:${port}`], { encoding: "utf8", timeout: 60_000 });
  const text = r.stdout;
  const protocols = new Map<string, boolean>();
  for (const m of text.matchAll(/^(SSLv[23]|TLSv1\.[0-3])\s+(enabled|disabled)/gm)) protocols.set(m[1]!, m[2] === "enabled");
  const accepted: Array<[string, string]> = [];
  for (const m of text.matchAll(/^(?:Preferred|Accepted)\s+(TLSv1\.[0-3]|SSLv[23])\s+\d+ bits\s+(\S+)/gm)) accepted.push([m[1]!, m[2]!]);
  return { protocols, accepted, text };
}

for (const runtime of RUNTIMES.filter((r) => ["bun", "deno", "node"].includes(r.label))) {
  describe(runtime.label, () => {
    test.skipIf(!HAVE_SSLSCAN)("sslscan: TLS 1.2 and 1.3 only, every TLS 1.2 suite ECDHE with AEAD", async () => {
      const server = await startServer(runtime, ["--tls-cert", certs.cert, "--tls-key", certs.key]);
      try {
        const { protocols, accepted, text } = scan(server.port);
        console.log(`${runtime.label}: sslscan accepted ${accepted.map(([v, c]) => `${v} ${c}`).join(", ")}`);
        for (const old of ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"]) expect(protocols.get(old), `${old}\n${text}`).not.toBe(true);
        expect(protocols.get("TLSv1.2"), text).toBe(true);
        expect(protocols.get("TLSv1.3"), text).toBe(true);
        expect(accepted.length).toBeGreaterThan(0);
        for (const [version, suite] of accepted) {
          expect(version === "TLSv1.2" || version === "TLSv1.3", `${version} ${suite}`).toBe(true);
          // TLS 1.3 suites are all AEAD; a TLS 1.2 one must be ECDHE key exchange with GCM or ChaCha20-Poly1305.
          if (version === "TLSv1.2") expect(suite, suite).toMatch(/^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
        }
      } finally {
        await server.stop();
      }
    }, 90_000);
  });
}
