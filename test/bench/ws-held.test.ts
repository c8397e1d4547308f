/**
 * bench/ws/held.ts end to end at 50 connections on the real bundle: every WebSocket handshake
 * is accepted (a refused or wrong one exits non-zero), both rows and the difference line are
 * printed, and both servers it started are gone when it exits. No memory figure is asserted:
 * at 50 connections RSS moves in pages and fixed costs.
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { connect, createServer } from "node:net";
import { BUNDLE, ROOT } from "../helpers/server.ts";

/** A port p with p and p + 1 both free a moment ago (the script's two servers take them). */
async function freePair(): Promise<number> {
  const listens = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
  for (let i = 0; i < 20; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await listens(port)) && (await listens(port + 1))) return port;
  }
  throw new Error("no two adjacent free ports in 20 tries");
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(false)));
    s.on("error", () => resolve(true));
  });

test("50 idle WebSockets against 50 idle keep-alive connections, servers stopped after", async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
  const port = await freePair();
  const proc = Bun.spawn([process.execPath, "bench/ws/held.ts", "--connections", "50", "--port", String(port), "--bundle", BUNDLE], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  try {
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect(err).toBe("");
    expect(code).toBe(0);
    const rows = out.split("\n").filter((l) => /^\| bun \| socket \| /.test(l));
    expect(rows.map((r) => r.split("|")[3]!.trim())).toEqual(["WebSocket idle", "HTTP/1.1 idle"]);
    for (const r of rows) expect(r).toMatch(/\| 50 \| -?\d+\.\d MiB \| -?\d+ B \|$/);
    expect(out).toMatch(/WebSocket − HTTP\/1\.1 per idle connection: [+-]\d+ B \(goal ≤ \+1024 B: (met|missed)\)/);
    expect([await refused(port), await refused(port + 1)]).toEqual([true, true]);
  } finally {
    proc.kill();
  }
}, 30_000);
