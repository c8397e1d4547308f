/**
 * The WebSocket echo behind nginx with the Upgrade headers forwarded and proxy_read_timeout 2s:
 * with --ws-ping-interval 500ms the server's pings (and the client's pongs) keep the upstream
 * busy, so a connection whose client says nothing for 3 s — longer than nginx's timeout — stays
 * open and still echoes. Once per runtime × back end. Skipped, with a line saying so, where nginx is missing.
 *
 * Needs dist/hello-server.js (`npm run build`).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findNginx } from "../differential/nginx.ts";
import { assertBundle, selectedRuntimes, startServer, stopAll, waitForPort } from "../helpers/server.ts";
import { openSocket, WS_PATH } from "./ws-suite.ts";

const NGINX = findNginx();
if (NGINX === null) console.warn("SKIPPED test/server/ws-proxy.test.ts: nginx is not installed");
else assertBundle();

/** nginx's upstream read timeout, and how long the client stays silent: longer than it. */
const PROXY_READ_TIMEOUT_S = 2;
const SILENCE_MS = 3000;

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
  const dir = mkdtempSync(join(tmpdir(), "hello-ws-nginx-"));
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
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout ${PROXY_READ_TIMEOUT_S}s;
    }
  }
}
`,
  );
  // Its own process group, stopped whole: a worker left behind would keep the port for good.
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
  cleanups.push(stop);
  await waitForPort(port, 5000);
  return { port, stop };
}

describe.skipIf(NGINX === null)("WebSocket echo through nginx", () => {
  for (const runtime of selectedRuntimes()) {
    test.concurrent(`${runtime.label}: silent for ${SILENCE_MS} ms past proxy_read_timeout ${PROXY_READ_TIMEOUT_S}s, still open, still echoing`, async () => {
      const server = await startServer(runtime, ["--ws-echo-path", WS_PATH, "--ws-ping-interval", "500ms"]);
      let proxy: { port: number; stop(): void } | undefined;
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
