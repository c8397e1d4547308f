/**
 * docs/test-backend.md's recipes, run for real: each ```sh block marked `<!-- recipe: NAME -->`
 * is run line by line in a scratch directory holding the page's nginx.conf and a link to
 * ./hello-server. A line ending in `&` starts a process (stopped after its recipe; nginx, which the
 * page starts once for every recipe after it, at the end) and waits until
 * the ports it names (`--port N`, or nginx's `listen` lines) accept connections; any other line
 * runs in bash, and what it prints (lines joined with ", ", spaces squeezed) must equal its
 * `# → …` comment. Every port on the page is swapped for a free one: 8000 may be taken here.
 *
 * Needs ./hello-server (`npm run build`) and nginx and curl on PATH.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { waitForPort } from "../helpers/server.ts";
import { freePort } from "../../bench/lib/servers/host.ts";

const ROOT = resolve(import.meta.dir, "../..");
const PAGE = readFileSync(join(ROOT, "docs/test-backend.md"), "utf8");
const BINARY = join(ROOT, "hello-server");
/** The ports the page uses: 80xx for servers and nginx, 99xx for admin listeners. */
const PORT = /\b(80\d\d|99\d\d)\b/g;

const recipes = Array.from(PAGE.matchAll(/<!-- recipe: ([\w-]+) -->\n```sh\n([\s\S]*?)```/g), (m) => ({ name: m[1]!, body: m[2]! }));
const files = Array.from(PAGE.matchAll(/<!-- recipe-file: ([\w.-]+) -->\n```\w*\n([\s\S]*?)```/g), (m) => ({ name: m[1]!, body: m[2]! }));

const dir = mkdtempSync(join(tmpdir(), "hello-test-backend-"));
const started: ChildProcess[] = [];
const kept: ChildProcess[] = [];

/** Stops the process group of each `&` line in `list` (nginx's workers, a supervisor's). */
function stopAll(list: ChildProcess[]): void {
  for (const child of list.splice(0)) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

afterAll(() => {
  stopAll(started);
  stopAll(kept);
  rmSync(dir, { recursive: true, force: true });
});

describe("docs/test-backend.md", () => {
  test("the page has its recipes and the nginx configuration", () => {
    expect(recipes.map((r) => r.name)).toEqual(["retries", "outlier-detection", "slow-backend", "admin-unready", "canary"]);
    expect(files.map((f) => f.name)).toEqual(["nginx.conf"]);
    expect(existsSync(BINARY)).toBe(true);
  });

  let ports: Map<string, string> | undefined;
  const swap = (text: string): string => text.replace(PORT, (p) => ports!.get(p)!);

  for (const recipe of recipes) {
    test(`recipe ${recipe.name}`, async () => {
      if (ports === undefined) {
        const used = [...new Set([...PAGE.matchAll(PORT)].map((m) => m[1]!))];
        ports = new Map(await Promise.all(used.map(async (p) => [p, String(await freePort())] as const)));
        for (const f of files) writeFileSync(join(dir, f.name), swap(f.body));
        symlinkSync(BINARY, join(dir, "hello-server"));
      }
      const nginxPorts = Array.from(swap(files[0]!.body).matchAll(/listen 127\.0\.0\.1:(\d+);/g), (m) => Number(m[1]));
      try {
        for (const raw of swap(recipe.body).split("\n").filter((l) => l.trim() !== "")) {
          const at = raw.indexOf("# →");
          const line = (at < 0 ? raw : raw.slice(0, at)).trim();
          const expected = at < 0 ? null : raw.slice(at + 3).trim();
          if (line.endsWith("&")) {
            const child = spawn("bash", ["-c", `exec ${line.slice(0, -1).trim()}`], { cwd: dir, stdio: ["ignore", "ignore", "pipe"], detached: true });
            (/\bnginx\b/.test(line) ? kept : started).push(child);
            let stderr = "";
            child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
            const listens = /\bnginx\b/.test(line) ? nginxPorts : [Number(/--port (\d+)/.exec(line)![1])];
            const admin = /--admin-port (\d+)/.exec(line);
            if (admin !== null) listens.push(Number(admin[1]));
            for (const p of listens) await waitForPort(p, 10_000).catch((e: Error) => Promise.reject(new Error(`${line}: ${e.message}; stderr: ${stderr}`)));
            continue;
          }
          const r = spawnSync("bash", ["-c", line], { cwd: dir, encoding: "utf8", timeout: 30_000 });
          const got = r.stdout.trim().split("\n").map((l) => l.trim().replace(/\s+/g, " ")).join(", ");
          if (expected !== null) expect({ line, got }).toEqual({ line, got: expected });
          else expect({ line, status: r.status }).toEqual({ line, status: 0 });
        }
      } finally {
        stopAll(started);
      }
    }, 60_000);
  }
});
