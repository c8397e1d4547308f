/**
 * Test certificates, made at test time with Debian's openssl CLI (never committed): an ECDSA
 * P-256 CA with a leaf for localhost/127.0.0.1/::1, a second leaf (rotation), a client
 * certificate (mutual TLS) and an expired leaf; an RSA 2048 CA and leaf.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCerts {
  readonly dir: string;
  /** ECDSA P-256 CA (PEM file), leaf cert and key, the leaf's CN. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** A second leaf from the same CA (CN=rotated.localhost), for rotation. */
  readonly cert2: string;
  readonly key2: string;
  /** A client certificate from the CA: CN=test-client, O=hello-server tests. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate from a CA the server does not trust. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  /** A leaf that expired on 2020-01-02. */
  readonly expiredCert: string;
  readonly expiredKey: string;
  /** RSA 2048 CA and leaf. */
  readonly rsaCa: string;
  readonly rsaCert: string;
  readonly rsaKey: string;
  remove(): void;
}

const SAN = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1";
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
const RSA = ["-newkey", "rsa:2048"];

function openssl(dir: string, args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.error?.message ?? r.stderr}`);
}

function makeCa(dir: string, name: string, keyArgs: string[]): void {
  openssl(dir, ["req", "-x509", ...keyArgs, "-nodes", "-keyout", `${name}.key`, "-out", `${name}.pem`, "-subj", `/CN=${name} test CA`, "-days", "2",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
}

function makeLeaf(dir: string, ca: string, name: string, keyArgs: string[], subject: string, ext: string[]): void {
  openssl(dir, ["req", "-new", ...keyArgs, "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject, ...ext]);
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-copy_extensions", "copy", "-out", `${name}.pem`]);
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "hello-tls-"));
  makeCa(dir, "ca", EC);
  makeLeaf(dir, "ca", "leaf", EC, "/CN=localhost", ["-addext", SAN]);
  makeLeaf(dir, "ca", "leaf2", EC, "/CN=rotated.localhost", ["-addext", SAN]);
  makeLeaf(dir, "ca", "client", EC, "/CN=test-client/O=hello-server tests", ["-addext", "extendedKeyUsage=clientAuth"]);
  makeCa(dir, "stranger-ca", EC);
  makeLeaf(dir, "stranger-ca", "stranger", EC, "/CN=stranger", ["-addext", "extendedKeyUsage=clientAuth"]);
  makeCa(dir, "rsa-ca", RSA);
  makeLeaf(dir, "rsa-ca", "rsa", RSA, "/CN=localhost", ["-addext", SAN]);
  // `openssl x509` takes no past dates (OpenSSL 3.0); `openssl ca` does.
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "1000\n");
  writeFileSync(join(dir, "ca.cnf"), "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\ncopy_extensions=copy\n[p]\ncommonName=supplied\n");
  openssl(dir, ["req", "-new", ...EC, "-nodes", "-keyout", "expired.key", "-out", "expired.csr", "-subj", "/CN=localhost", "-addext", SAN]);
  openssl(dir, ["ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", "expired.csr", "-out", "expired.pem",
    "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext"]);
  const f = (name: string) => join(dir, name);
  return {
    dir,
    ca: f("ca.pem"), cert: f("leaf.pem"), key: f("leaf.key"),
    cert2: f("leaf2.pem"), key2: f("leaf2.key"),
    clientCert: f("client.pem"), clientKey: f("client.key"),
    strangerCert: f("stranger.pem"), strangerKey: f("stranger.key"),
    expiredCert: f("expired.pem"), expiredKey: f("expired.key"),
    rsaCa: f("rsa-ca.pem"), rsaCert: f("rsa.pem"), rsaKey: f("rsa.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

if (import.meta.main) {
  // `bun test/helpers/certs.ts` prints a directory of fresh test certificates (for trying things by hand).
  console.log(makeTestCerts().dir);
}
