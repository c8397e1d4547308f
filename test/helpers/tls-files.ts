/**
 * What every test file that serves TLS sets up alike: the test certificates (test/helpers/certs.ts),
 * made before its first test and removed after its last, once every server the file started is
 * stopped (a server must not lose its key files while it runs); and the SPKI hash by which Chromium
 * is told to trust the test leaf.
 */
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll } from "bun:test";
import { makeTestCerts, type TestCerts } from "./certs.ts";
import { stopAll } from "./server.ts";

/**
 * The file's certificates. The object is filled by the file's `beforeAll`, so read its fields
 * inside tests and hooks, not at the file's top level.
 */
export function certsForFile(): TestCerts {
  const certs = {} as TestCerts;
  beforeAll(() => {
    Object.assign(certs, makeTestCerts());
  });
  afterAll(async () => {
    await stopAll();
    certs.remove();
  });
  return certs;
}

/** base64 SHA-256 of the certificate's SubjectPublicKeyInfo, as Chromium's `--ignore-certificate-errors-spki-list` wants it. */
export function spkiHash(certFile: string): string {
  const spki = new X509Certificate(readFileSync(certFile)).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}
