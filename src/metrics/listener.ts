/**
 * The metrics listener (--metrics-port): the project's own socket back end and a small HTTP
 * core whose responder answers `GET /metrics` (and HEAD) with `render()`; any other path is
 * the core's prebuilt 404, another method on /metrics a 405. It runs in the supervisor (with
 * workers) or in the one serving process (--workers 1), never in a worker, so a scrape
 * reaches the whole pod's totals whichever process the kernel would have handed it to.
 */
import { startControlListener, type ControlListener } from "../control-listener.ts";
import { Method, targetPathIs } from "../http/head.ts";
import type { Answer, Responder } from "../http/responder.ts";
import type { RuntimeName } from "../runtime.ts";
import { CONTENT_TYPE } from "./exposition.ts";

const PATH = new TextEncoder().encode("/metrics");

export type MetricsListener = ControlListener;

export function startMetricsListener(
  options: { host: string; port: number; runtime: RuntimeName; warn(line: string): void },
  render: () => string,
): Promise<MetricsListener> {
  const encoder = new TextEncoder();
  return startControlListener({ ...options, notFound: "not found: metrics are at /metrics\n" }, (responses): Responder<{ method: number }> => ({
    plan: (request) => (targetPathIs(request.buf, request.head, PATH) ? { method: request.head.method } : null),
    answer({ method }, persist, isHead): Answer {
      const get = method === Method.GET || method === Method.HEAD;
      const body = encoder.encode(get ? render() : "method not allowed: GET /metrics\n");
      const head = get
        ? responses.encodeAnswer(200, CONTENT_TYPE, body, persist, isHead, "Cache-Control: no-store\r\n")
        : responses.encodeAnswer(405, "text/plain; charset=utf-8", body, persist, isHead, "Allow: GET, HEAD\r\n");
      return { head, body: null, delayMs: 0, close: false, reset: false };
    },
  }));
}
