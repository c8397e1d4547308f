/**
 * Micro-benchmarks of the HTTP core's hot path (mitata): find a head's end,
 * parse it, run a whole read through a Connection to its one write, and
 * pick/repeat a prebuilt response. Same cases, same names, same output on
 * every runtime, so the three runs can be read side by side. Each summary
 * has a baseline, so read ratios (same process), not absolute nanoseconds.
 * After the timings an allocation probe says whether each case allocates.
 *
 * Usage (wrap in `flock /tmp/hello-bench.lock` on the shared machine):
 *   npm run bench:micro         node (esbuild bundle to node_modules/.cache, then node --expose-gc)
 *   npm run bench:micro:bun     node_modules/.bin/bun bench/micro.ts
 *   npm run bench:micro:deno    node_modules/.bin/deno run -A --v8-flags=--expose-gc bench/micro.ts
 * Options (after `--`): --filter REGEX   only the cases whose name matches
 *                       --json           mitata's JSON instead of the tables
 *                       --no-alloc       skip the allocation probe
 *                       --alloc-only     only the allocation probe (no timings)
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { parseHead, RequestHead } from "../src/http/head.ts";
import { HeadReader } from "../src/http/head-reader.ts";
import { Persist, ResponseCache } from "../src/http/response.ts";
import { DEFAULTS } from "../src/config.ts";
import { formatAllocations, probeAllocations } from "./micro/alloc.ts";
import { BROWSER_HEAD, openConnection, PIPELINE_DEPTH, WRK_HEAD, WRK_PIPELINE } from "./micro/fixtures.ts";
import { headEndByIndexOf, headEndByLoop } from "./micro/reference.ts";
import { commandLine, readFlags } from "./lib/cli/flags.ts";

const { values: flags } = readFlags(commandLine(), {
  filter: { type: "string" }, json: { type: "boolean" }, "no-alloc": { type: "boolean" }, "alloc-only": { type: "boolean" },
}, "options: --filter REGEX --json --no-alloc --alloc-only");
const filter = flags.filter === undefined ? undefined : new RegExp(flags.filter);
const json = flags.json === true;

// --- fixtures, each checked once so a benchmark can never time an error path ---

const { maxHeaderSize, maxBodySize } = DEFAULTS;
const reader = new HeadReader(maxHeaderSize);
const head = new RequestHead();

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench/micro: fixture check failed: ${what}`);
}

for (const [name, bytes] of [["wrk", WRK_HEAD], ["browser", BROWSER_HEAD]] as const) {
  check(reader.feed(bytes, 0, bytes.length) === bytes.length, `${name} head is found whole`);
  check(headEndByIndexOf(bytes, 0, bytes.length) === bytes.length, `${name} indexOf reference`);
  check(headEndByLoop(bytes, 0, bytes.length) === bytes.length, `${name} loop reference`);
  parseHead(bytes, 0, bytes.length, head, maxHeaderSize, maxBodySize);
  check(head.error === null && head.keepAlive, `${name} head parses (${head.error})`);
}

const single = openConnection();
const browser = openConnection();
const pipelined = openConnection();
const response = new ResponseCache({ ...DEFAULTS });
const NOW = Date.UTC(2025, 0, 1);
response.setTime(NOW);
const hello = response.get(Persist.KEEP, false);

single.conn.onData(WRK_HEAD);
check(single.transport.writes === 1 && single.transport.lastLength === hello.length, "one request → one write of one response");
browser.conn.onData(BROWSER_HEAD);
check(browser.transport.writes === 1 && browser.transport.lastLength === hello.length, "browser request → one write");
pipelined.conn.onData(WRK_PIPELINE);
check(pipelined.transport.writes === 1 && pipelined.transport.lastLength === hello.length * PIPELINE_DEPTH, "16 requests → one write of 16 responses");

// --- the cases; every closure is also what the allocation probe runs ---

let tick = 0;
const cases = {
  "find head end · wrk · HeadReader.feed": () => reader.feed(WRK_HEAD, 0, WRK_HEAD.length),
  "find head end · wrk · ref indexOf/line": () => headEndByIndexOf(WRK_HEAD, 0, WRK_HEAD.length),
  "find head end · wrk · ref byte loop": () => headEndByLoop(WRK_HEAD, 0, WRK_HEAD.length),
  "find head end · browser · HeadReader.feed": () => reader.feed(BROWSER_HEAD, 0, BROWSER_HEAD.length),
  "find head end · browser · ref indexOf/line": () => headEndByIndexOf(BROWSER_HEAD, 0, BROWSER_HEAD.length),
  "find head end · browser · ref byte loop": () => headEndByLoop(BROWSER_HEAD, 0, BROWSER_HEAD.length),
  "parseHead · wrk (1 field)": () => parseHead(WRK_HEAD, 0, WRK_HEAD.length, head, maxHeaderSize, maxBodySize),
  "parseHead · browser (12 fields)": () => parseHead(BROWSER_HEAD, 0, BROWSER_HEAD.length, head, maxHeaderSize, maxBodySize),
  "onData → write · wrk × 1": () => single.conn.onData(WRK_HEAD),
  "onData → write · browser × 1": () => browser.conn.onData(BROWSER_HEAD),
  "onData → write · wrk × 16 pipelined": () => pipelined.conn.onData(WRK_PIPELINE),
  "response · get": () => response.get(Persist.KEEP, false),
  "response · repeat ×16 (cached)": () => response.repeat(hello, PIPELINE_DEPTH),
  // Once a second in production: a new Date invalidates every prebuilt buffer.
  "response · encode on Date change": () => {
    response.setTime(NOW + (++tick & 1) * 1000);
    return response.get(Persist.KEEP, false);
  },
} satisfies Record<string, () => unknown>;
type CaseName = keyof typeof cases;

function add(name: CaseName, baseline = false): void {
  const fn = cases[name];
  bench(name, () => do_not_optimize(fn())).baseline(baseline);
}

summary(() => {
  add("find head end · wrk · HeadReader.feed", true);
  add("find head end · wrk · ref indexOf/line");
  add("find head end · wrk · ref byte loop");
});
summary(() => {
  add("find head end · browser · HeadReader.feed", true);
  add("find head end · browser · ref indexOf/line");
  add("find head end · browser · ref byte loop");
});
summary(() => {
  add("parseHead · wrk (1 field)", true);
  add("parseHead · browser (12 fields)");
});
summary(() => {
  add("onData → write · wrk × 1", true);
  add("onData → write · browser × 1");
  add("onData → write · wrk × 16 pipelined");
});
summary(() => {
  add("response · get", true);
  add("response · repeat ×16 (cached)");
  add("response · encode on Date change");
});

// Colours only on a terminal, so saved runs of different runtimes diff cleanly.
const allocOnly = flags["alloc-only"] === true;
const result = allocOnly ? { context: { runtime: null }, benchmarks: [] } : await run({ filter, format: json ? "json" : "mitata", colors: process.stdout.isTTY === true });

if (!json && !allocOnly) {
  // One line per case, in the same order on every runtime: the table to paste next to another runtime's.
  const rt = result.context.runtime ?? "?";
  console.log(`\nsummary (${rt}): avg / p50 ns per call`);
  for (const trial of result.benchmarks) {
    for (const r of trial.runs) {
      if (r.stats) console.log(`  ${r.name.padEnd(44)} ${r.stats.avg.toFixed(1).padStart(9)} ${r.stats.p50.toFixed(1).padStart(9)}`);
    }
  }
  const pipe = result.benchmarks.flatMap((t) => t.runs).find((r) => r.name === "onData → write · wrk × 16 pipelined");
  if (pipe?.stats) console.log(`  (pipelined: ${(pipe.stats.avg / PIPELINE_DEPTH).toFixed(1)} ns per request)`);
}

if (flags["no-alloc"] !== true) {
  const selected = (Object.keys(cases) as CaseName[]).filter(
    (n) => (filter === undefined || filter.test(n)) && !n.includes("ref ") && n !== "response · encode on Date change",
  );
  const rows = await probeAllocations(selected.map((n) => [n, cases[n]] as const));
  (json ? console.error : console.log)("\n" + formatAllocations(rows));
}
