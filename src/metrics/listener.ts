/**
 * The metrics listener (--metrics-port): the project's own socket back end and a small HTTP
 * core whose responder answers `GET /metrics` (and HEAD) with `render()`; any other path is
 * the core's prebuilt 404, another method on /metrics a 405. It runs in the supervisor (with
 * workers) or in the one serving process (--workers 1), never in a worker, so a scrape
 * reaches the whole pod's totals whichever process the kernel would have handed it to.
 */
import type { Backend } from "../adapters/types.ts";
import { DEFAULTS, type Config } from "../config.ts";
import { Method } from "../http/head.ts";
import type { Answer, Responder, RequestView } from "../http/responder.ts";
import { createHttpCore } from "../http/server.ts";
import type { RuntimeName } from "../runtime.ts";
import { CONTENT_TYPE } from "./exposition.ts";

const PATH = new TextEncoder().encode("/metrics");
const QUESTION_MARK = 0x3f;

export interface MetricsListener {
  readonly port: number;
  stop(): void;
}

async function socketBackend(runtime: RuntimeName): Promise<Backend> {
  // Imported lazily, like src/worker.ts's table: each runtime evaluates only its own adapter.
  if (runtime === "bun") return (await import("../adapters/bun.ts")).serve;
  if (runtime === "deno") return (await import("../adapters/deno.ts")).serve;
  return (await import("../adapters/node.ts")).serve;
}

function isMetricsPath(r: RequestView): boolean {
  const { buf, head } = r;
  const start = head.targetStart;
  const length = head.targetEnd - start;
  if (length < PATH.length || (length > PATH.length && buf[start + PATH.length] !== QUESTION_MARK)) return false;
  for (let i = 0; i < PATH.length; i++) if (buf[start + i] !== PATH[i]) return false;
  return true;
}

export async function startMetricsListener(
  options: { host: string; port: number; runtime: RuntimeName; warn(line: string): void },
  render: () => string,
): Promise<MetricsListener> {
  const config: Config = {
    ...DEFAULTS,
    status: 404,
    body: "not found: metrics are at /metrics\n",
    healthPath: null,
    echoPath: null,
    servedBy: false,
    metricsPort: null,
  };
  const core = createHttpCore(config);
  const encoder = new TextEncoder();
  const responder: Responder<{ method: number }> = {
    plan: (request) => (isMetricsPath(request) ? { method: request.head.method } : null),
    answer({ method }, persist, isHead): Answer {
      const get = method === Method.GET || method === Method.HEAD;
      const body = encoder.encode(get ? render() : "method not allowed: GET /metrics\n");
      const head = get
        ? core.responses.encodeAnswer(200, CONTENT_TYPE, body, persist, isHead, "Cache-Control: no-store\r\n")
        : core.responses.encodeAnswer(405, "text/plain; charset=utf-8", body, persist, isHead, "Allow: GET, HEAD\r\n");
      return { head, body: null, delayMs: 0, close: false, reset: false };
    },
  };
  core.setResponder(responder as never);
  const serve = await socketBackend(options.runtime);
  const served = await serve(
    { host: options.host, port: options.port, backlog: 64, reusePort: false, eager: true, runtime: options.runtime, tls: null, warn: options.warn },
    core,
  );
  return {
    port: served.port,
    stop() {
      served.stop();
      served.close();
      core.closeAll();
    },
  };
}
