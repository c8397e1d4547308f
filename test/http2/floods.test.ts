/**
 * Each flood client (floods.ts, clients/) against the node:net harness: it ends
 * as its spec says (the right GOAWAY code, or the connection alive with the
 * right answers), another client is served while it runs and after it, and the
 * harness process's resident memory grows by no more than a stated bound.
 */
import { describe, expect, test } from "bun:test";
import { execFile, spawnSync } from "node:child_process";
import type { Http2Options } from "../../src/http2/types.ts";
import { FLOODS, floodProblems, HAS_CLIENT_DEPS, runFlood, type FloodName } from "./floods.ts";
import { startH2Server } from "./harness.ts";

const HAS_CURL = spawnSync("sh", ["-c", "command -v curl"]).status === 0;
/** RSS growth allowed across one flood: the harness keeps at most one connection's budgets and buffers per flood. */
const RSS_BOUND = 64 << 20;

/** Harness limits per flood: the zero-window stall is cut after the idle timeout, short here to keep the test short. */
const HARNESS: Partial<Record<FloodName, Partial<Http2Options>>> = {
  zero_window: { idleTimeoutMs: 1000 },
};

function curl(port: number): Promise<string> {
  return new Promise((resolve) => {
    execFile("curl", ["-sS", "--max-time", "5", "--http2-prior-knowledge", `http://127.0.0.1:${port}/`], { encoding: "utf8" }, (_e, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

function rss(): number {
  (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
  return process.memoryUsage().rss;
}

describe.skipIf(!HAS_CLIENT_DEPS)("flood clients against the harness", () => {
  for (const name of Object.keys(FLOODS) as FloodName[]) {
    test(`${name}: ${FLOODS[name].title}`, async () => {
      const server = await startH2Server(HARNESS[name] ?? {});
      try {
        const before = rss();
        const flood = runFlood(name, "127.0.0.1", server.port);
        const during = HAS_CURL ? await curl(server.port) : "hello";
        const result = await flood;
        const after = HAS_CURL ? await curl(server.port) : "hello";
        const grown = rss() - before;
        console.log(`${name}: ${JSON.stringify(result)} rss +${(grown / 1048576).toFixed(1)} MiB`);
        expect(floodProblems(name, result)).toEqual([]);
        expect(during).toBe("hello");
        expect(after).toBe("hello");
        expect(grown).toBeLessThan(RSS_BOUND);
      } finally {
        await server.close();
      }
    }, 30_000);
  }
});
