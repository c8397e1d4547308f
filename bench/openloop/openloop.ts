/**
 * Open-loop (fixed-rate) HTTP/1.1 load generator without coordinated
 * omission: requests leave on a schedule fixed before the run, latency
 * counts from each request's *scheduled* send time to the last byte of its
 * answer, in an HdrHistogram. Reports sent/answered, achieved vs target
 * rate, its own send lateness as a distribution, and whether the run is
 * valid (bench/openloop/result.ts). Runs on Bun (epoll over bun:ffi).
 *
 * Usage: flock /tmp/hello-bench.lock taskset -c 1 bun bench/openloop/openloop.ts \
 *          --url http://127.0.0.1:8000/ --rate 10000 [--duration 10] [--connections 64]
 *          [--close] [--poisson] [--seed 1] [--body hello] [--drain 5] [--warmup 0.5] [--spin]
 *          [--max-lateness-us 200] [--json]
 * Prints a summary on stderr and one `OPENLOOP_RESULT {json}` line on
 * stdout (histograms included); --json prints only that line. Exit 0 even
 * for an invalid run (the result says why); 1 when it could not run.
 */
import { parseArgs } from "node:util";
import { DEFAULTS, runOpenLoop, type OpenLoopOptions } from "./client.ts";
import { RESULT_MARK, ruledLateness, type OpenLoopResult } from "./result.ts";

export const USAGE = `Usage: bun bench/openloop/openloop.ts --url URL --rate N [options]
  --rate N             requests per second (required)
  --duration S         seconds of schedule (default ${DEFAULTS.durationS})
  --connections N      connections, one request at a time each (default ${DEFAULTS.connections})
  --close              one request per connection (Connection: close)
  --poisson            Poisson arrivals (exponential gaps) instead of evenly spaced
  --seed N             seed of the Poisson gaps (default ${DEFAULTS.seed})
  --body TEXT          expected body of every answer (default ${DEFAULTS.body})
  --drain S            seconds after the run to send the backlog and await answers (default ${DEFAULTS.drainS})
  --warmup S           seconds of schedule before the measured window, not recorded (default ${DEFAULTS.warmupS})
  --spin               never block in epoll_wait (holds the schedule tighter; one core at 100%)
  --max-lateness-us N  bound on the send lateness of a valid run (default ${DEFAULTS.maxLatenessP99Us}), at its p90
                       (a VM's preemptions pass, a generator that cannot keep up fails)
  --strict-lateness    the bound at the p99 instead (quiet bare-metal machines)
  --share I/N          send requests I, I+N, I+2N, … of the schedule (one of N processes; --rate stays the total)
  --start-at MS        start the schedule at this wall-clock time (ms since the epoch), shared by the N processes
  --json               only the OPENLOOP_RESULT line
`;

export function parseOpenLoopArgs(argv: string[]): { options: OpenLoopOptions; json: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: "string" }, rate: { type: "string" }, duration: { type: "string" }, connections: { type: "string" },
      close: { type: "boolean" }, poisson: { type: "boolean" }, seed: { type: "string" }, body: { type: "string" },
      drain: { type: "string" }, warmup: { type: "string" }, spin: { type: "boolean" }, "max-lateness-us": { type: "string" }, "strict-lateness": { type: "boolean" }, share: { type: "string" }, "start-at": { type: "string" }, json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) throw new UsageRequest();
  const num = (name: string, v: string | undefined, fallback: number, integer = false) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a positive ${integer ? "integer" : "number"}, got ${v}`);
    return n;
  };
  if (!values.url) throw new Error("--url is required");
  if (values.rate === undefined) throw new Error("--rate is required");
  return {
    json: values.json === true,
    options: {
      url: values.url,
      rate: num("rate", values.rate, 0),
      durationS: num("duration", values.duration, DEFAULTS.durationS),
      connections: num("connections", values.connections, DEFAULTS.connections, true),
      close: values.close === true,
      arrivals: values.poisson ? "poisson" : "constant",
      seed: num("seed", values.seed, DEFAULTS.seed, true),
      body: values.body ?? DEFAULTS.body,
      drainS: num("drain", values.drain, DEFAULTS.drainS),
      warmupS: values.warmup === "0" ? 0 : num("warmup", values.warmup, DEFAULTS.warmupS),
      spin: values.spin === true,
      maxLatenessP99Us: num("max-lateness-us", values["max-lateness-us"], DEFAULTS.maxLatenessP99Us),
      latenessRule: values["strict-lateness"] === true ? "strict" : "held",
      share: values.share === undefined ? undefined : parseShare(values.share),
      startAtEpochMs: values["start-at"] === undefined ? undefined : num("start-at", values["start-at"], 0),
    },
  };
}

class UsageRequest extends Error {}

/** "I/N" with 0 ≤ I < N. */
function parseShare(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]), count = Number(m?.[2]);
  if (!m || count < 1 || index >= count) throw new Error(`--share wants I/N with 0 <= I < N, got ${v}`);
  return { index, count };
}

const ms = (us: number) => (Number.isFinite(us) ? (us / 1000).toFixed(3) : "—");

/** The human summary (stderr). */
export function describeResult(r: OpenLoopResult): string {
  const l = r.latencyUs, s = r.latenessUs;
  return [
    `${r.url} ${r.mode} ${r.arrivals} ${r.targetRate} req/s × ${r.durationS} s, ${r.connections} connections`,
    `  scheduled ${r.scheduled}, sent ${r.sent} (${r.sentInWindow} in the window), answered ${r.answered}; achieved ${Math.round(r.achievedRate)} req/s (${((100 * r.achievedRate) / r.targetRate).toFixed(2)}% of target)`,
    `  latency ms (from the scheduled send): p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}`,
    `  send lateness µs: p50 ${s.p50}  p90 ${s.p90}  p99 ${s.p99}  p99.9 ${s.p999}  max ${s.max} (valid p${ruledLateness(r).percentile} ≤ ${r.maxLatenessP99Us})`,
    `  all connections busy: ${r.waitedForConnection}×; retried after an idle close: ${r.retried}; reconnects after Connection: close: ${r.reconnects}; generator CPU ${((100 * r.generatorCpuUs) / r.wallUs).toFixed(0)}%`,
    `  errors: connect ${r.errors.connect}, read ${r.errors.read}, write ${r.errors.write}, non-2xx ${r.errors.status}, timeout ${r.errors.timeout}, wrong ${r.bad}/${r.checked}, unsent ${r.unsent}`,
    r.valid ? "  VALID" : `  INVALID: ${r.invalidReasons.join("; ")}`,
  ].join("\n");
}

if (import.meta.main) {
  try {
    const { options, json } = parseOpenLoopArgs(process.argv.slice(2));
    const result = await runOpenLoop(options);
    if (!json) process.stderr.write(`${describeResult(result)}\n`);
    process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`);
    process.exit(0);
  } catch (e) {
    if (e instanceof UsageRequest) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    process.stderr.write(`openloop: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
