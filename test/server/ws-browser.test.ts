/**
 * Headless Chromium (Debian's, driven by playwright-core) opens ws:// and wss:// from a page the
 * server itself served, and echoes a text and a binary message through the browser's own
 * WebSocket. One runtime on the socket back end (the one with TLS). The test certificate is
 * trusted by its public key's hash, as in test/tls/browser.test.ts. Skipped where no Chromium is installed.
 */
import { expect, test } from "bun:test";
import { chromium as playwright, type Page } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../bench/browser.ts";
import { certsForFile, spkiHash } from "../helpers/tls-files.ts";
import { assertBundle, RUNTIMES, startServer } from "../helpers/server.ts";
import { WS_PATH } from "./ws-suite.ts";

const chromium = findChromium();
if (chromium === undefined) console.warn("SKIPPED test/server/ws-browser.test.ts: no Chromium installed");
else assertBundle();

const certs = certsForFile();

/** In the page: open `url`, send a text and 256 bytes, and report what came back and how it closed. */
function echoInPage(page: Page, url: string): Promise<{ text: string; binary: number[]; closeCode: number }> {
  return page.evaluate(
    (u) =>
      new Promise<{ text: string; binary: number[]; closeCode: number }>((resolve, reject) => {
        const ws = new WebSocket(u);
        ws.binaryType = "arraybuffer";
        const got: Array<string | ArrayBuffer> = [];
        const timer = setTimeout(() => reject(new Error("no echo within 10 s")), 10_000);
        ws.onerror = () => reject(new Error("WebSocket error"));
        ws.onopen = () => {
          ws.send("héllo from the page");
          ws.send(Uint8Array.from({ length: 256 }, (_, i) => i));
        };
        ws.onmessage = (e) => {
          got.push(e.data as string | ArrayBuffer);
          if (got.length === 2) ws.close(1000);
        };
        ws.onclose = (e) => {
          clearTimeout(timer);
          resolve({ text: got[0] as string, binary: Array.from(new Uint8Array(got[1] as ArrayBuffer)), closeCode: e.code });
        };
      }),
    url,
  );
}

test.skipIf(chromium === undefined)("Chromium echoes a text and a binary message over ws:// and wss://", async () => {
  const runtime = RUNTIMES.find((r) => r.label === "bun")!;
  const browser = await playwright.launch({
    executablePath: chromium,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spkiHash(certs.cert)}`],
    timeout: 30_000,
  });
  const plain = await startServer(runtime, ["--ws-echo-path", WS_PATH]);
  const tls = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--tls-cert", certs.cert, "--tls-key", certs.key]);
  const expected = { text: "héllo from the page", binary: Array.from({ length: 256 }, (_, i) => i), closeCode: 1000 };
  try {
    const page = await browser.newPage();
    // The page comes from the server itself, so the socket is same-origin, as a real app's would be.
    await page.goto(`http://localhost:${plain.port}/`);
    expect(await echoInPage(page, `ws://localhost:${plain.port}${WS_PATH}`)).toEqual(expected);
    await page.goto(`https://localhost:${tls.port}/`);
    expect(await echoInPage(page, `wss://localhost:${tls.port}${WS_PATH}`)).toEqual(expected);
    await page.close();
  } finally {
    await browser.close();
    await plain.stop();
    await tls.stop();
  }
}, 90_000);
