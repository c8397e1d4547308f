/**
 * A real reverse proxy for the tests that put hello-server behind one (Debian's nginx, as CI
 * installs it): its own temporary prefix, one server block on a free loopback port whose
 * `location /` holds the directives the test names, run in the foreground in a process group of
 * its own. The group is what is stopped: a SIGKILL to the master alone would leave its worker
 * listening on 127.0.0.1, orphaned for good, where a later test's server could be given the port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../bench/lib/servers/host.ts";
import { waitForPort } from "./server.ts";

export interface NginxProxy {
  readonly port: number;
  /** Idempotent. */
  stop(): void;
}

const running = new Set<NginxProxy>();

/** Stops every proxy still running: for a file's afterAll, after a test that failed before it stopped its own. */
export function stopProxies(): void {
  for (const proxy of running) proxy.stop();
}

/** nginx (binary `nginx`) proxying to 127.0.0.1:`upstreamPort` with `directives` inside `location /`. */
export async function startNginxProxy(nginx: string, upstreamPort: number, directives: string[]): Promise<NginxProxy> {
  const dir = mkdtempSync(join(tmpdir(), "hello-nginx-proxy-"));
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
${directives.map((d) => `      ${d};\n`).join("")}    }
  }
}
`,
  );
  const child: ChildProcess = spawn(nginx, ["-p", dir, "-e", join(dir, "error.log"), "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: "ignore", detached: true });
  let stopped = false;
  const proxy: NginxProxy = {
    port,
    stop() {
      if (stopped) return;
      stopped = true;
      running.delete(proxy);
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(proxy);
  await waitForPort(port, 5000);
  return proxy;
}
