/**
 * h2load's summary (nghttp2 1.52, Debian's nghttp2-client) as numbers,
 * and whether a run counts. Pure.
 *
 * The lines read (everything else is ignored):
 *   Application protocol: h2c
 *   finished in 5.00s, 123456.00 req/s, 4.50MB/s
 *   requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout
 *   status codes: N 2xx, N 3xx, N 4xx, N 5xx
 *
 * Usage: const counts = parseH2loadOutput(stdout); h2loadProblems(counts, "h2c") // [] = valid
 */

export interface H2loadCounts {
  /** ALPN or h2c as h2load reports it ("h2", "h2c", "http/1.1"), or "" when no connection got that far. */
  protocol: string;
  /** Requests per second of the main duration, as h2load computes it. */
  requestsPerS: number;
  total: number;
  started: number;
  done: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  status: { "2xx": number; "3xx": number; "4xx": number; "5xx": number };
}

const REQUESTS = /^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m;
const STATUS = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m;
const FINISHED = /^finished in [\d.]+\w+, ([\d.]+) req\/s/m;
const PROTOCOL = /^Application protocol: (\S+)/m;

/** Throws when the summary lines are missing (h2load refused its flags, or died). */
export function parseH2loadOutput(stdout: string): H2loadCounts {
  const r = REQUESTS.exec(stdout);
  const s = STATUS.exec(stdout);
  const f = FINISHED.exec(stdout);
  if (!r || !s || !f) throw new Error(`no h2load summary in its output: ${stdout.trim().slice(0, 300)}`);
  const n = (m: RegExpExecArray, i: number) => Number(m[i]);
  return {
    protocol: PROTOCOL.exec(stdout)?.[1] ?? "",
    requestsPerS: Number(f[1]),
    total: n(r, 1), started: n(r, 2), done: n(r, 3), succeeded: n(r, 4), failed: n(r, 5), errored: n(r, 6), timeout: n(r, 7),
    status: { "2xx": n(s, 1), "3xx": n(s, 2), "4xx": n(s, 3), "5xx": n(s, 4) },
  };
}

/**
 * Why a run does not count; empty = valid. Only 2xx answers are counted
 * as served, so any other status, failure, error or timeout, and a
 * protocol other than the one asked for (a server that fell back to
 * HTTP/1.1 was not measured on HTTP/2), make it invalid.
 */
export function h2loadProblems(c: H2loadCounts, protocol: "h2" | "h2c"): string[] {
  const out: string[] = [];
  if (c.protocol !== protocol) out.push(`protocol ${c.protocol || "none"} instead of ${protocol}`);
  if (c.done === 0) out.push("no request done");
  if (c.failed > 0) out.push(`${c.failed} failed`);
  if (c.errored > 0) out.push(`${c.errored} errored`);
  if (c.timeout > 0) out.push(`${c.timeout} timed out`);
  const other = c.status["3xx"] + c.status["4xx"] + c.status["5xx"];
  if (other > 0) out.push(`${other} answers not 2xx`);
  // Every done request has a status class; fewer means answers h2load could not classify. More is
  // normal in a timed run: a stream whose fields arrived before the stop but not its end is counted
  // in its class and not as done (seen with nginx and h2o, nghttp2 1.52).
  if (c.status["2xx"] + other < c.done) out.push(`${c.done} done but ${c.status["2xx"] + other} with a status`);
  return out;
}
