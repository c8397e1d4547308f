/**
 * nginx as the native C reference: `return 200 "hello"`, access log off,
 * everything (pid, logs, temp paths) in a temp dir so it runs without
 * touching /etc or /var. nginx always sends `Server: nginx` and
 * `Connection: keep-alive`; the body and Content-Type match hello-server.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** An nginx string literal: quotes and backslashes escaped. */
function nginxString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * `connections`: the most a run opens. worker_connections is sized to it
 * (at least nginx's usual 4096) rather than fixed high, because nginx
 * allocates every slot up front and that would show in its peak RSS; twice
 * it, because a run starts while the previous run's connections are still
 * closing: with connections + 64, every 4,096-connection run got 448–1,312
 * read errors from nginx alone, with 2 × connections + 64 none (one run
 * each, keep-alive and pipelined, 2026-12-01).
 */
export function nginxConfig(dir: string, port: number, workers: number, body = "hello", connections = 0, tls: TlsFiles | null = null): string {
  const listen = `127.0.0.1:${port} reuseport${tls ? " ssl" : ""};${tls ? sslLines(tls) : ""}`;
  return helloConfig(dir, workers, Math.max(4096, 2 * connections + 64), listen, body);
}

/**
 * The whole configuration of an nginx that answers `return 200 body` on one `server`, shared by
 * the HTTP/1.1 reference and the HTTP/2 peer (bench/h2/nginx.ts): `listen` is the rest of the
 * listen directive with its semicolon (and the ssl lines after it). keepalive_requests is
 * unbounded because one connection carries a whole run (nginx's default closes it after 1000
 * requests, or 1000 streams on HTTP/2).
 */
export function helloConfig(dir: string, workers: number, workerConnections: number, listen: string, body: string): string {
  if (body.includes("$")) throw new Error("nginx: --body with $ is not supported (nginx expands variables)");
  const temp = (name: string) => join(dir, name);
  return `worker_processes ${workers};
pid ${temp("nginx.pid")};
error_log ${temp("error.log")} warn;
events { worker_connections ${workerConnections}; }
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
    listen ${listen}
    location / { return 200 ${nginxString(body)}; }
  }
}
`;
}

/** PEM files for compare's TLS scenarios. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/**
 * nginx `ssl` with the protocols and ciphers hello-server serves (src/tls/profile.ts, Mozilla
 * intermediate) and nginx's defaults otherwise: no shared session cache (wrk does not resume sessions).
 */
function sslLines(tls: TlsFiles): string {
  return `
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;`;
}

/** Writes the config; returns the nginx argv (foreground, logs in dir). */
export function nginxCommand(bin: string, dir: string, port: number, workers: number, body = "hello", connections = 0, tls: TlsFiles | null = null): string[] {
  return writeNginxConfig(bin, dir, "nginx.conf", nginxConfig(dir, port, workers, body, connections, tls));
}

/** Writes `config` as dir/`name`; returns the nginx argv that runs it (foreground, logs in dir). */
export function writeNginxConfig(bin: string, dir: string, name: string, config: string): string[] {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, name);
  writeFileSync(conf, config);
  return [bin, "-p", dir, "-e", join(dir, "error.log"), "-c", conf, "-g", "daemon off;"];
}
