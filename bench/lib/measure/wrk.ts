/**
 * Running wrk and reading its output. compare.ts appends
 * bench/wrk/report.lua to every script so wrk prints exact totals as one
 * `HELLO_RESULT {json}` line; the human text is parsed only as a fallback
 * (e.g. output of a wrk run by hand).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadResult, Scenario } from "../types.ts";

const BENCH = join(import.meta.dir, "../..");
export const RESULT_MARK = "HELLO_RESULT ";

export interface LoadRequest {
  url: string;
  scenario: Scenario;
  connections: number;
  threads: number;
  durationS: number;
  /** Validation pass: check every status and body (slower). */
  check: boolean;
  /** The body every response must carry (--body); default "hello". */
  body?: string;
}

/** Writes the Lua script for a scenario into dir; returns its path. */
export function writeWrkScript(dir: string, scenario: Scenario, check: boolean): string {
  const parts = [];
  if (scenario.pipeline > 1) parts.push(readFileSync(join(BENCH, "pipeline.lua"), "utf8"));
  if (check) parts.push(readFileSync(join(BENCH, "wrk/check.lua"), "utf8"));
  parts.push(readFileSync(join(BENCH, "wrk/report.lua"), "utf8"));
  const path = join(dir, `wrk-${scenario.id}${check ? "-check" : ""}.lua`);
  writeFileSync(path, parts.join("\n"));
  return path;
}

export function wrkArgs(req: LoadRequest, script: string): string[] {
  const args = [`-t${req.threads}`, `-c${req.connections}`, `-d${req.durationS}s`, "-s", script];
  if (req.scenario.close) args.push("-H", "Connection: close");
  args.push(req.url);
  return args;
}

/** Reads the HELLO_RESULT line; falls back to wrk's text summary. */
export function parseLoadOutput(stdout: string): LoadResult {
  const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARK));
  if (line !== undefined) return normalize(JSON.parse(line.slice(RESULT_MARK.length)));
  return parseWrkText(stdout);
}

function normalize(raw: Partial<LoadResult>): LoadResult {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const lat = (v: unknown) => (typeof v === "number" && v < 0 ? NaN : num(v));
  const e = raw.errors ?? ({} as Partial<LoadResult["errors"]>);
  const l = raw.latencyUs ?? ({} as Partial<LoadResult["latencyUs"]>);
  if (typeof raw.requests !== "number") throw new Error("load result without a request count");
  return {
    durationUs: num(raw.durationUs),
    requests: num(raw.requests),
    bytes: num(raw.bytes),
    errors: { connect: num(e.connect), read: num(e.read), write: num(e.write), status: num(e.status), timeout: num(e.timeout) },
    // report.lua writes -1 for a percentile it could not afford to compute.
    latencyUs: { p50: lat(l.p50), p90: lat(l.p90), p99: lat(l.p99), max: num(l.max), mean: num(l.mean) },
    checked: num(raw.checked),
    bad: num(raw.bad),
  };
}

const UNIT_US: Record<string, number> = { us: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 };
const UNIT_BYTES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Parses `1.23ms` (wrk's time format) to µs. */
export function parseWrkTime(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`not a wrk time: ${text}`);
  return Number(m[1]) * UNIT_US[m[2]!]!;
}

/**
 * wrk's human summary. Bytes and latencies are rounded there, so a result
 * parsed from text is marked approximate (no byte-count check).
 */
export function parseWrkText(stdout: string): LoadResult {
  const total = /(\d+) requests in ([\d.]+\w+), ([\d.]+)(\w?B) read/.exec(stdout);
  if (!total) throw new Error("no wrk summary found in output");
  const errors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  if (sock) {
    errors.connect = Number(sock[1]);
    errors.read = Number(sock[2]);
    errors.write = Number(sock[3]);
    errors.timeout = Number(sock[4]);
  }
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (non2xx) errors.status = Number(non2xx[1]);
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+\\w+)`, "m").exec(stdout);
    return m ? parseWrkTime(m[1]!) : 0;
  };
  const lat = /^\s+Latency\s+([\d.]+\w+)\s+[\d.]+\w+\s+([\d.]+\w+)/m.exec(stdout);
  return {
    durationUs: parseWrkTime(total[2]!),
    requests: Number(total[1]),
    bytes: Math.round(Number(total[3]) * (UNIT_BYTES[total[4]!] ?? 1)),
    errors,
    latencyUs: { p50: pct("50"), p90: pct("90"), p99: pct("99"), max: lat ? parseWrkTime(lat[2]!) : 0, mean: lat ? parseWrkTime(lat[1]!) : 0 },
    checked: 0,
    bad: 0,
    approximate: true,
  };
}
