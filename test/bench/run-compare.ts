/**
 * Runs bench/compare.ts as a user would (under `flock /tmp/hello-bench.lock`
 * when flock exists, like every benchmark) and reads what it wrote: the
 * shared start of every end-to-end compare test.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Report } from "../../bench/lib/report/output.ts";
import { which } from "../../bench/lib/servers/host.ts";

const ROOT = resolve(import.meta.dir, "../..");

/** `bun bench/compare.ts ARGS --out OUT`; throws with the end of stderr when it fails. */
export async function runCompare(args: readonly string[], out: string): Promise<{ stdout: string; stderr: string; report: Report }> {
  const cmd = [process.execPath, ...args, "--out", out];
  const argv = which("flock") ? ["flock", "/tmp/hello-bench.lock", ...cmd] : cmd;
  const proc = Bun.spawn(argv, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`compare exited ${code}:\n${stderr.slice(-3000)}`);
  return { stdout, stderr, report: JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as Report };
}
