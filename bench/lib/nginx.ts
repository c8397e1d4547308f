/**
 * nginx as the native C reference: `return 200 "hello"`, access log off,
 * everything (pid, logs, temp paths) in a temp dir so it runs without
 * touching /etc or /var. nginx always sends `Server: nginx` and
 * `Connection: keep-alive`; the body and Content-Type match hello-server.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function nginxConfig(dir: string, port: number, workers: number): string {
  const temp = (name: string) => join(dir, name);
  return `worker_processes ${workers};
pid ${temp("nginx.pid")};
error_log ${temp("error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  default_type "text/plain; charset=utf-8";
  keepalive_requests 1000000000;
  client_body_temp_path ${temp("client_body")};
  proxy_temp_path ${temp("proxy")};
  fastcgi_temp_path ${temp("fastcgi")};
  uwsgi_temp_path ${temp("uwsgi")};
  scgi_temp_path ${temp("scgi")};
  server {
    listen 127.0.0.1:${port} reuseport;
    location / { return 200 "hello"; }
  }
}
`;
}

/** Writes the config; returns the nginx argv (foreground, logs in dir). */
export function nginxCommand(bin: string, dir: string, port: number, workers: number): string[] {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, nginxConfig(dir, port, workers));
  return [bin, "-p", dir, "-e", join(dir, "error.log"), "-c", conf, "-g", "daemon off;"];
}
