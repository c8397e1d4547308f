/**
 * The metrics listener (--metrics-port): the project's own socket back end and a small HTTP
 * core whose responder answers `GET /metrics` (and HEAD) with `render()`; any other path is
 * the core's prebuilt 404, another method on /metrics a 405. It runs in the supervisor (with
 * workers) or in the one serving process (--workers 1), never in a worker, so a scrape
 * reaches the whole pod's totals whichever process the kernel would have handed it to.
 */
import type { Reply, Responder } from "../contract/exchange.ts";
import type { RuntimeName } from "../contract/runtime.ts";
import { controlReply, pathOf, startControlListener, type ControlListener } from "../control-listener.ts";
import { CONTENT_TYPE } from "./exposition.ts";

export type MetricsListener = ControlListener;

export function startMetricsListener(
  options: { host: string; port: number; runtime: RuntimeName; warn(line: string): void },
  render: () => string,
): Promise<MetricsListener> {
  const responder: Responder<{ method: string }> = {
    plan: (request) => (pathOf(request) === "/metrics" ? { method: request.method } : null),
    answer({ method }): Reply {
      if (method === "GET" || method === "HEAD") return controlReply(200, CONTENT_TYPE, render());
      return controlReply(405, "text/plain; charset=utf-8", "method not allowed: GET /metrics\n", [["Allow", "GET, HEAD"]]);
    },
  };
  return startControlListener({ ...options, notFound: "not found: metrics are at /metrics\n" }, responder);
}
