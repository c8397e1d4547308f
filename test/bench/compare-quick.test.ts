/**
 * End to end: `bun bench/compare.ts --quick` (about a minute) with every
 * server this machine has, then checks what it wrote. Runs under
 * `flock /tmp/hello-bench.lock` when flock exists, like every benchmark.
 */
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import type { Report } from "../../bench/lib/output.ts";
import { expandInstances } from "../../bench/lib/servers.ts";
import { xmlProblems } from "../../bench/lib/xml.ts";

const ROOT = resolve(import.meta.dir, "../..");
const which = (cmd: string) => Bun.which(cmd, { PATH: `${process.env.PATH}:/usr/sbin:/sbin` }) ?? undefined;

test("compare --quick: rows for every server, valid JSON, well-formed SVG", async () => {
  const out = mkdtempSync(join(os.tmpdir(), "compare-quick-"));
  try {
    const cmd = [process.execPath, "bench/compare.ts", "--quick", "--out", out];
    const argv = which("flock") ? ["flock", "/tmp/hello-bench.lock", ...cmd] : cmd;
    const proc = Bun.spawn(argv, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`compare exited ${code}:\n${stderr.slice(-3000)}`);

    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report;
    // The generator is the one this machine has: wrk if installed, else the built-in one.
    expect(report.generator.tool).toBe(which("wrk") ? "wrk" : "load.ts");
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.runtimes.map((r) => r.name).sort()).toEqual(["bun", "deno", "node"]);

    // Every row of SERVER_KINDS on every runtime, nginx when installed.
    const all = expandInstances(report.runtimes).filter((i) => i.kind.id !== "nginx" || which("nginx"));
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

    // Markdown on stdout: one table per scenario and the start-up table, a row per server in each.
    for (const title of ["### keep-alive", "### pipelined ×16", "### connection-close"]) expect(stdout).toContain(title);
    for (const label of ["hello-server --io socket (bun)", "Bun.serve (bun)", "Deno.serve (deno)", "node:http (node)"]) {
      expect(stdout.split("\n").filter((l) => l.startsWith(`| ${label} |`)).length).toBe(4);
    }

    const svg = readFileSync(join(out, "chart.svg"), "utf8");
    expect(xmlProblems(svg)).toEqual([]);
    expect(svg).toContain("hello-server --io socket (deno)");
    expect(readFileSync(join(out, "report.md"), "utf8")).toContain("## Method");
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain('<img src="chart.svg"');
    expect(existsSync(join(out, "index.html"))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 600_000);

test("compare --generator load: the built-in generator feeds the same report", async () => {
  const out = mkdtempSync(join(os.tmpdir(), "compare-load-"));
  try {
    const cmd = [process.execPath, "bench/compare.ts", "--quick", "--generator", "load", "--only", "bun/hello,bun/native", "--scenarios", "keepalive,close", "--out", out];
    const argv = which("flock") ? ["flock", "/tmp/hello-bench.lock", ...cmd] : cmd;
    const proc = Bun.spawn(argv, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`compare exited ${code}:\n${stderr.slice(-3000)}`);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report;
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
