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
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findNginx } from "../differential/nginx.ts";
import { bodyText, parseAllResponses } from "../helpers/http-parse.ts";
import { assertBundle, selectedRuntimes, startServer, stopAll, waitForPort } from "../helpers/server.ts";

const NGINX = findNginx();
if (NGINX === null) console.warn("SKIPPED test/server/echo-proxy.test.ts: nginx is not installed");
else assertBundle();

/** The proxy's side towards hello-server, and the client's side towards the proxy: both loopback, both not 127.0.0.1. */
const PROXY_SOURCE = "127.0.0.2";
const CLIENT_SOURCE = "127.0.0.3";

const cleanups: Array<() => void> = [];
afterAll(async () => {
  for (const c of cleanups) c();
  await stopAll();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startProxy(upstreamPort: number): Promise<{ port: number; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "hello-echo-nginx-"));
  const port = await freePort();
  for (const d of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, d));
  writeFileSync(
    join(dir, "nginx.conf"),
    `worker_processes 1;
pid ${dir}/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_bind ${PROXY_SOURCE};
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Real-IP $remote_addr;
    }
  }
}
`,
  );
  // A process group of its own: a SIGKILL to the master alone would leave its worker listening on
  // 127.0.0.1 (orphaned, for good), where a later test's server could be given the same port.
  const child: ChildProcess = spawn(NGINX!, ["-p", dir, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: "ignore", detached: true });
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Stopped by its test; this is for a test that failed before it could.
  cleanups.push(stop);
  await waitForPort(port, 5000);
  return { port, stop };
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
      let proxy: { port: number; stop(): void } | undefined;
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
