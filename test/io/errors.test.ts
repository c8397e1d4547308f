/** Where `--io syscall` cannot run, and how its failures read. In-process on Bun. */
import { expect, test } from "bun:test";
import type { ConnectionHandler } from "../../src/contract/socket.ts";
import { syscallUnavailableReason } from "../../src/io/available.ts";
import { describeErrno, SyscallError } from "../../src/io/errno.ts";
import { encodeSockaddr } from "../../src/io/listen.ts";
import { runSyscallServer } from "../../src/io/epoll/loop.ts";
import { RateLimitedWarning } from "../../src/io/rate-limit.ts";
import { koffiInstalled } from "./harness.ts";

const nothing: ConnectionHandler<null> = { open: () => null, data() {}, drain() {}, end() {}, close() {} };
const hooks = { tick() {}, nextTimeout: () => 1000 };
const options = { host: "127.0.0.1", port: 0, backlog: 16, reusePort: false, eager: true, runtime: "bun" as const };

test("non-Linux and non-x86_64 are refused with a reason; Bun and Deno on Linux x86_64 are not", () => {
  expect(syscallUnavailableReason("bun", "darwin", "arm64")).toContain("this is darwin");
  expect(syscallUnavailableReason("node", "win32", "x64")).toContain("this is win32");
  expect(syscallUnavailableReason("deno", "linux", "arm64")).toContain("this is arm64");
  expect(syscallUnavailableReason("bun", "linux", "x64")).toBeNull();
  expect(syscallUnavailableReason("deno", "linux", "x64")).toBeNull();
});

test.skipIf(!koffiInstalled())("Node on Linux x86_64 can run it where koffi (an optional dependency) is installed", () => {
  expect(syscallUnavailableReason("node", "linux", "x64")).toBeNull();
});

test("the accept warning: one line per interval, and the next line counts the ones held back", () => {
  const lines: string[] = [];
  const warning = new RateLimitedWarning(5000, (line) => lines.push(line));
  for (let t = 0; t < 12_000; t += 100) warning.warn(t, "accept4 failed: EMFILE");
  expect(lines).toEqual([
    "accept4 failed: EMFILE",
    "accept4 failed: EMFILE (49 more since the last such line, 5 s ago)",
    "accept4 failed: EMFILE (49 more since the last such line, 5 s ago)",
  ]);
});

test("sockaddr encoding: IPv4, IPv6, localhost; host names are refused", () => {
  expect([...encodeSockaddr("127.0.0.1", 8080).subarray(0, 8)]).toEqual([2, 0, 0x1f, 0x90, 127, 0, 0, 1]);
  const v6 = encodeSockaddr("::1", 80);
  expect(v6.length).toBe(28);
  expect(v6[0]).toBe(10);
  expect(v6[8 + 15]).toBe(1);
  expect(encodeSockaddr("localhost", 1)[4]).toBe(127);
  expect(() => encodeSockaddr("example.com", 1)).toThrow("IP addresses only");
  expect(() => encodeSockaddr("1.2.3.256", 1)).toThrow();
});

test("errno values read as words", () => {
  expect(describeErrno(98)).toContain("EADDRINUSE");
  expect(describeErrno(9999)).toBe("errno 9999");
  expect(new SyscallError("bind", 13, "0.0.0.0:80").message).toBe(
    "bind 0.0.0.0:80 failed: EACCES (permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE))",
  );
});

test("a port in use fails with EADDRINUSE, and stop() ends the loop", async () => {
  const first = await runSyscallServer(options, nothing, hooks);
  try {
    await expect(runSyscallServer({ ...options, port: first.port }, nothing, hooks)).rejects.toThrow(
      `bind 127.0.0.1:${first.port} failed: EADDRINUSE`,
    );
  } finally {
    first.stop();
  }
  await first.closed;
});
