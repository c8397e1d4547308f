/**
 * The h2load runner's pure parts (bench/h2/parse.ts, the argv of
 * bench/h2/h2load.ts) as data, and a run against a closed port: h2load
 * reports failures there and the runner calls the run invalid.
 */
import { expect, test } from "bun:test";
import { GRPC_HEALTH_REQUEST, h2loadArgv, H2LOAD_DEFAULTS, H2_SCENARIOS, parseH2loadArgs, runH2load } from "../../bench/h2/h2load.ts";
import { h2loadProblems, parseH2loadOutput } from "../../bench/h2/parse.ts";

const GOOD = `starting benchmark...
spawning thread #0: 2 total client(s). Timing-based test with 0.2s of warm-up time and 0.5s of main duration for measurements.
Application protocol: h2c
finished in 700.15ms, 29732.00 req/s, 812.98KB/s
requests: 14866 total, 14866 started, 14866 done, 14866 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 14866 2xx, 0 3xx, 0 4xx, 0 5xx
traffic: 406.49KB (416248) total, 106.67KB (109228) headers (space savings 95.57%), 106.56KB (109120) data
`;

test("h2load's summary parses to numbers, and a clean h2c run has no problem", () => {
  const c = parseH2loadOutput(GOOD);
  expect(c).toEqual({
    protocol: "h2c", requestsPerS: 29732, total: 14866, started: 14866, done: 14866, succeeded: 14866, failed: 0, errored: 0, timeout: 0,
    status: { "2xx": 14866, "3xx": 0, "4xx": 0, "5xx": 0 },
  });
  expect(h2loadProblems(c, "h2c")).toEqual([]);
});

test("anything but 2xx, an error, or another protocol makes a run invalid", () => {
  const c = parseH2loadOutput(GOOD);
  expect(h2loadProblems(c, "h2")).toEqual(["protocol h2c instead of h2"]);
  expect(h2loadProblems({ ...c, status: { ...c.status, "2xx": 14860, "5xx": 6 } }, "h2c")).toEqual(["6 answers not 2xx"]);
  expect(h2loadProblems({ ...c, errored: 2, failed: 2 }, "h2c")).toEqual(["2 failed", "2 errored"]);
  expect(h2loadProblems({ ...c, timeout: 1 }, "h2c")).toEqual(["1 timed out"]);
  expect(h2loadProblems({ ...c, status: { ...c.status, "2xx": 14000 } }, "h2c")).toEqual(["14866 done but 14000 with a status"]);
  // A timed run stops with streams whose fields came but not their end: classed, not done.
  expect(h2loadProblems({ ...c, status: { ...c.status, "2xx": 14890 } }, "h2c")).toEqual([]);
  expect(() => parseH2loadOutput("-D: value error 0.3\n")).toThrow("no h2load summary");
});

test("argv: one thread, pinned when asked, fractions of a second as ms, gRPC as a POST with its fields", () => {
  const o = { ...H2LOAD_DEFAULTS, url: "http://127.0.0.1:8000/", ...H2_SCENARIOS.h2c, serverPids: [], grpc: false };
  expect(h2loadArgv(o, 5, null)).toEqual(["h2load", "-c", "16", "-m", "32", "-t", "1", "-D", "5", "http://127.0.0.1:8000/"]);
  expect(h2loadArgv({ ...o, cpus: "1" }, 0.5, null)).toEqual(["taskset", "-c", "1", "h2load", "-c", "16", "-m", "32", "-t", "1", "-D", "500ms", "http://127.0.0.1:8000/"]);
  expect(h2loadArgv({ ...o, grpc: true }, 5, "/tmp/req.bin")).toEqual([
    "h2load", "-c", "16", "-m", "32", "-t", "1", "-D", "5",
    "-d", "/tmp/req.bin", "-H", "content-type: application/grpc", "-H", "te: trailers", "http://127.0.0.1:8000/grpc.health.v1.Health/Check",
  ]);
  // The 5-byte gRPC prefix (uncompressed, length 0) of an empty HealthCheckRequest.
  expect([...GRPC_HEALTH_REQUEST]).toEqual([0, 0, 0, 0, 0]);
});

test("the command line's scenarios set -c and -m, and an https scenario wants an https URL", () => {
  expect(parseH2loadArgs(["--url", "http://127.0.0.1:1/", "--scenario", "h2c-single", "--pid", "7", "--pid", "9"]).options).toMatchObject({ connections: 64, streams: 1, serverPids: [7, 9], grpc: false });
  expect(parseH2loadArgs(["--url", "http://127.0.0.1:1/", "--scenario", "grpc", "--streams", "4"]).options).toMatchObject({ connections: 16, streams: 4, grpc: true });
  expect(() => parseH2loadArgs(["--url", "http://127.0.0.1:1/", "--scenario", "h2-tls"])).toThrow("wants an https:// URL");
  expect(() => parseH2loadArgs(["--url", "http://127.0.0.1:1/", "--scenario", "h3"])).toThrow("--scenario is");
});

test("nobody listening: h2load's failures make the run invalid", async () => {
  const r = await runH2load({ ...H2LOAD_DEFAULTS, url: "http://127.0.0.1:1/", connections: 2, streams: 2, durationS: 1, warmupS: 0, serverPids: [], grpc: false });
  expect(r.valid).toBe(false);
  expect(r.counts.done).toBe(0);
  expect(r.invalidReasons).toContain("no request done");
  expect(r.invalidReasons).toContain("protocol none instead of h2c");
}, 20_000);
