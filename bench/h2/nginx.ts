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
import { helloConfig, type TlsFiles, writeNginxConfig } from "../lib/servers/nginx.ts";

export type H2TlsFiles = TlsFiles;

export function nginxH2Config(dir: string, port: number, body = "hello", tls: H2TlsFiles | null = null, workers = 1): string {
  const ssl = tls === null ? "" : ` ssl;
    ssl_certificate ${tls.cert};
    ssl_certificate_key ${tls.key};
    ssl_protocols TLSv1.2 TLSv1.3`;
  return helloConfig(dir, workers, 4096, `127.0.0.1:${port} http2${ssl};`, body);
}

/** Writes the config into dir; returns the nginx argv (foreground, logs in dir). */
export function nginxH2Command(bin: string, dir: string, port: number, body = "hello", tls: H2TlsFiles | null = null, workers = 1): string[] {
  return writeNginxConfig(bin, dir, "nginx-h2.conf", nginxH2Config(dir, port, body, tls, workers));
}
