/**
 * Echo behind a real reverse proxy (Debian's nginx, as CI installs it): nginx connects to
 * hello-server from 127.0.0.2 (proxy_bind) on behalf of a client on 127.0.0.3, and adds
 * X-Forwarded-For and X-Real-IP. Echo must show what nginx sent: the forwarded fields in
 * nginx's order and spelling, and nginx's own address as the client's. Once per runtime ×
 * back end. Skipped, with a line saying so, where nginx is missing.
 *
 * Needs dist/hello-server.js (`npm run build`).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { findNginx } from "../differential/nginx.ts";
import { type NginxProxy, startNginxProxy, stopProxies } from "../helpers/nginx-proxy.ts";
import { bodyText, parseAllResponses } from "../helpers/http-parse.ts";
import { assertBundle, selectedRuntimes, startServer, stopAll } from "../helpers/server.ts";

const NGINX = findNginx();
if (NGINX === null) console.warn("SKIPPED test/server/echo-proxy.test.ts: nginx is not installed");
else assertBundle();

/** The proxy's side towards hello-server, and the client's side towards the proxy: both loopback, both not 127.0.0.1. */
const PROXY_SOURCE = "127.0.0.2";
const CLIENT_SOURCE = "127.0.0.3";

afterAll(async () => {
  stopProxies();
  await stopAll();
});

function startProxy(upstreamPort: number): Promise<NginxProxy> {
  return startNginxProxy(NGINX!, upstreamPort, ["proxy_http_version 1.1", `proxy_bind ${PROXY_SOURCE}`, "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for", "proxy_set_header X-Real-IP $remote_addr"]);
}

/** One request from CLIENT_SOURCE; the answer once the proxy closes (Connection: close). */
function viaProxy(port: number, request: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ port, host: "127.0.0.1", localAddress: CLIENT_SOURCE });
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    s.on("error", reject);
    s.write(request);
  });
}

describe.skipIf(NGINX === null)("echo through nginx (reverse proxy)", () => {
  for (const runtime of selectedRuntimes()) {
    test.concurrent(`${runtime.label}: the forwarded fields and nginx's address, as nginx sent them`, async () => {
      const server = await startServer(runtime, ["--echo-path", "/echo"]);
      let proxy: NginxProxy | undefined;
      try {
        proxy = await startProxy(server.port);
        const bytes = await viaProxy(proxy.port, "GET /echo?via=nginx HTTP/1.1\r\nHost: app.test\r\nX-Forwarded-For: 203.0.113.7\r\nX-Client: kept\r\nConnection: close\r\n\r\n");
        const [r] = parseAllResponses(bytes);
        expect(r!.status).toBe(200);
        const echo = JSON.parse(bodyText(r!));
        const headers = new Map<string, string>(echo.headers);
        // nginx appends the address it saw to what the client sent (RFC 7239's predecessor, de facto).
        expect(headers.get("X-Forwarded-For")).toBe(`203.0.113.7, ${CLIENT_SOURCE}`);
        expect(headers.get("X-Real-IP")).toBe(CLIENT_SOURCE);
        expect(headers.get("X-Client")).toBe("kept");
        // proxy_http_version 1.1 and nginx's own Connection: close towards the upstream.
        expect(echo.version).toBe("HTTP/1.1");
        expect(headers.get("Connection")).toBe("close");
        expect(echo.target).toBe("/echo?via=nginx");
        // The connection hello-server accepted is nginx's, from the address nginx bound.
        expect(echo.client.address).toBe(PROXY_SOURCE);
        expect(echo.local).toEqual({ address: "127.0.0.1", port: server.port });
      } finally {
        proxy?.stop();
        await server.stop();
      }
    });
  }
});
