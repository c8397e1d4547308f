-- Appended to every script compare.ts gives wrk: prints the exact totals
-- as one JSON line (`HELLO_RESULT {...}`) instead of wrk's rounded text.
-- Counters of check.lua (checked/bad) are summed over threads when present.
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

-- wrk 4.1's latency:percentile() returns 0 for p99 under pipelining (its
-- sample count disagrees with its histogram; measured on Debian's 4.1.0),
-- so percentiles are recomputed here from the histogram itself:
-- latency(i) gives the i-th distinct value and how often it occurred.
-- But wrk finds the i-th value by scanning its histogram from min to max
-- (stats_value_at), so this costs distinct values × (max − min) µs: fine
-- at 64 connections, hours at 16,384 (latencies spread over 0.5 s, ~10^5
-- distinct values: a 15 s run's done() was still busy after 6 minutes).
-- Above BUDGET steps it falls back to latency:percentile() (one scan each),
-- and reports -1 (unknown) where that gives 0.
local BUDGET = 2e8
local function percentiles(latency, ps)
  local n, total = #latency, 0
  if n * (latency.max - latency.min) > BUDGET then
    local out = {}
    for j = 1, #ps do
      local v = latency:percentile(ps[j])
      out[j] = v > 0 and v or -1
    end
    return out
  end
  for i = 1, n do
    local _, count = latency(i)
    total = total + count
  end
  local out, seen, k = {}, 0, 1
  for i = 1, n do
    local value, count = latency(i)
    seen = seen + count
    while k <= #ps and seen >= math.ceil(ps[k] / 100 * total) do
      out[k] = value
      k = k + 1
    end
  end
  for j = k, #ps do out[j] = 0 end
  return out
end

done = function(summary, latency, requests)
  local checked, bad = 0, 0
  for _, t in ipairs(threads) do
    checked = checked + (tonumber(t:get("checked")) or 0)
    bad = bad + (tonumber(t:get("bad")) or 0)
  end
  local p = percentiles(latency, { 50, 90, 99 })
  local e = summary.errors
  io.write(string.format(
    'HELLO_RESULT {"durationUs":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
    '"checked":%d,"bad":%d}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    p[1], p[2], p[3], latency.max, latency.mean, checked, bad))
end
