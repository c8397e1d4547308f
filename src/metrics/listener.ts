/**
 * The metrics listener (--metrics-port): the project's own socket back end and a small HTTP
 * core whose responder answers `GET /metrics` (and HEAD) with `render()`; any other path is
 * the core's prebuilt 404, another method on /metrics a 405. With a `ScrapeRefresh` (the
 * supervisor) a scrape first asks every worker for its counters and waits for the answers,
 * SCRAPE_WAIT_MS at most. It runs in the supervisor (with
 * workers) or in the one serving process (--workers 1), never in a worker, so a scrape
 * reaches the whole pod's totals whichever process the kernel would have handed it to.
 */
import type { Reply, Responder } from "../contract/exchange.ts";
import type { RuntimeName } from "../contract/runtime.ts";
import { controlReply, pathOf, startControlListener, type ControlListener } from "../control-listener.ts";
import { CONTENT_TYPE } from "./exposition.ts";

export type MetricsListener = ControlListener;

/** The supervisor's side of a scrape: ask every worker for its counters now, and say when all have answered. */
export interface ScrapeRefresh {
  /** Sends the request; returns its number for {@link isAnswered}. */
  ask(): number;
  isAnswered(seq: number): boolean;
}

/** How long a scrape waits for the workers' answers before it serves what it has (the age gauge says how old). */
export const SCRAPE_WAIT_MS = 100;
/** How often a waiting scrape looks again: a worker's answer is one pipe round trip, well under a millisecond when idle. */
const SCRAPE_POLL_MS = 1;

interface Scrape {
  readonly method: string;
  /** The refresh asked for, 0 = none; and when (performance.now()). */
  readonly seq: number;
  readonly askedAt: number;
}

/** What a waiting scrape's deferred answer carries (re-asked when due: only its delay counts). */
const WAITING: Reply = controlReply(200, CONTENT_TYPE, "");

export function startMetricsListener(
  options: { host: string; port: number; runtime: RuntimeName; warn(line: string): void },
  render: () => string,
  refresh: ScrapeRefresh | null = null,
): Promise<MetricsListener> {
  const responder: Responder<Scrape> = {
    plan(request) {
      if (pathOf(request) !== "/metrics") return null;
      const { method } = request;
      const reads = refresh !== null && (method === "GET" || method === "HEAD");
      return { method, seq: reads ? refresh.ask() : 0, askedAt: performance.now() };
    },
    answer({ method, seq, askedAt }): Reply {
      if (method !== "GET" && method !== "HEAD") return controlReply(405, "text/plain; charset=utf-8", "method not allowed: GET /metrics\n", [["Allow", "GET, HEAD"]]);
      // Held (the core re-asks when due) until every worker answered or SCRAPE_WAIT_MS passed.
      const waited = performance.now() - askedAt;
      if (seq !== 0 && waited < SCRAPE_WAIT_MS && !refresh!.isAnswered(seq)) return { ...WAITING, delayMs: Math.min(SCRAPE_WAIT_MS, waited + SCRAPE_POLL_MS) };
      return controlReply(200, CONTENT_TYPE, render());
    },
  };
  return startControlListener({ ...options, notFound: "not found: metrics are at /metrics\n" }, responder);
}
