/**
 * Headless Chromium (Debian's, driven by playwright-core) loads the page over HTTPS from every
 * runtime. Chromium keeps its own trust store, so the test's certificate is trusted by the hash
 * of its public key (--ignore-certificate-errors-spki-list): that key only, not any certificate.
 * Skipped where no Chromium is installed.
 */
import { expect, test } from "bun:test";
import { chromium as playwright } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../bench/browser.ts";
import { certsForFile, spkiHash } from "../helpers/tls-files.ts";
import { RUNTIMES, startServer } from "../helpers/server.ts";

const chromium = findChromium();
const certs = certsForFile();

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
