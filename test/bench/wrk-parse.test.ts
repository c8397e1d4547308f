import { expect, test } from "bun:test";
import { parseLoadOutput, parseWrkText, parseWrkTime, wrkArgs } from "../../bench/lib/measure/wrk.ts";
import { SCENARIOS } from "../../bench/lib/types.ts";

// Real output of Debian's wrk 4.1.0 with bench/wrk/report.lua appended.
const WITH_REPORT = `Running 1s test @ http://127.0.0.1:41813/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   183.65us  256.35us   4.22ms   94.54%
    Req/Sec    49.39k     6.53k   60.43k    72.73%
  53938 requests in 1.10s, 7.36MB read
Requests/sec:  49057.87
Transfer/sec:      6.69MB
HELLO_RESULT {"durationUs":1099477,"requests":53938,"bytes":7713134,"errors":{"connect":0,"read":0,"write":0,"status":0,"timeout":0},"latencyUs":{"p50":130,"p90":269,"p99":1340,"max":4217,"mean":183.6},"checked":0,"bad":0}
`;

// Real text-only output (no script), with errors and --latency.
const TEXT = `Running 1s test @ http://127.0.0.1:34393/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   169.20us  209.80us   4.13ms   97.42%
    Req/Sec    21.56k   541.53    22.24k    72.73%
  Latency Distribution
     50%  130.00us
     75%  174.00us
     90%  269.00us
     99%    1.34ms
  23612 requests in 1.10s, 3.22MB read
  Socket errors: connect 1, read 23611, write 2, timeout 3
  Non-2xx or 3xx responses: 17
Requests/sec:  21472.76
Transfer/sec:      2.93MB
`;

test("the HELLO_RESULT line wins over the text summary", () => {
  const r = parseLoadOutput(WITH_REPORT);
  expect(r.requests).toBe(53938);
  expect(r.bytes).toBe(7713134);
  expect(r.durationUs).toBe(1099477);
  expect(r.latencyUs.p99).toBe(1340);
  expect(r.errors.read).toBe(0);
});

test("text summary: counts, errors, non-2xx, percentiles", () => {
  const r = parseWrkText(TEXT);
  expect(r.requests).toBe(23612);
  expect(r.durationUs).toBeCloseTo(1.1e6, 0);
  expect(r.bytes).toBe(Math.round(3.22 * 1024 * 1024));
  expect(r.errors).toEqual({ connect: 1, read: 23611, write: 2, status: 17, timeout: 3 });
  expect(r.latencyUs.p50).toBeCloseTo(130, 5);
  expect(r.latencyUs.p99).toBeCloseTo(1340, 5);
  expect(r.latencyUs.max).toBeCloseTo(4130, 5);
  expect(parseLoadOutput(TEXT).requests).toBe(23612);
});

test("output without a summary is an error, not zero requests", () => {
  expect(() => parseLoadOutput("unable to connect to 127.0.0.1:1 Connection refused\n")).toThrow();
  expect(() => parseLoadOutput('HELLO_RESULT {"bytes":1}\n')).toThrow();
});

test("wrk time units", () => {
  expect(parseWrkTime("250.00us")).toBe(250);
  expect(parseWrkTime("1.50ms")).toBe(1500);
  expect(parseWrkTime("2.00s")).toBe(2e6);
  expect(parseWrkTime("1.00m")).toBe(60e6);
  expect(() => parseWrkTime("fast")).toThrow();
});

test("wrk arguments per scenario", () => {
  const base = { url: "http://127.0.0.1:9/", connections: 64, threads: 1, durationS: 5, check: false };
  const [keepalive, , close] = SCENARIOS;
  expect(wrkArgs({ ...base, scenario: keepalive! }, "s.lua")).toEqual(["-t1", "-c64", "-d5s", "-s", "s.lua", "http://127.0.0.1:9/"]);
  expect(wrkArgs({ ...base, scenario: close! }, "s.lua")).toContain("Connection: close");
});

test("a percentile report.lua could not afford (-1) reads as unknown, not 0", () => {
  const r = parseLoadOutput(WITH_REPORT.replace('"p99":1340', '"p99":-1'));
  expect(Number.isNaN(r.latencyUs.p99)).toBe(true);
  expect(r.latencyUs.p50).toBe(130);
});
