/** Command line of bench/compare.ts. Pure. */
import { isProtocolScenario, isTls, SCENARIOS, type ScenarioId } from "../types.ts";
import { cpuList } from "../measure/proc.ts";
import { integer, integerList, oneOf, readFlags } from "./flags.ts";

/**
 * One fixed rate of the latency pass: a share of the slowest server's
 * capacity (--rates), a share of each server's own (--own-rates, `own`), or req/s.
 */
export type RateSpec = { label: string; share: number; own?: boolean; rps?: undefined } | { label: string; rps: number; share?: undefined; own?: undefined };

/** The latency passes: keep-alive, and one request per connection (its shares of the connection-close capacities). */
export type LatencyMode = "keepalive" | "close";

/** How the latency pass (open-loop, bench/openloop/) runs; no rates = no latency pass. */
export interface LatencyOptions {
  rates: RateSpec[];
  /** Seconds of schedule per server and rate. */
  durationS: number;
  /** Open-loop runs per server and rate. */
  runs: number;
  connections: number;
  arrivals: "constant" | "poisson";
  /** Bound on the generator's send lateness (µs) for a valid run, at the rule's percentile. */
  maxLatenessP99Us: number;
  /** held: the bound at the lateness p90 (the default, fits a VM); strict: at the p99 (bench/openloop/result.ts). */
  latenessRule: "held" | "strict";
  /** Keep-alive and/or connection-close passes. */
  modes: LatencyMode[];
  /** --generator-cpus: one generator process per CPU on a shared schedule; empty = one process on the plan's generator CPUs. */
  generatorCpus: number[];
}

export interface CompareOptions {
  /** Connection counts; more than one = a sweep (each scenario at each count). */
  connections: number[];
  workers: number;
  durationS: number;
  /** Warm-up/validation pass length (discarded). */
  warmupS: number;
  runs: number;
  quick: boolean;
  only: string[];
  scenarios: ScenarioId[];
  /** --runtime NAME=PATH: local binaries. */
  runtimes: Array<[string, string]>;
  /** --runtime bun@1.3.9: versions fetched from the npm registry. */
  installs: string[];
  /** Response body of every server (the plaintext checks compare it exactly). */
  body: string;
  /** A TechEmpower-style primer (8 connections, 5 s) before the warm-up. */
  primer: boolean;
  preset: "techempower" | "latency" | "protocols" | undefined;
  /** Latency at fixed rates (--rates, --rate, --preset latency). */
  latency: LatencyOptions;
  /** --diff A B: compare two results directories instead of measuring. */
  diff: [string, string] | undefined;
  /** --diff across different machines. */
  force: boolean;
  /** "auto" = when installed and not --quick. */
  strace: "auto" | "on" | "off";
  straceS: number;
  /** Fresh starts per server for start-to-first-response. */
  startups: number;
  /** Force a generator: wrk or the built-in load.ts. */
  generator: "auto" | "wrk" | "load";
  out: string;
  help: boolean;
}

export const USAGE = `Usage: bun bench/compare.ts [options]   (npm run compare -- [options])

Compares hello-server with each runtime's own server and nginx.
  --connections N[,N]  concurrent connections (default 64); a list is a sweep:
                      every scenario at every count (e.g. 64,256,1024,4096,16384)
  --workers N         server processes, each pinned (default 1)
  --duration S        seconds per measured run (default 5)
  --runs N            measured runs per server and scenario (default 3)
  --quick             short CI run: 1 s runs, 1 run, no strace, no TLS scenarios unless
                      --scenarios names them (~1 minute)
  --only a,b          servers: hello, native, nginx, a runtime (deno) or runtime/kind (bun/hello).
                      hello = hello-server as it runs by default (--io auto: syscall where
                      it can run, else socket; the row says which served); one back end:
                      hello-socket, hello-syscall, hello-uring (--diff matches rows by the
                      back end that served: an older report's hello is hello-socket)
  --scenarios a,b     keepalive, pipelined, close, tls-keepalive, tls-close (default these;
                      the TLS ones need wrk and openssl), and opt-in: h2c (h2load -c 16 -m 32),
                      h2c-single (-c 64 -m 1), h2-tls, grpc (unary health Check), grpc-tls
                      (the same over TLS), all with h2load; echo-ws (64 connections × one
                      32-byte message, bench/ws-echo/)
  --runtime NAME=PATH add a runtime binary (e.g. node22=/opt/node22/bin/node)
  --runtime bun@1.3.9 add a runtime version from the npm registry (bun@X, deno@X,
                      node@X; X may be a range: deno@2.8), cached in
                      node_modules/.cache/hello-server/runtimes/
  --body TEXT         response body of every server (default hello)
  --preset techempower  pipelined ×16 at 256,1024,4096,16384 connections, 15 s,
                      a primer and a warm-up at 16384, body "Hello, World!", 1 run
  --preset protocols  h2c, h2c-single, h2-tls, echo-ws, grpc and grpc-tls: hello-server (socket and
                      syscall back ends) beside Bun.serve http2/websocket, Deno.serve,
                      node:http2, ws, @grpc/grpc-js, nginx http2 and h2o
Latency at fixed rates (open-loop, bench/openloop/: latency from the scheduled
send, HdrHistogram, p50/p90/p99/p99.9/max; keep-alive):
  --rates 25%,50%     rates as shares of the slowest server's keep-alive capacity
                      (× server CPUs) measured in this session
  --rate 10000,20000  rates in req/s (both flags may be given)
  --latency-duration S  seconds per server and rate (default 10; --quick: 1)
  --latency-runs N    open-loop runs per server and rate (default 1)
  --latency-connections N  connections of the open-loop generator (default 64)
  --poisson           Poisson arrivals instead of evenly spaced
  --own-rates 50%,90% rates as shares of each server's OWN capacity (× server CPUs)
                      measured in this session: where each server's tail bends
  --latency-modes keepalive,close  the passes (default keepalive); close = one request
                      per connection, its shares of the connection-close capacities
  --max-lateness-us N bound on the generator's send lateness at its p90 (default 200)
  --strict-lateness   the bound at the p99 instead (quiet bare-metal machines)
  --generator-cpus 1,2,3  one generator process per CPU on one shared schedule,
                      histograms merged exactly (for rates one core cannot send)
  --preset latency    keep-alive and connection-close throughput (3 runs of 5 s, for
                      the capacities), then every server at 50%,75%,90% of its own
                      capacity, keep-alive and connection-close, 10 s each
  --diff A B          compare two results directories (capacity per core, req/s,
                      Mann–Whitney U over the runs; latency percentiles per rate
                      when both have them); writes diff.md, diff.html
  --force             --diff even when A and B ran on different machines
  --strace / --no-strace   force the syscall pass on or off
  --generator wrk|load     force wrk or the built-in bench/load.ts
  --out DIR           results directory (default results/<timestamp>)
`;

const FLAGS = {
  connections: { type: "string" }, workers: { type: "string" }, duration: { type: "string" }, runs: { type: "string" },
  quick: { type: "boolean" }, only: { type: "string" }, scenarios: { type: "string" }, runtime: { type: "string", multiple: true },
  body: { type: "string" }, preset: { type: "string" }, rates: { type: "string", multiple: true }, rate: { type: "string", multiple: true },
  "latency-duration": { type: "string" }, "latency-runs": { type: "string" }, "latency-connections": { type: "string" },
  poisson: { type: "boolean" }, "max-lateness-us": { type: "string" }, "own-rates": { type: "string", multiple: true },
  "latency-modes": { type: "string" }, "strict-lateness": { type: "boolean" }, "generator-cpus": { type: "string" }, diff: { type: "boolean" }, force: { type: "boolean" },
  strace: { type: "boolean" }, "no-strace": { type: "boolean" }, generator: { type: "string" }, out: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export function parseCompareArgs(argv: readonly string[], now = new Date()): CompareOptions {
  const { values: v, positionals } = readFlags(argv, FLAGS, USAGE, true);
  // --diff A B: the two directories are the only positionals the command line has.
  if (v.diff === true && positionals.length !== 2) throw new Error("--diff needs a value: two results directories (--diff A B)");
  if (v.diff !== true && positionals.length > 0) throw new Error(`unknown option ${positionals[0]}\n\n${USAGE}`);
  const preset = v.preset === undefined ? undefined : oneOf("preset", v.preset, ["techempower", "latency", "protocols"] as const, "latency");
  const o: CompareOptions = {
    connections: v.connections === undefined ? [64] : integerList("connections", v.connections),
    workers: integer("workers", v.workers, 1),
    durationS: integer("duration", v.duration, 5),
    warmupS: 2,
    runs: integer("runs", v.runs, 3),
    quick: v.quick === true,
    only: v.only?.split(",").filter(Boolean) ?? [],
    // The protocol scenarios need other generators and peers: only when named (or --preset protocols).
    scenarios: v.scenarios === undefined ? SCENARIOS.map((s) => s.id).filter((id) => !isProtocolScenario(id)) : v.scenarios.split(",").map(scenario),
    runtimes: (v.runtime ?? []).filter((r) => !INSTALL.test(r)).map(runtime),
    installs: (v.runtime ?? []).filter((r) => INSTALL.test(r)),
    body: v.body ?? "hello",
    primer: false,
    preset,
    diff: v.diff === true ? [positionals[0]!, positionals[1]!] : undefined,
    force: v.force === true,
    latency: {
      rates: [...(v.rates ?? []).flatMap((x) => shareList("--rates", x)), ...(v["own-rates"] ?? []).flatMap((x) => shareList("--own-rates", x, true)), ...(v.rate ?? []).flatMap((x) => integerList("rate", x).map((rps) => ({ label: `${rps.toLocaleString("en-US")} req/s`, rps })))],
      durationS: integer("latency-duration", v["latency-duration"], 10),
      runs: integer("latency-runs", v["latency-runs"], 1),
      connections: integer("latency-connections", v["latency-connections"], 64),
      arrivals: v.poisson === true ? "poisson" : "constant",
      maxLatenessP99Us: integer("max-lateness-us", v["max-lateness-us"], 200),
      latenessRule: v["strict-lateness"] === true ? "strict" : "held",
      modes: v["latency-modes"] === undefined ? ["keepalive"] : [...new Set(v["latency-modes"].split(",").map((m) => oneOf("latency-modes", m, ["keepalive", "close"] as const, "keepalive")))],
      generatorCpus: v["generator-cpus"] === undefined ? [] : cpuList(v["generator-cpus"]),
    },
    strace: v.strace === true ? "on" : v["no-strace"] === true ? "off" : "auto",
    straceS: 2,
    startups: 3,
    generator: oneOf("generator", v.generator, ["auto", "wrk", "load"] as const, "auto"),
    out: v.out ?? `results/${now.toISOString().replace(/[:.]/g, "-")}`,
    help: v.help === true,
  };
  const given = (flag: keyof typeof FLAGS) => v[flag] !== undefined;
  if (o.preset === "techempower") {
    // TechEmpower plaintext: pipelined ×16, 256..16,384 connections, 15 s per
    // count, a primer and a warm-up at the largest count, "Hello, World!".
    if (!given("scenarios")) o.scenarios = ["pipelined"];
    if (!given("connections")) o.connections = [256, 1024, 4096, 16384];
    if (!given("duration")) o.durationS = 15;
    if (!given("runs")) o.runs = 1;
    if (!given("body")) o.body = "Hello, World!";
    o.warmupS = o.durationS;
    o.primer = true;
  }
  if (o.preset === "latency") {
    // Capacities first (keep-alive and connection-close, the median of 3
    // runs), then every server at 50/75/90% of its own capacity in both
    // modes: a share of the slowest server's capacity never loads the fast
    // ones, and servers differ where their own tails bend.
    if (!given("scenarios")) o.scenarios = ["keepalive", "close"];
    if (!given("rates") && !given("rate") && !given("own-rates")) o.latency.rates = shareList("--own-rates", "50%,75%,90%", true);
    if (!given("latency-modes")) o.latency.modes = ["keepalive", "close"];
  }
  if (o.preset === "protocols" && !given("scenarios")) o.scenarios = SCENARIOS.map((s) => s.id).filter(isProtocolScenario);
  if (o.quick) {
    // ~1 minute for 7 servers × 3 scenarios: wrk's shortest run is 1 s. The TLS scenarios (7 more
    // servers) only when asked for: --quick --scenarios tls-keepalive,tls-close.
    if (!given("scenarios")) o.scenarios = o.scenarios.filter((id) => !isTls(id));
    if (!given("duration")) o.durationS = 1;
    if (!given("runs")) o.runs = 1;
    o.warmupS = 1;
    o.startups = 1;
    if (o.strace === "auto") o.strace = "off";
    if (!given("latency-duration")) o.latency.durationS = 1;
  }
  o.latency.rates = uniqueRates(o.latency.rates);
  for (const mode of o.latency.modes) {
    if (o.latency.rates.some((r) => r.share !== undefined) && !o.scenarios.includes(mode)) {
      throw new Error(`--rates/--own-rates N% in the ${mode} pass need the ${mode} scenario (the capacities they are shares of)`);
    }
  }
  o.warmupS = Math.min(o.warmupS, o.durationS);
  if (o.connections.some((c) => c < o.workers)) throw new Error("--connections must be at least --workers");
  if (o.body.length === 0) throw new Error("--body must not be empty (the checks compare it)");
  return o;
}

/** --runtime bun@1.3.9 (a version from npm) rather than NAME=PATH. */
const INSTALL = /^(bun|deno|node)@[^=/]+$/;

/** "25%,50%" → shares 0.25, 0.5 (0 < share ≤ 1.5: above 100% is an overload test). */
function shareList(flag: string, v: string, own = false): RateSpec[] {
  return v.split(",").filter(Boolean).map((x) => {
    const m = /^(\d+(?:\.\d+)?)%$/.exec(x.trim());
    const share = m ? Number(m[1]) / 100 : NaN;
    if (!(share > 0 && share <= 1.5)) throw new Error(`${flag} wants shares like 25%,50% (above 0, at most 150%), got ${x}`);
    return own ? { label: `${m![1]}% own`, share, own } : { label: `${m![1]}%`, share };
  });
}

/** Ascending (shares before absolute rates), duplicates dropped. */
function uniqueRates(rates: RateSpec[]): RateSpec[] {
  const seen = new Set<string>();
  const out = rates.filter((r) => !seen.has(r.label) && (seen.add(r.label), true));
  return out.sort((a, b) => (a.share !== undefined && b.share !== undefined ? a.share - b.share : a.rps !== undefined && b.rps !== undefined ? a.rps - b.rps : a.share !== undefined ? -1 : 1));
}

function scenario(s: string): ScenarioId {
  const found = SCENARIOS.find((x) => x.id === s);
  if (!found) throw new Error(`unknown scenario ${s} (${SCENARIOS.map((x) => x.id).join(", ")})`);
  return found.id;
}

function runtime(s: string): [string, string] {
  const eq = s.indexOf("=");
  if (eq < 1 || eq === s.length - 1) throw new Error(`--runtime wants NAME=PATH, got ${s}`);
  return [s.slice(0, eq), s.slice(eq + 1)];
}

