/**
 * Debian's h2o (/usr/bin/h2o, 2.2) as an HTTP/2 peer answering the same
 * fields as hello-server ("hello", server: hello-server, date,
 * content-type, content-length) without mruby: `file.file` serves one
 * file holding the body, with the file handler's extra fields switched
 * off (etag) or removed (last-modified, accept-ranges). h2o speaks h2c
 * with prior knowledge on a plain port by default; with PEM files the port
 * is h2 by ALPN (http/1.1 still offered).
 *
 * h2o started as root drops to `nobody` before serving unless `user`
 * names another (it did so here with no `user` line), and `nobody` cannot
 * read a body file inside a private temp folder (mkdtemp's 0700): so as
 * root the config names root, the owner of the files. No pid file: the
 * caller holds the process.
 *
 * Usage: const argv = h2oCommand("/usr/bin/h2o", dir, port); spawn(argv[0], argv.slice(1))
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { H2TlsFiles } from "./nginx.ts";

/** A YAML double-quoted scalar. */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

export function h2oConfig(dir: string, port: number, tls: H2TlsFiles | null = null, threads = 1): string {
  const ssl = tls === null ? "" : `
  ssl:
    certificate-file: ${yamlString(tls.cert)}
    key-file: ${yamlString(tls.key)}
    minimum-version: TLSv1.2`;
  const user = process.getuid?.() === 0 ? "user: root\n" : "";
  return `${user}num-threads: ${threads}
error-log: ${yamlString(join(dir, "h2o-error.log"))}
server-name: hello-server
listen:
  host: 127.0.0.1
  port: ${port}${ssl}
file.etag: OFF
file.send-compressed: OFF
file.mime.settypes:
  "text/plain; charset=utf-8": .txt
hosts:
  default:
    paths:
      /:
        file.file: ${yamlString(join(dir, "hello.txt"))}
        header.unset: last-modified
        header.unset: accept-ranges
`;
}

/** Writes the body file and the config into dir; returns the h2o argv (foreground). */
export function h2oCommand(bin: string, dir: string, port: number, body = "hello", tls: H2TlsFiles | null = null, threads = 1): string[] {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "hello.txt"), body);
  const conf = join(dir, "h2o.conf");
  writeFileSync(conf, h2oConfig(dir, port, tls, threads));
  return [bin, "-c", conf];
}
