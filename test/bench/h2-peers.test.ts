/**
 * The HTTP/2 peers each start, answer one request over h2c with prior
 * knowledge and over h2 by ALPN (curl), with hello-server's fields, and
 * give the h2load runner a valid 0.5-second run: Bun.serve http2,
 * Deno.serve, node:http2, nginx `listen … http2` and h2o where installed;
 * the node:http2 gRPC health peer answers the runner's gRPC mode, and a
 * GET it refuses with 415 is an invalid run. Correctness only.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { h2oCommand } from "../../bench/h2/h2o.ts";
import { H2LOAD_DEFAULTS, runH2load, type H2loadOptions } from "../../bench/h2/h2load.ts";
import { nginxH2Command } from "../../bench/h2/nginx.ts";
import { makeBenchCert } from "../../bench/lib/servers/tls.ts";
import { freePort } from "../../bench/lib/servers/host.ts";
import { BUN, bundleForNode, curl, DENO, startAnnounced, startOnPort, type Peer } from "./h2-spawn.ts";

const tmp = mkdtempSync(join(tmpdir(), "hello-h2-peers-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cert = makeBenchCert(tmp);
const tlsArgs = ["--tls-cert", cert.cert, "--tls-key", cert.key];
const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((p) => existsSync(p));
const H2O = existsSync("/usr/bin/h2o") ? "/usr/bin/h2o" : undefined;

interface PeerKind {
  name: string;
  start(tls: boolean): Promise<Peer>;
  /** The server field it sends (nginx cannot be told another without a module). */
  server: string;
}

let seq = 0;
const onPort = async (argv: (port: number, dir: string) => string[]) => {
  const port = await freePort();
  return startOnPort(argv(port, join(tmp, `c${++seq}`)), port);
};

const KINDS: PeerKind[] = [
  { name: "Bun.serve http2", server: "hello-server", start: (tls) => startAnnounced([BUN, "bench/native/h2-bun.ts", "--port", "0", ...(tls ? tlsArgs : [])]) },
  { name: "Deno.serve", server: "hello-server", start: (tls) => startAnnounced([DENO, "run", "-A", "bench/native/h2-deno.ts", "--port", "0", ...(tls ? tlsArgs : [])]) },
  { name: "node:http2", server: "hello-server", start: (tls) => startAnnounced(["node", bundleForNode("h2-node", tmp), "--port", "0", ...(tls ? tlsArgs : [])]) },
  ...(NGINX ? [{ name: "nginx http2", server: "nginx", start: (tls: boolean) => onPort((port, dir) => nginxH2Command(NGINX, dir, port, "hello", tls ? cert : null)) }] : []),
  ...(H2O ? [{ name: "h2o", server: "hello-server", start: (tls: boolean) => onPort((port, dir) => h2oCommand(H2O, dir, port, "hello", tls ? cert : null)) }] : []),
];

const SHORT = { ...H2LOAD_DEFAULTS, connections: 4, streams: 8, durationS: 0.5, warmupS: 0.2, grpc: false };

describe.each([false, true])("tls %p", (tls) => {
  for (const kind of KINDS) {
    test(`${kind.name}: one ${tls ? "h2" : "h2c"} exchange with hello-server's fields, and a valid short h2load run`, async () => {
      const peer = await kind.start(tls);
      try {
        const url = `${tls ? "https" : "http"}://127.0.0.1:${peer.port}/`;
        const a = curl(tls ? ["-k", "--http2", url] : ["--http2-prior-knowledge", url]);
        expect([a.status, a.body, a.fields.get("server"), a.fields.get("content-type"), a.fields.get("content-length")])
          .toEqual(["HTTP/2 200", "hello", kind.server, "text/plain; charset=utf-8", "5"]);
        expect(a.fields.get("date")).toMatch(/GMT$/);
        const r = await runH2load({ ...SHORT, url, serverPids: [peer.pid] });
        expect(r.invalidReasons).toEqual([]);
        expect(r.counts.protocol).toBe(tls ? "h2" : "h2c");
        expect(r.counts.status["2xx"]).toBeGreaterThan(100);
        expect(r.cpuUsPerRequest).not.toBeNull();
      } finally {
        await peer.stop();
      }
    }, 60_000);
  }
});

test("gRPC mode: unary health Check against the node:http2 gRPC peer is valid; a plain GET it refuses (415) is not", async () => {
  const peer = await startAnnounced(["node", bundleForNode("h2-node-grpc", tmp), "--port", "0"]);
  try {
    const url = `http://127.0.0.1:${peer.port}/`;
    const base: H2loadOptions = { ...SHORT, url, serverPids: [peer.pid] };
    const grpc = await runH2load({ ...base, grpc: true });
    expect(grpc.invalidReasons).toEqual([]);
    expect(grpc.counts.status["2xx"]).toBeGreaterThan(100);
    expect(grpc.command).toContain("content-type: application/grpc");
    const plain = await runH2load({ ...base, warmupS: 0 });
    expect(plain.valid).toBe(false);
    expect(plain.invalidReasons.join("; ")).toMatch(/\d+ answers not 2xx/);
    expect(plain.counts.status["4xx"]).toBe(plain.counts.done);
  } finally {
    await peer.stop();
  }
}, 60_000);
