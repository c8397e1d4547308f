/**
 * The certificate of compare's TLS scenarios: one ECDSA P-256 self-signed certificate for
 * localhost and 127.0.0.1, made with the openssl CLI for each session (never committed), served
 * by every TLS server alike (hello-server, Bun.serve tls, Deno.serve cert/key, node:https, nginx
 * ssl). wrk does not verify certificates, so no CA is needed.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { TlsFiles } from "./nginx.ts";

export function makeBenchCert(dir: string): TlsFiles {
  const cert = join(dir, "bench-tls.pem");
  const key = join(dir, "bench-tls.key");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "2",
  ], { stdio: "ignore" });
  return { cert, key };
}
