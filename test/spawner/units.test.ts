import { expect, test } from "bun:test";
import { parseCmdline, portSharing, workerCommand } from "../../src/spawner/command.ts";
import { encodeMessage, MessageReader } from "../../src/spawner/protocol.ts";
import { judgeListeners, parseTcpTable, probeHost } from "../../src/spawner/spread.ts";

test("workerCommand: /proc/self/cmdline wins, with argv[0] replaced by the resolved executable", () => {
  const base = { execArgv: [], argv: [] };
  expect(
    workerCommand({ ...base, runtime: "deno", execPath: "/opt/deno", cmdline: ["deno", "run", "-A", "--unstable-net", "dist/hello-server.js", "--port", "80"] }),
  ).toEqual({ file: "/opt/deno", args: ["run", "-A", "--unstable-net", "dist/hello-server.js", "--port", "80"] });
  expect(workerCommand({ ...base, runtime: "bun", execPath: "/srv/hello-server", cmdline: ["./hello-server", "--workers", "4"] })).toEqual({
    file: "/srv/hello-server",
    args: ["--workers", "4"],
  });
});

test("workerCommand without /proc: rebuilt from each runtime's view", () => {
  // node with runtime flags
  expect(
    workerCommand({ runtime: "node", execPath: "/usr/bin/node", execArgv: ["--max-old-space-size=64"], argv: ["/usr/bin/node", "/app/hs.js", "--port", "1"] }),
  ).toEqual({ file: "/usr/bin/node", args: ["--max-old-space-size=64", "/app/hs.js", "--port", "1"] });
  // bun --compile: argv[1] is the embedded entry
  expect(workerCommand({ runtime: "bun", execPath: "/srv/hs", execArgv: [], argv: ["bun", "/$bunfs/root/hs", "--quiet"] })).toEqual({
    file: "/srv/hs",
    args: ["--quiet"],
  });
  // Node SEA: argv[1] repeats the executable
  expect(workerCommand({ runtime: "node", execPath: "/srv/hs-node", execArgv: ["--no-warnings"], argv: ["/srv/hs-node", "/srv/hs-node", "--quiet"] })).toEqual({
    file: "/srv/hs-node",
    args: ["--quiet"],
  });
  // deno run: the script and Deno.args, with permissions it cannot read back
  expect(
    workerCommand({ runtime: "deno", execPath: "/opt/deno", execArgv: [], argv: [], denoMainModule: "file:///app/hs.js", denoArgs: ["--port", "1"] }),
  ).toEqual({ file: "/opt/deno", args: ["run", "-A", "--unstable-net", "/app/hs.js", "--port", "1"] });
});

test("parseCmdline splits at NUL and drops the terminator", () => {
  expect(parseCmdline("node\0hs.js\0--body\0\0")).toEqual(["node", "hs.js", "--body", ""]);
});

test("portSharing: SO_REUSEPORT except on Node before 22.12 / 23.1", () => {
  expect(portSharing("bun", "1.4.5")).toBe("reuseport");
  expect(portSharing("deno", "2.9.6")).toBe("reuseport");
  expect(portSharing("node", "20.20.2")).toBe("cluster");
  // --io syscall sets SO_REUSEPORT through libc, whatever Node's own net supports.
  expect(portSharing("node", "20.20.2", "syscall")).toBe("reuseport");
  expect(portSharing("node", "22.11.0")).toBe("cluster");
  expect(portSharing("node", "22.12.0")).toBe("reuseport");
  expect(portSharing("node", "23.0.0")).toBe("cluster");
  expect(portSharing("node", "23.1.0")).toBe("reuseport");
  expect(portSharing("node", "24.0.0")).toBe("reuseport");
});

test("MessageReader reassembles lines split across chunks and ignores foreign output", () => {
  const r = new MessageReader();
  const line = encodeMessage({ kind: "ready", port: 8000 });
  expect(r.push("some debug print\n" + line.slice(0, 10))).toEqual([]);
  expect(r.push(line.slice(10) + encodeMessage({ kind: "fatal", message: "x y" }))).toEqual([
    { kind: "ready", port: 8000 },
    { kind: "fatal", message: "x y" },
  ]);
  expect(r.push('hello-server-worker {"kind":"ready"}\n')).toEqual([]);
});

// Two listeners on port 8000 (0x1F40), one connection accepted, one still queued (inode 0).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F40 0100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1F40 0100007F:A001 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0000000000000000 20 4 30 10 -1
`;

test("parseTcpTable", () => {
  expect(parseTcpTable(TCP)).toEqual([
    { localPort: 8000, remotePort: 0, state: 0x0a, inode: 111 },
    { localPort: 8000, remotePort: 0, state: 0x0a, inode: 222 },
    { localPort: 8000, remotePort: 0xa000, state: 0x01, inode: 333 },
    { localPort: 8000, remotePort: 0xa001, state: 0x01, inode: 0 },
  ]);
});

test("judgeListeners: SO_REUSEPORT needs one socket per worker; a cluster shares one", () => {
  const listening = new Set([111, 222]);
  expect(judgeListeners(listening, new Map([[1, new Set([111, 5])], [2, new Set([222])]]), "reuseport").ok).toBe(true);
  // Both workers hold the same socket: SO_REUSEPORT is not in effect.
  expect(judgeListeners(listening, new Map([[1, new Set([111])], [2, new Set([111])]]), "reuseport")).toEqual({
    ok: false,
    text: "2 workers hold only 1 distinct listening sockets (SO_REUSEPORT not in effect)",
  });
  expect(judgeListeners(listening, new Map([[1, new Set([111])], [2, new Set([111])]]), "cluster").ok).toBe(true);
  expect(judgeListeners(listening, new Map([[1, new Set([111])], [2, new Set([7])]]), "cluster")).toEqual({
    ok: false,
    text: "worker 2 holds no listening socket on the port",
  });
});

test("probeHost: wildcard binds are probed on loopback", () => {
  expect(probeHost("0.0.0.0")).toBe("127.0.0.1");
  expect(probeHost("::")).toBe("::1");
  expect(probeHost("10.0.0.5")).toBe("10.0.0.5");
});
