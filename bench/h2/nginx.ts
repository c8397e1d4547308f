/**
 * nginx as an HTTP/2 peer: `return 200 "hello"` on a port that speaks
 * h2c with prior knowledge only (`listen … http2` without `ssl`: nginx
 * then expects the preface and answers HTTP/1.1 with a GOAWAY), or, with
 * PEM files, h2 by ALPN on `listen … ssl http2`. nginx 1.22's syntax
 * (Debian 12); 1.25 moved it to `http2 on;` and still reads this with a
 * warning. Everything nginx writes (pid, logs, temp paths) stays in `dir`.
 * nginx always sends `server: nginx`; body and content-type match
 * hello-server.
 *
 * Usage: const argv = nginxH2Command("/usr/sbin/nginx", dir, port); spawn(argv[0], argv.slice(1))
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface H2TlsFiles {
  readonly cert: string;
  readonly key: string;
}

export function nginxH2Config(dir: string, port: number, body = "hello", tls: H2TlsFiles | null = null, workers = 1): string {
  // nginx expands $variables in return's text, and the body is written into a quoted string.
  if (/[$"\\]/.test(body)) throw new Error("nginx: a body with $, \" or \\ is not supported");
  const temp = (name: string) => join(dir, name);
  const ssl = tls === null ? "" : ` ssl;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    ssl_protocols TLSv1.2 TLSv1.3`;
  return `worker_processes ${workers};
pid ${temp("nginx.pid")};
error_log ${temp("error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  default_type "text/plain; charset=utf-8";
  # One connection carries every stream of a run: nginx's default closes it after 1000 requests.
  keepalive_requests 1000000000;
  client_body_temp_path ${temp("client_body")};
  proxy_temp_path ${temp("proxy")};
  fastcgi_temp_path ${temp("fastcgi")};
  uwsgi_temp_path ${temp("uwsgi")};
  scgi_temp_path ${temp("scgi")};
  server {
    listen 127.0.0.1:${port} http2${ssl};
    location / { return 200 "${body}"; }
  }
}
`;
}

/** Writes the config into dir; returns the nginx argv (foreground, logs in dir). */
export function nginxH2Command(bin: string, dir: string, port: number, body = "hello", tls: H2TlsFiles | null = null, workers = 1): string[] {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, "nginx-h2.conf");
  writeFileSync(conf, nginxH2Config(dir, port, body, tls, workers));
  return [bin, "-p", dir, "-e", join(dir, "error.log"), "-c", conf, "-g", "daemon off;"];
}
