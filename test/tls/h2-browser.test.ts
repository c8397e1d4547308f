/**
 * Headless Chromium (Debian's, driven by playwright-core) loads a page over HTTPS and reports
 * `h2` as the protocol ALPN chose (performance's nextHopProtocol). One runtime is enough: ALPN on
 * each runtime is in test/server/h2-suite.ts with curl. Skipped where no Chromium is installed.
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

test.skipIf(chromium === undefined)("Chromium loads https://localhost over h2 (ALPN), the page and its protocol", async () => {
  const server = await startServer(RUNTIMES.find((r) => r.label === "bun")!, ["--tls-cert", certs.cert, "--tls-key", certs.key]);
  const browser = await playwright.launch({
    executablePath: chromium,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spkiHash(certs.cert)}`],
    timeout: 30_000,
  });
  try {
    const page = await browser.newPage();
    const response = await page.goto(`https://localhost:${server.port}/`);
    const protocol = await page.evaluate(() => (performance.getEntries()[0] as unknown as { nextHopProtocol: string }).nextHopProtocol);
    expect([response?.status(), await page.innerText("body"), protocol]).toEqual([200, "hello", "h2"]);
    await page.close();
  } finally {
    await browser.close();
    await server.stop();
  }
}, 60_000);
