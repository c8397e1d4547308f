/**
 * `hello-server admin ready|unready|sick|state`: asks a running server's admin listener, prints its
 * answer on stdout, exit 0 on a 2xx. It lives in the executable because the `FROM scratch` image
 * has no shell or curl: `kubectl exec POD -- /hello-server admin unready`.
 *
 * With workers, the supervisor answers at once and says how many workers have yet to confirm the
 * change (`"pending": N`); the client then asks GET /state until none is left, so that when it
 * exits every worker answers in the new state (a probe right after it sees the change).
 * node:net, not fetch, for the reason healthcheck.ts gives (fetch would follow HTTP_PROXY).
 */
import { hostPort } from "../contract/address.ts";
import { connect } from "node:net";
import process from "node:process";
import type { AdminAction } from "../config.ts";

/** The whole exchange, confirmations included, must end within this. */
const TIMEOUT_MS = 3000;
/** Between two GET /state while workers confirm (they do within a loop turn, ~20 ms at most). */
const POLL_MS = 10;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})/;

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** One request on its own connection; rejects with a one-line reason. */
function ask(method: string, target: string, host: string, port: number, where: string, deadline: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${where} within ${TIMEOUT_MS} ms`));
    }, Math.max(0, deadline - Date.now()));
    socket.on("connect", () => socket.end(`${method} ${target} HTTP/1.1\r\nHost: ${where}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
    socket.on("data", (b: Buffer) => chunks.push(b));
    socket.on("error", (e: Error) => {
      clearTimeout(timer);
      reject(new Error(`${where}: ${e.message}`));
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      const m = STATUS_LINE.exec(text);
      const split = text.indexOf("\r\n\r\n");
      if (m === null) reject(new Error(`${where} sent no HTTP answer`));
      else resolve({ status: Number(m[1]), body: split === -1 ? "" : text.slice(split + 4) });
    });
  });
}

/** Workers still to confirm, from an answer's JSON (0 when absent or unreadable). */
function pending(body: string): number {
  try {
    const n = (JSON.parse(body) as { pending?: unknown }).pending;
    return typeof n === "number" ? n : 0;
  } catch {
    return 0;
  }
}

export async function adminRequest(action: AdminAction, host: string, port: number): Promise<number> {
  const where = hostPort(host, port);
  const deadline = Date.now() + TIMEOUT_MS;
  try {
    let reply = await ask(action === "state" ? "GET" : "POST", `/${action}`, host, port, where, deadline);
    if (reply.status < 200 || reply.status > 299) {
      process.stderr.write(`hello-server admin: ${reply.status} ${reply.body.trim()}\n`);
      return 1;
    }
    while (action !== "state" && pending(reply.body) > 0) {
      if (Date.now() >= deadline) throw new Error(`${pending(reply.body)} worker(s) did not confirm within ${TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, POLL_MS));
      reply = await ask("GET", "/state", host, port, where, deadline);
    }
    process.stdout.write(reply.body.endsWith("\n") ? reply.body : `${reply.body}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`hello-server admin: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
