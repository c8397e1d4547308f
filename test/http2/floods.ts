/**
 * The flood clients of test/http2/clients/ by name, what each must end in, and
 * a runner that points one at any host and port: the node:net harness here
 * (floods.test.ts), or the integrated server from its own suite:
 *
 *   const r = await runFlood("ping_flood", "127.0.0.1", port);
 *   expect(floodProblems("ping_flood", r)).toEqual([]);
 *
 * Each client prints one JSON object (clients/h2raw.py) and is bounded in time
 * (its own timeouts, and RUN_LIMIT_MS here).
 */
import { execFile, spawnSync } from "node:child_process";
import { join } from "node:path";

export const PYTHON = "/usr/bin/python3";
/** Debian's python3-hpack (the clients decode answers with it) works only under /usr/bin/python3. */
export const HAS_CLIENT_DEPS = spawnSync(PYTHON, ["-c", "import hpack"]).status === 0;
const CLIENTS = join(import.meta.dir, "clients");
const RUN_LIMIT_MS = 20_000;

export interface FloodResult {
  flood: string;
  goaway_code: string | null;
  last_stream_id: number | null;
  frames_sent: number;
  seconds: number;
  statuses: Record<string, number>;
  rst_codes: Record<string, number>;
  closed: boolean;
  [more: string]: unknown;
}

export interface FloodSpec {
  /** What the flood is, in words. */
  readonly title: string;
  /** The GOAWAY code it must end in; null = the connection must survive it. */
  readonly goaway: string | null;
  /** Statuses the answers must have, each at least once (and no other). */
  readonly statuses?: readonly string[];
  /** RST_STREAM codes it must see at least once. */
  readonly rst?: readonly string[];
  /** At most this many seconds, against a server with the harness's limits. */
  readonly seconds: number;
}

export const FLOODS = {
  rapid_reset: { title: "Rapid Reset (CVE-2023-44487): HEADERS + RST_STREAM per stream", goaway: "ENHANCE_YOUR_CALM", seconds: 5 },
  continuation_flood: { title: "CONTINUATION flood (CVE-2024-27316): a header block that never ends", goaway: "ENHANCE_YOUR_CALM", seconds: 5 },
  hpack_bomb: { title: "HPACK bomb: a 4 KiB table entry referenced 16,000 times per block", goaway: null, statuses: ["200", "431"], seconds: 5 },
  settings_flood: { title: "SETTINGS flood (CVE-2019-9515) from a client that does not read", goaway: "ENHANCE_YOUR_CALM", seconds: 5 },
  ping_flood: { title: "PING flood (CVE-2019-9512) from a client that does not read", goaway: "ENHANCE_YOUR_CALM", seconds: 5 },
  zero_window: { title: "zero-window stall: INITIAL_WINDOW_SIZE 0, large answers, no WINDOW_UPDATE", goaway: "ENHANCE_YOUR_CALM", statuses: ["200"], seconds: 10 },
  too_many_streams: { title: "too many streams: open streams past MAX_CONCURRENT_STREAMS", goaway: "ENHANCE_YOUR_CALM", rst: ["REFUSED_STREAM"], seconds: 5 },
  body_past_max: { title: "a request body past the maximum", goaway: null, statuses: ["200", "413"], rst: ["NO_ERROR"], seconds: 6 },
} as const satisfies Record<string, FloodSpec>;
export type FloodName = keyof typeof FLOODS;

/** Runs one flood client against host:port without blocking this process (the server under test may live in it). */
export function runFlood(name: FloodName, host: string, port: number, extra: readonly string[] = []): Promise<FloodResult> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [join(CLIENTS, `${name}.py`), host, String(port), ...extra], { encoding: "utf8", timeout: RUN_LIMIT_MS }, (error, stdout, stderr) => {
      const line = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(line) as FloodResult);
      } catch {
        reject(new Error(`${name}: no JSON result (${error?.message ?? "exit 0"}): ${stdout}${stderr}`));
      }
    });
  });
}

/** What is wrong with a flood's outcome against its spec; empty when it ended as it must. */
export function floodProblems(name: FloodName, r: FloodResult): string[] {
  const spec: FloodSpec = FLOODS[name];
  const problems: string[] = [];
  if (r.goaway_code !== spec.goaway) problems.push(`GOAWAY ${r.goaway_code}, want ${spec.goaway}`);
  if (spec.goaway === null && r.closed) problems.push("the connection was closed");
  if (spec.statuses !== undefined) {
    const seen = Object.keys(r.statuses).sort();
    if (seen.join() !== [...spec.statuses].sort().join()) problems.push(`statuses ${seen.join()}, want ${spec.statuses.join()}`);
  }
  for (const code of spec.rst ?? []) if ((r.rst_codes[code] ?? 0) === 0) problems.push(`no RST_STREAM ${code}`);
  if (r.seconds > spec.seconds) problems.push(`took ${r.seconds} s, bound ${spec.seconds} s`);
  return problems;
}
