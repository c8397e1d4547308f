/**
 * What one open-loop run reports, and whether it counts. A run that could
 * not hold its rate, or whose generator sent late, measured the generator
 * or an overload, not the server's latency at that rate: it is invalid,
 * and so is a run with errors, non-2xx answers or wrong bodies. Pure
 * (test/bench/openloop-validity.test.ts).
 *
 * Usage: const r = parseOpenLoopOutput(stdout); r.valid ? r.latencyUs.p99 : r.invalidReasons
 */
import type { Arrivals } from "./schedule.ts";
import type { Percentiles } from "./histogram.ts";

export interface OpenLoopErrors {
  /** socket() or connect() failed, or the connection was refused or reset while connecting. */
  connect: number;
  /** The server closed or reset a connection with an answer outstanding (after one retry on a fresh connection). */
  read: number;
  write: number;
  /** Answers with a status outside 2xx. */
  status: number;
  /** Requests still unanswered when the drain time after the run ran out. */
  timeout: number;
}

export interface OpenLoopResult {
  url: string;
  mode: "keepalive" | "close";
  arrivals: Arrivals;
  connections: number;
  targetRate: number;
  durationS: number;
  /** Requests on the schedule's window (rate × duration for constant arrivals); the warm-up before it is not counted here, nor in sent and answered. */
  scheduled: number;
  sent: number;
  /** Sent before the schedule's window closed: achievedRate = sentInWindow / durationS. */
  sentInWindow: number;
  answered: number;
  achievedRate: number;
  /** Scheduled requests never sent (all connections stayed busy until the drain time ran out). */
  unsent: number;
  errors: OpenLoopErrors;
  /** Answers whose status, framing and body were checked (all of them, warm-up included), and the wrong ones. */
  checked: number;
  bad: number;
  /** Times a due request found every connection busy and waited for one (the wait counts as latency). */
  waitedForConnection: number;
  /** Requests resent once on a fresh connection after the server closed an idle one under them. */
  retried: number;
  /** Keep-alive connections replaced because an answer said `Connection: close`. */
  reconnects: number;
  /** Scheduled send time to the last byte of the answer. */
  latencyUs: Percentiles;
  /**
   * The generator's own error: actual send time minus when the request could
   * first have left (its scheduled time, or later when it waited for a free
   * connection, which is the server's doing and counts as latency instead).
   */
  latenessUs: Percentiles;
  /** The bound on the send lateness this run was judged against (µs), at the percentile its rule names. */
  maxLatenessP99Us: number;
  /** Which lateness percentile the bound applies to (LATENESS_RULES); absent in results from before the rule existed: strict. */
  latenessRule?: LatenessRule;
  /** Latency percentile spectrum: [percentile, µs]. */
  spectrum: Array<[number, number]>;
  /** HdrHistogram compressed base64 (µs). */
  histograms: { latency: string; lateness: string };
  /** The generator's own CPU time over the run and the run's wall time (µs). */
  generatorCpuUs: number;
  wallUs: number;
  valid: boolean;
  invalidReasons: string[];
}

/**
 * Bound on the generator's send-lateness p99, µs. Latency counts from the
 * scheduled time, so the generator's lateness is added to the latency it
 * reports and blamed on the server. 200 µs is the accuracy the generator
 * must prove anyway against a server answering after exactly D ms (p50
 * within D + 0.2 ms, bench/openloop/validate.ts): with 99% of its sends
 * within it, its own error adds at most that to 99% of the latencies (p99.9
 * and max can still carry the last 1%, which is why the lateness
 * distribution is reported next to them). A healthy
 * pinned generator is late by single-digit µs at the median; one that is
 * preempted (on this project's shared VM even a pinned C spin loop loses
 * its CPU for 2–7 ms several times a second, measured 2026-12-02) or
 * saturated (a rate above what one core can send) is late by milliseconds
 * and fails the bound plainly. --max-lateness-us changes it.
 */
export const MAX_LATENESS_P99_US = 200;

/**
 * Which send-lateness percentile must stay within the bound. Latency counts
 * from the scheduled send, so lateness is never hidden: it is inside every
 * latency figure, and the report prints its p99 beside the latency's. The
 * rule only decides whether the schedule was held at all.
 * - held (the default): the p90. A VM that preempts the generator's vCPU
 *   for 2–7 ms a few times a second (this project's CI VM, and most cloud
 *   VMs: measured 2026-12-02, even for a pinned C spin loop) delays the 1–3%
 *   of sends inside those pauses, so the p99 of every run there is in
 *   milliseconds (1.8–2.8 ms measured at 5,000–50,000 req/s) although the
 *   schedule is kept; the p90 stays in µs. A generator that cannot keep up
 *   (saturated, or sharing its CPU) is late on most sends and fails the p90
 *   at once, and one that falls behind also fails the 99%-achieved rule.
 * - strict: the p99, the generator's proof bound (validate.ts), for quiet
 *   bare-metal machines where the 1% tail must be the server's too.
 */
export const LATENESS_RULES = { held: 90, strict: 99 } as const;
export type LatenessRule = keyof typeof LATENESS_RULES;

/** The lateness percentile (µs) the run's rule bounds. */
export function ruledLateness(r: Pick<OpenLoopResult, "latenessUs" | "latenessRule">): { percentile: number; us: number } {
  const percentile = LATENESS_RULES[r.latenessRule ?? "strict"];
  return { percentile, us: percentile === 90 ? r.latenessUs.p90 : r.latenessUs.p99 };
}

/** Below this share of the scheduled requests sent within the window, the rate was not held. */
export const MIN_ACHIEVED_SHARE = 0.99;

/** Everything that makes a run not count, in words; empty = valid. */
export function invalidReasons(r: Omit<OpenLoopResult, "valid" | "invalidReasons">): string[] {
  const reasons: string[] = [];
  const e = r.errors;
  if (r.answered === 0) reasons.push("no responses");
  if (r.scheduled > 0 && r.sentInWindow < MIN_ACHIEVED_SHARE * r.scheduled) {
    const share = ((100 * r.sentInWindow) / r.scheduled).toFixed(1);
    const why = r.waitedForConnection > 0
      ? `every one of the ${r.connections} connections was busy ${r.waitedForConnection} times: the server did not keep up (or too few --connections)`
      : "the generator fell behind its schedule";
    reasons.push(`achieved ${Math.round(r.achievedRate)} req/s of ${r.targetRate} (${share}% of the schedule sent in time): ${why}`);
  }
  const late = ruledLateness(r);
  if (r.latenessUs.count > 0 && late.us > r.maxLatenessP99Us) {
    reasons.push(`send lateness p${late.percentile} ${Math.round(late.us)} µs > ${r.maxLatenessP99Us} µs: the generator could not hold its schedule`);
  }
  if (e.connect > 0) reasons.push(`${e.connect} connect errors`);
  if (e.read > 0) reasons.push(`${e.read} read errors`);
  if (e.write > 0) reasons.push(`${e.write} write errors`);
  if (e.status > 0) reasons.push(`${e.status} non-2xx responses`);
  if (e.timeout > 0) reasons.push(`${e.timeout} timeouts (unanswered when the drain time ran out)`);
  if (r.bad > 0) reasons.push(`${r.bad} wrong responses of ${r.checked} checked`);
  if (r.unsent > 0) reasons.push(`${r.unsent} scheduled requests never sent`);
  if (r.answered !== r.scheduled && reasons.length === 0) reasons.push(`answered ${r.answered} of ${r.scheduled} scheduled`);
  return reasons;
}

/** The line the generator prints on stdout; compare.ts and validate.ts read it. */
export const RESULT_MARK = "OPENLOOP_RESULT ";

export function parseOpenLoopOutput(stdout: string): OpenLoopResult {
  const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARK));
  if (line === undefined) throw new Error(`no ${RESULT_MARK.trim()} line in the generator's output`);
  return JSON.parse(line.slice(RESULT_MARK.length), (_k, v) => (v === null ? NaN : v)) as OpenLoopResult;
}
