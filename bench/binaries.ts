/**
 * Size and start-to-first-response of the compiled executables, against the
 * bundle run by each runtime in the same session:
 *
 *   npm run build && bun build.ts --runtime all        # the binaries this machine can build
 *   flock /tmp/hello-bench.lock node_modules/.bin/bun bench/binaries.ts [--rounds 3] [--runs 10]
 *
 * Start to first response: spawn with `--port 0 --host 127.0.0.1`, read the
 * listening line, one GET / that must answer "hello"; the time from spawn to
 * the end of that response. Each command is run `runs` times per round (after
 * one unmeasured run that warms the page cache), the commands alternate
 * round by round (A B C, A B C, ...), and we print the median of all runs.
 */
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { commandLine, integer, readFlags } from "./lib/cli/flags.ts";

const ROOT = join(import.meta.dir, "..");
const bin = (name: string) => join(ROOT, "node_modules", ".bin", name);
const BUNDLE = join(ROOT, "dist", "hello-server.js");

const { values: flags } = readFlags(commandLine(), { rounds: { type: "string" }, runs: { type: "string" } }, "options: --rounds N --runs N");
const ROUNDS = integer("rounds", flags.rounds, 3);
const RUNS = integer("runs", flags.runs, 10);

interface Target {
  name: string;
  /** The file whose size we report. */
  file: string;
  argv: string[];
}

const targets: Target[] = [
  { name: "./hello-server (bun --compile)", file: join(ROOT, "hello-server"), argv: [join(ROOT, "hello-server")] },
  { name: "./hello-server-node (Node SEA)", file: join(ROOT, "hello-server-node"), argv: [join(ROOT, "hello-server-node")] },
  { name: "./hello-server-deno (deno compile)", file: join(ROOT, "hello-server-deno"), argv: [join(ROOT, "hello-server-deno")] },
  { name: "bun dist/hello-server.js", file: BUNDLE, argv: [bin("bun"), BUNDLE] },
  { name: "node dist/hello-server.js", file: BUNDLE, argv: ["node", BUNDLE] },
  { name: "deno run dist/hello-server.js", file: BUNDLE, argv: [bin("deno"), "run", "-A", "--unstable-net", BUNDLE] },
].filter((t) => existsSync(t.file));

function firstResponseMs(argv: readonly string[], workers: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, [...argv.slice(1), "--port", "0", "--host", "127.0.0.1", "--workers", workers], { stdio: ["ignore", "ignore", "pipe"] });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${argv.join(" ")}: no response within 15 s`));
    }, 15_000);
    let stderr = "";
    let asked = false;
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (match === null || asked) return;
      asked = true;
      const req = request({ host: "127.0.0.1", port: Number(match[1]), path: "/", agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => {
          const ms = performance.now() - t0;
          clearTimeout(timer);
          child.once("exit", () => (body === "hello" ? resolve(ms) : reject(new Error(`body ${JSON.stringify(body)}`))));
          child.kill("SIGTERM");
        });
      });
      req.on("error", reject);
      req.end();
    });
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

console.log(`## sizes`);
for (const t of targets) {
  const bytes = statSync(t.file).size;
  console.log(`${t.name}: ${bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`}`);
}

for (const workers of ["1", "auto"]) {
  console.log(`\n## start to first response, --workers ${workers} (ms; median of ${ROUNDS}×${RUNS}, min-max)`);
  const times = new Map<Target, number[]>(targets.map((t) => [t, []]));
  for (const t of targets) await firstResponseMs(t.argv, workers);
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) for (let i = 0; i < RUNS; i++) times.get(t)!.push(await firstResponseMs(t.argv, workers));
  }
  for (const [t, xs] of times) console.log(`${t.name}: ${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`);
}
