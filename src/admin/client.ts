/**
 * `hello-server admin ready|unready|sick|state`: one request to a running server's admin
 * listener, its answer on stdout, exit 0 on a 2xx. It lives in the executable because the
 * `FROM scratch` image has no shell or curl: `kubectl exec POD -- /hello-server admin unready`.
 * node:net, not fetch, for the reason healthcheck.ts gives (fetch would follow HTTP_PROXY).
 */
import { connect } from "node:net";
import process from "node:process";
import type { AdminAction } from "../config.ts";

const TIMEOUT_MS = 3000;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

export function adminRequest(action: AdminAction, host: string, port: number): Promise<number> {
  const method = action === "state" ? "GET" : "POST";
  const target = `/${action}`;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (code: number, line: string, stream: "stdout" | "stderr"): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      (stream === "stdout" ? process.stdout : process.stderr).write(line.endsWith("\n") ? line : `${line}\n`);
      resolve(code);
    };
    const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const socket = connect({ host, port });
    const timer = setTimeout(() => finish(1, `hello-server admin: no answer from ${where} within ${TIMEOUT_MS} ms`, "stderr"), TIMEOUT_MS);
    socket.on("connect", () => {
      socket.end(`${method} ${target} HTTP/1.1\r\nHost: ${where}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    });
    socket.on("data", (b: Buffer) => chunks.push(b));
    socket.on("error", (e: Error) => finish(1, `hello-server admin: ${where}: ${e.message}`, "stderr"));
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const m = STATUS_LINE.exec(text);
      const split = text.indexOf("\r\n\r\n");
      const body = split === -1 ? "" : text.slice(split + 4);
      if (m === null) return finish(1, `hello-server admin: ${where} sent no HTTP answer`, "stderr");
      const ok = m[1]!.startsWith("2");
      finish(ok ? 0 : 1, ok ? body : `hello-server admin: ${m[1]} ${body.trim()}`, ok ? "stdout" : "stderr");
    });
  });
}
