/**
 * Headless Chromium (Debian's, driven by playwright-core) loads a page over HTTPS and reports
 * `h2` as the protocol ALPN chose (performance's nextHopProtocol). One runtime is enough: ALPN on
 * each runtime is in test/server/h2-suite.ts with curl. Skipped where no Chromium is installed.
 */
import { expect, test } from "bun:test";
import { chromium as playwright } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../bench/browser.ts";
import { certsForFile, spkiHash } from "../helpers/tls-files.ts";
import { RUNTIMES, startServer } from "../helpers/server.ts";

const chromium = findChromium();
const certs = certsForFile();

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
