/**
 * Headless Chromium (Debian's, driven by playwright-core) loads the page over HTTPS from every
 * runtime. Chromium keeps its own trust store, so the test's certificate is trusted by the hash
 * of its public key (--ignore-certificate-errors-spki-list): that key only, not any certificate.
 * Skipped where no Chromium is installed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { chromium as playwright } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../bench/browser.ts";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";
import { RUNTIMES, startServer, stopAll } from "../helpers/server.ts";

const chromium = findChromium();
let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(async () => {
  await stopAll();
  certs.remove();
});

/** base64 SHA-256 of the certificate's SubjectPublicKeyInfo, as Chromium's SPKI list wants it. */
function spkiHash(certFile: string): string {
  const spki = new X509Certificate(readFileSync(certFile)).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

test.skipIf(chromium === undefined)("Chromium loads https://localhost from bun, deno and node; a certificate it does not trust is an error page", async () => {
  const browser = await playwright.launch({
    executablePath: chromium,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spkiHash(certs.cert)}`],
    timeout: 30_000,
  });
  try {
    for (const runtime of RUNTIMES.filter((r) => ["bun", "deno", "node"].includes(r.label))) {
      const server = await startServer(runtime, ["--tls-cert", certs.cert, "--tls-key", certs.key]);
      try {
        const page = await browser.newPage();
        const response = await page.goto(`https://localhost:${server.port}/`);
        expect([runtime.label, response?.status(), await page.innerText("body")]).toEqual([runtime.label, 200, "hello"]);
        await page.close();
      } finally {
        await server.stop();
      }
    }
    // The RSA certificate's key is not in the list: Chromium refuses it.
    const other = await startServer(RUNTIMES.find((r) => r.label === "bun")!, ["--tls-cert", certs.rsaCert, "--tls-key", certs.rsaKey]);
    try {
      const page = await browser.newPage();
      await expect(page.goto(`https://localhost:${other.port}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
      await page.close();
    } finally {
      await other.stop();
    }
  } finally {
    await browser.close();
  }
}, 90_000);
