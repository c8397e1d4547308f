/**
 * compare's TLS server kinds start and answer over HTTPS with the same bytes: hello-server
 * TLS on each runtime, Bun.serve tls, Deno.serve cert/key, node:https and nginx ssl, all on one
 * ECDSA P-256 certificate (bench/lib/servers/tls.ts). One request each, no load. Needs
 * dist/hello-server.js, openssl; nginx where installed.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { probe } from "../../bench/lib/servers/probe.ts";
import { discoverRuntimes } from "../../bench/lib/servers/runtimes.ts";
import { expandInstances, launch, SERVER_KINDS, type LaunchContext } from "../../bench/lib/servers/kinds.ts";
import { bundleNatives } from "../../bench/lib/servers/natives.ts";
import { makeBenchCert } from "../../bench/lib/servers/tls.ts";
import { runsOn } from "../../bench/lib/types.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
const tmp = mkdtempSync(join(tmpdir(), "hello-tls-kinds-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


const nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => Bun.file(p).size > 0);

test("TLS kinds are exactly the -tls ones, and runsOn pairs them with the TLS scenarios", () => {
  expect(SERVER_KINDS.filter((k) => k.tls).map((k) => k.id)).toEqual(["hello-tls", "native-tls", "nginx-tls"]);
  const kind = (id: string) => SERVER_KINDS.find((k) => k.id === id)!;
  expect(runsOn("tls-close", kind("hello-tls"))).toBe(true);
  expect(runsOn("tls-close", kind("hello"))).toBe(false);
  expect(runsOn("keepalive", kind("nginx-tls"))).toBe(false);
  expect(runsOn("keepalive", kind("nginx"))).toBe(true);
});

test("every TLS server answers over HTTPS, with the same bytes on every server", async () => {
  const ctx: Omit<LaunchContext, "port" | "runtime"> = {
    workers: 1, bundle: join(ROOT, "dist/hello-server.js"), natives: bundleNatives(tmp), nginx, tmp, body: "hello", prefix: [], maxConnections: 64, tls: makeBenchCert(tmp),
  };
  const { found } = discoverRuntimes([]);
  // The HTTPS/1.1 kinds (the h2-only TLS peers are test/bench/compare-protocols' and h2-peers').
  const instances = expandInstances(found).filter((i) => runsOn("tls-keepalive", i.kind) && (i.kind.id !== "nginx-tls" || nginx !== undefined));
  expect(instances.length).toBeGreaterThanOrEqual(found.length * 2);
  const sizes = new Map<string, number>();
  for (const inst of instances) {
    const server = await launch(inst, ctx, "0-1023");
    try {
      const keep = await probe(server.port, { tls: true });
      const close = await probe(server.port, { tls: true, close: true });
      expect([inst.label, keep.status, keep.body]).toEqual([inst.label, 200, "hello"]);
      expect(close.status).toBe(200);
      sizes.set(inst.label, keep.size);
      // Plain HTTP is not what this port serves.
      const plain = await probe(server.port, { timeoutMs: 1500 }).then((r) => `${r.status} ${r.head.split("\r\n")[0]}`, () => "refused");
      expect([inst.label, plain]).toEqual([inst.label, expect.stringMatching(/^refused|^400 /)]);
    } finally {
      await server.stop();
    }
  }
  console.log([...sizes].map(([k, v]) => `${k}: ${v} bytes`).join("\n"));
}, 120_000);
