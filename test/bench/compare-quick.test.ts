/**
 * End to end: `bun bench/compare.ts --quick` (about a minute) with every
 * server this machine has, then checks what it wrote, and how index.html
 * looks in headless Chromium when it is installed (.ci/run installs Debian's
 * package; test/bench/browser.ts drives it with playwright-core).
 * Runs under `flock /tmp/hello-bench.lock` when flock exists, like every benchmark.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { which } from "../../bench/lib/servers/host.ts";
import { expandInstances } from "../../bench/lib/servers/kinds.ts";
import { runsOn } from "../../bench/lib/types.ts";
import { xmlProblems } from "../../bench/lib/report/xml.ts";
import { findChromium, lookAtPage } from "./browser.ts";
import { COMPARE_QUICK } from "./quick.ts";
import { runCompare } from "./run-compare.ts";


const quickOut = mkdtempSync(join(os.tmpdir(), "compare-quick-"));
afterAll(() => rmSync(quickOut, { recursive: true, force: true }));
let quickDone = false;

test("compare --quick: rows for every server, valid JSON, well-formed SVG", async () => {
  const out = quickOut;
  {
    const { stdout, report } = await runCompare(COMPARE_QUICK, out);
    // The generator is the one this machine has: wrk if installed, else the built-in one.
    expect(report.generator.tool).toBe(which("wrk") ? "wrk" : "load.ts");
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.runtimes.map((r) => r.name).sort()).toEqual(["bun", "deno", "node"]);

    // Every plain-HTTP row of SERVER_KINDS on every runtime, nginx when installed (--quick runs no TLS scenario,
    // so the HTTPS-only kinds are left out).
    // (the protocol peers run only in the opt-in protocol scenarios).
    const all = expandInstances(report.runtimes).filter((i) => runsOn("keepalive", i.kind) && (i.kind.id !== "nginx" || which("nginx")));
    const expected = all.map((i) => i.key);
    expect(expected).toContain("bun/hello");
    expect(expected).toContain("node/native");
    expect(report.instances.map((i) => i.key).sort()).toEqual([...expected].sort());
    const needsBundle = new Set(all.filter((i) => i.kind.needsBundle).map((i) => i.key));
    for (const scenario of ["keepalive", "pipelined", "close"]) {
      for (const key of expected) {
        const row = report.summary.find((r) => r.instance === key && r.scenario === scenario);
        expect(row, `${key} ${scenario}`).toBeDefined();
        // hello-server must produce counted runs: a wrong body or errors would make them invalid.
        if (needsBundle.has(key)) expect({ key, scenario, valid: row!.validRuns, why: row!.invalid }).toEqual({ key, scenario, valid: 1, why: [] });
        expect(report.runs.filter((r) => r.instance === key && r.scenario === scenario).map((r) => r.run)).toEqual([0, 1]);
      }
    }
    for (const inst of report.instances) expect(inst.startupMs.length).toBe(1);
    // Each hello-server row records the back end that served; `hello` (the default, --io auto)
    // names it in its label, and the named back ends are the ones asked for.
    for (const rt of ["bun", "deno", "node"]) {
      const io = (kind: string) => report.instances.find((i) => i.key === `${rt}/${kind}`)!.io;
      expect(["socket", "syscall"]).toContain(io("hello")!);
      expect(report.instances.find((i) => i.key === `${rt}/hello`)!.label).toBe(`hello-server default, io ${io("hello")} (${rt})`);
      expect([io("hello-socket"), io("hello-syscall")]).toEqual(["socket", "syscall"]);
    }

    // Markdown on stdout: one table per scenario and the start-up table, a row per server in each.
    for (const title of ["### keep-alive · 64 connections", "### pipelined ×16 · 64 connections", "### connection-close · 64 connections"]) expect(stdout).toContain(title);
    for (const label of ["hello-server --io socket (bun)", "Bun.serve (bun)", "Deno.serve (deno)", "node:http (node)"]) {
      expect(stdout.split("\n").filter((l) => l.startsWith(`| ${label} |`)).length).toBe(4);
    }

    // Capacity per core leads every table and is the first chart.
    expect(stdout).toContain("| server | capacity/core req/s (min–max) | req/s median (min–max) |");
    for (const row of report.summary.filter((r) => needsBundle.has(r.instance))) {
      expect(row.capacity.n, `${row.instance} ${row.scenario}`).toBe(1);
      expect(row.capacity.median).toBeCloseTo(1e6 / row.cpuPerRequestUs, 6);
    }
    for (const file of ["capacity.svg", "chart.svg"]) {
      const svg = readFileSync(join(out, file), "utf8");
      expect(xmlProblems(svg), file).toEqual([]);
      expect(svg).toContain("hello-server --io socket (deno)");
    }
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain("## Method");
    expect(md.indexOf("(capacity.svg)")).toBeLessThan(md.indexOf("(chart.svg)"));
    // index.html is self-contained: the charts inline, nothing fetched.
    const html = readFileSync(join(out, "index.html"), "utf8");
    expect(html.match(/<svg /g)?.length).toBe(2);
    expect(html).not.toMatch(/<img |<link |src="http/);
    quickDone = true;
  }
}, 600_000);

test("compare --body: every server answers it and the validation pass checks it (wrk/check.lua via HELLO_EXPECTED_BODY)", async () => {
  const out = mkdtempSync(join(os.tmpdir(), "compare-body-"));
  try {
    const only = ["bun/hello", "bun/native", ...(which("nginx") ? ["nginx"] : [])];
    const { report } = await runCompare(["bench/compare.ts", "--quick", "--body", 'Hello, "World"!', "--only", only.join(","), "--scenarios", "pipelined"], out);
    const warm = report.runs.filter((r) => r.run === 0);
    expect(warm.map((r) => r.instance).sort()).toEqual([...only].sort());
    for (const r of warm) {
      expect(r.load.checked, r.instance).toBeGreaterThan(0);
      expect({ key: r.instance, bad: r.load.bad }).toEqual({ key: r.instance, bad: 0 });
    }
    for (const row of report.summary) expect({ key: row.instance, why: row.invalid, valid: row.validRuns }).toEqual({ key: row.instance, why: [], valid: 1 });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 600_000);

const chromium = findChromium();
if (!chromium) console.warn("test/bench: chromium not installed (apt-get install chromium): the browser check of index.html is skipped");

test.skipIf(!chromium)("index.html from --quick in headless Chromium: no console errors, charts drawn, tables sort on a click, fits a phone", async () => {
  if (!quickDone) throw new Error("compare --quick failed: no page to look at");
  const look = await lookAtPage(chromium!, join(quickOut, "index.html"), "capacity/core");
  expect(look.errors).toEqual([]);
  expect(look.charts.map((c) => c.id)).toEqual(["capacity", "chart"]);
  for (const c of look.charts) {
    expect(c.width, c.id).toBeGreaterThan(300);
    expect(c.marks, c.id).toBeGreaterThan(3); // a bar per valid row
    // Not blank: bars, text and axes cover a few percent of the box, in several colors.
    expect(c.inked, c.id).toBeGreaterThan(0.03);
    expect(c.colors, c.id).toBeGreaterThan(8);
  }
  expect(look.tables).toBe(4); // three scenarios and start-up
  const numbers = (v: Array<number | null>) => v.filter((x): x is number => x !== null);
  const once = numbers(look.sortedOnce);
  expect(once.length).toBeGreaterThan(3);
  expect(once).toEqual([...once].sort((a, b) => b - a)); // first click: largest first
  expect(numbers(look.sortedTwice)).toEqual([...once].sort((a, b) => a - b)); // second: reversed
  expect(look.phoneScrollWidth).toBeLessThanOrEqual(390);
}, 120_000);

test.skipIf(!chromium)("the browser check fails a page with a console error, a blank chart and no phone layout", async () => {
  const bad = join(quickOut, "bad.html");
  writeFileSync(bad, `<!doctype html><html><body><script>console.error("boom")</script>
<figure id="blank" class="chart"><svg xmlns="http://www.w3.org/2000/svg" width="400" height="200"><rect width="400" height="200" fill="#fff"/></svg></figure>
<table class="sortable"><thead><tr><th><button>x</button></th></tr></thead><tbody><tr><td>2</td></tr><tr><td>1</td></tr></tbody></table></body></html>`);
  const look = await lookAtPage(chromium!, bad, "x");
  expect(look.errors.join("\n")).toContain("boom");
  expect(look.charts).toEqual([{ id: "blank", width: 400, height: 200, marks: 0, inked: 0, colors: 1 }]);
  expect(look.sortedOnce).toEqual([2, 1]); // no sorting script on this page
  expect(look.sortedTwice).toEqual([2, 1]);
  expect(look.phoneScrollWidth).toBeGreaterThan(390); // no viewport meta: a phone lays it out 980 px wide
}, 120_000);

test("compare --generator load: the built-in generator feeds the same report", async () => {
  const out = mkdtempSync(join(os.tmpdir(), "compare-load-"));
  try {
    const { report } = await runCompare(["bench/compare.ts", "--quick", "--generator", "load", "--only", "bun/hello,bun/native", "--scenarios", "keepalive,close"], out);
    expect(report.generator.tool).toBe("load.ts");
    expect(report.method.join("\n")).toContain("built-in");
    expect(report.summary.map((r) => `${r.instance} ${r.scenario} ${r.validRuns}`).sort()).toEqual(
      ["bun/hello close 1", "bun/hello keepalive 1", "bun/native close 1", "bun/native keepalive 1"],
    );
    expect(xmlProblems(readFileSync(join(out, "chart.svg"), "utf8"))).toEqual([]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 600_000);
