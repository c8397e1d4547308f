import { expect, test } from "bun:test";
import type { SummaryRow } from "../../bench/lib/report/summarize.ts";
import { niceAxis, renderChart, shortNumber } from "../../bench/lib/report/svg.ts";
import { xmlProblems } from "../../bench/lib/report/xml.ts";

function row(instance: string, scenario: SummaryRow["scenario"], median: number, validRuns = 3): SummaryRow {
  return {
    instance, label: instance, kindId: instance.split("/")[1] ?? instance, runtime: instance.split("/")[0], scenario, connections: 64,
    rps: { median, min: median * 0.9, max: median * 1.1, n: validRuns }, capacity: { median: 100_000, min: 90_000, max: 110_000, n: validRuns },
    cvRps: 0.05, cvCapacity: 0.05, noisy: false, validRuns, measuredRuns: 3, invalid: [],
    latencyP50Us: 100, latencyP99Us: 900, errors: 0, cpuPerRequestUs: 10, peakRssBytes: 1 << 25,
    syscallsPerRequest: NaN, topSyscalls: "", generatorBound: false, foreignCpuShare: 0, vsNative: 1, vsNginx: 1,
  };
}

const series = [
  { key: "bun/hello", label: "hello-server (bun) <fast> & \"quoted\"", runtime: "bun", shade: 0 },
  { key: "bun/native", label: "Bun.serve (bun)", runtime: "bun", shade: 1 },
  { key: "nginx", label: "nginx", runtime: undefined, shade: 2 },
];

test("the chart is well-formed XML with a bar, a value and a legend entry per series", () => {
  const svg = renderChart({
    title: "requests/s", subtitle: "AMD EPYC & co", scenarios: ["keepalive", "close"], series,
    rows: [row("bun/hello", "keepalive", 120_000), row("bun/native", "keepalive", 80_000), row("nginx", "keepalive", 0, 0),
      row("bun/hello", "close", 9_000), row("bun/native", "close", 7_000), row("nginx", "close", 6_000)],
  });
  expect(xmlProblems(svg)).toEqual([]);
  expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
  expect(svg).toContain("hello-server (bun) &lt;fast&gt; &amp; &quot;quoted&quot;");
  expect(svg.match(/<rect [^>]*fill="hsl/g)?.length).toBe(4 + 2); // 4 runtime bars + 2 runtime legend swatches
  expect(svg).toContain(">120k<");
  expect(svg).toContain(">invalid<");
  expect(svg).toContain("keep-alive (req/s)");
});

test("the XML checker finds what a browser would reject", () => {
  expect(xmlProblems("<svg><g></svg>")).not.toEqual([]);
  expect(xmlProblems("<svg><text>a & b</text></svg>")).not.toEqual([]);
  expect(xmlProblems('<svg><rect x=1/></svg>')).not.toEqual([]);
  expect(xmlProblems('<svg><rect x="1" x="2"/></svg>')).not.toEqual([]);
  expect(xmlProblems("<svg/><svg/>")).not.toEqual([]);
  expect(xmlProblems("")).toEqual(["no root element"]);
  expect(xmlProblems('<?xml version="1.0"?>\n<svg a="&amp;"><!-- <not a tag> --><t>&#215;</t></svg>\n')).toEqual([]);
});

test("axis steps are 1-2-2.5-5 × 10^k and cover the value", () => {
  expect(niceAxis(106_000)).toEqual({ max: 150_000, step: 50_000 });
  expect(niceAxis(9_000)).toEqual({ max: 10_000, step: 2_500 });
  expect(niceAxis(0)).toEqual({ max: 1, step: 0.25 });
  for (const v of [1, 7, 99, 1234, 56_789, 2_000_001]) {
    const a = niceAxis(v);
    expect(a.max).toBeGreaterThanOrEqual(v);
    expect(a.max / a.step).toBeLessThanOrEqual(5);
  }
});

test("short numbers", () => {
  expect(shortNumber(950)).toBe("950");
  expect(shortNumber(53_106)).toBe("53.1k");
  expect(shortNumber(40_000)).toBe("40k");
  expect(shortNumber(783_441)).toBe("783k");
  expect(shortNumber(1_250_000)).toBe("1.3M");
});

import { renderSweepChart } from "../../bench/lib/report/svg.ts";

test("capacity bars: from row.capacity, generator-bound hatching only on the req/s chart", () => {
  const rows = [{ ...row("bun/hello", "keepalive", 120_000), generatorBound: true }, { ...row("bun/native", "keepalive", 80_000), capacity: { median: 50_000, min: 40_000, max: 60_000, n: 3 }, noisy: true }];
  const cap = renderChart({ title: "capacity", subtitle: "", scenarios: ["keepalive"], series: series.slice(0, 2), rows, metric: "capacity" });
  expect(xmlProblems(cap)).toEqual([]);
  expect(cap).toContain("keep-alive (req/s per core)");
  expect(cap).toContain(">100k<"); // capacity of bun/hello, not its 120k req/s
  expect(cap).toContain(">50k ~<"); // noisy
  expect(cap).not.toContain('fill="url(#genbound');
  const rps = renderChart({ title: "req/s", subtitle: "", scenarios: ["keepalive"], series: series.slice(0, 2), rows, metric: "rps" });
  expect(rps.match(/fill="url\(#genbound-rps\)"/g)?.length).toBe(1);
  expect(rps).toContain(">120k G<");
  // Whiskers: a vertical line and two caps per bar with more than one run.
  expect(rps.match(/stroke="#111" stroke-width="1.5"/g)?.length).toBe(2 * 3);
});

test("sweep chart: a line per server for capacity and for p99; a missing count breaks the line", () => {
  const at = (key: string, connections: number, capacity: number, p99Us: number, validRuns = 3) => ({
    ...row(key, "pipelined", 1), connections, validRuns, capacity: { median: capacity, min: capacity, max: capacity, n: validRuns }, latencyP99Us: p99Us,
  });
  const rows = [
    at("bun/hello", 256, 1_000_000, 2_000), at("bun/hello", 1024, 900_000, 9_000), at("bun/hello", 4096, 800_000, 40_000),
    at("bun/native", 256, 100_000, 5_000), at("bun/native", 1024, 0, 0, 0), at("bun/native", 4096, 90_000, 300_000),
  ];
  const svg = renderSweepChart({ title: "sweep", subtitle: "", scenario: "pipelined", series: series.slice(0, 2), rows });
  expect(xmlProblems(svg)).toEqual([]);
  const paths = [...svg.matchAll(/<path class="line" d="([^"]+)"/g)].map((m) => m[1]!);
  expect(paths.length).toBe(4); // 2 servers × (capacity, p99)
  expect(paths[0]!.match(/[ML]/g)).toEqual(["M", "L", "L"]);
  expect(paths[1]!.match(/[ML]/g)).toEqual(["M", "M"]); // 1024 invalid: two separate points
  for (const x of [">256<", ">1024<", ">4096<"]) expect(svg).toContain(x);
  expect(svg).toContain("p99 latency (ms, log)");
});
