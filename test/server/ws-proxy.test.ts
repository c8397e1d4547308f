/**
 * The WebSocket echo behind nginx with the Upgrade headers forwarded and proxy_read_timeout 2s:
 * with --ws-ping-interval 500ms the server's pings (and the client's pongs) keep the upstream
 * busy, so a connection whose client says nothing for 3 s — longer than nginx's timeout — stays
 * open and still echoes. Once per runtime × back end. Skipped, with a line saying so, where nginx is missing.
 *
 * Needs dist/hello-server.js (`npm run build`).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { findNginx } from "../differential/nginx.ts";
import { type NginxProxy, startNginxProxy, stopProxies } from "../helpers/nginx-proxy.ts";
import { assertBundle, selectedRuntimes, startServer, stopAll } from "../helpers/server.ts";
import { openSocket, WS_PATH } from "./ws-suite.ts";

const NGINX = findNginx();
if (NGINX === null) console.warn("SKIPPED test/server/ws-proxy.test.ts: nginx is not installed");
else assertBundle();

/** nginx's upstream read timeout, and how long the client stays silent: longer than it. */
const PROXY_READ_TIMEOUT_S = 2;
const SILENCE_MS = 3000;

afterAll(async () => {
  stopProxies();
  await stopAll();
});

function startProxy(upstreamPort: number): Promise<NginxProxy> {
  return startNginxProxy(NGINX!, upstreamPort, ["proxy_http_version 1.1", "proxy_set_header Upgrade $http_upgrade", 'proxy_set_header Connection "upgrade"', `proxy_read_timeout ${PROXY_READ_TIMEOUT_S}s`]);
}

describe.skipIf(NGINX === null)("WebSocket echo through nginx", () => {
  for (const runtime of selectedRuntimes()) {
    test.concurrent(`${runtime.label}: silent for ${SILENCE_MS} ms past proxy_read_timeout ${PROXY_READ_TIMEOUT_S}s, still open, still echoing`, async () => {
      const server = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--ws-ping-interval", "500ms"]);
      let proxy: NginxProxy | undefined;
      try {
        proxy = await startProxy(server.port);
        const { socket, closed, next } = await openSocket(`ws://127.0.0.1:${proxy.port}${WS_PATH}`);
        let closedEarly: number | null = null;
        void closed.then((code) => (closedEarly = code));
        socket.send("first");
        expect(await next()).toBe("first");
        // The silence is what is under test: nginx would cut an upstream quiet for its timeout.
        await new Promise((resolve) => setTimeout(resolve, SILENCE_MS));
        expect(closedEarly).toBeNull();
        socket.send("after the silence");
        expect(await next()).toBe("after the silence");
        socket.close(1000);
        expect(await closed).toBe(1000);
      } finally {
        proxy?.stop();
        await server.stop();
      }
    }, 20_000);
  }
});
