/**
 * The cost of one libc call through each runtime's FFI, the syscall back
 * end's per-call overhead (its keep-alive path makes ~2 calls per request:
 * recv and send). Same cases on every runtime; compare a case with the
 * `abs` baseline of the same process, and the runtimes with each other
 * only when run back to back on an idle machine.
 *
 *   node bench/ffi.ts ... needs a TS loader; use the bundle instead:
 *   node_modules/.bin/esbuild bench/ffi.ts --bundle --platform=node --format=esm --external:bun:ffi \
 *     --external:koffi --outfile=node_modules/.cache/hello-server/ffi.mjs && node node_modules/.cache/hello-server/ffi.mjs
 *   node_modules/.bin/bun bench/ffi.ts
 *   node_modules/.bin/deno run -A bench/ffi.ts
 * (wrap each in `flock /tmp/hello-bench.lock` on the shared machine)
 * Option: --cpu   CPU time per call instead of mitata (readable on a loaded machine)
 *
 * Cases: abs(int) (no system call: the FFI's own cost), getpid() (the
 * cheapest system call), recv() into a 64 KiB Uint8Array on a socket with
 * no data (EAGAIN: the loop's call shape, a buffer parameter), and
 * recv() through the back end's Libc table (what the loop actually calls).
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { detectRuntime } from "../src/runtime.ts";
import { loadLibc } from "../src/io/ffi/libc.ts";
import * as K from "../src/io/constants.ts";
import { commandLine, readFlags } from "./lib/cli/flags.ts";

const MSG_DONTWAIT = 0x40;
const runtime = detectRuntime();
const libc = await loadLibc(runtime);
const raw = await loadRaw();
const fd = libc.socket(K.AF_INET, K.SOCK_STREAM | K.SOCK_NONBLOCK, 0);
const buffer = new Uint8Array(64 * 1024);
if (libc.recv(fd, buffer, buffer.length, MSG_DONTWAIT) !== -1) throw new Error("recv on an unconnected socket should fail");

interface Raw {
  abs(n: number): number;
  getpid(): number;
}

async function loadRaw(): Promise<Raw> {
  if (runtime === "bun") {
    const ffi = await import("bun:ffi");
    const { symbols } = ffi.dlopen("libc.so.6", { abs: { args: ["i32"], returns: "i32" }, getpid: { args: [], returns: "i32" } });
    return { abs: (n) => symbols.abs(n), getpid: () => symbols.getpid() };
  }
  if (runtime === "deno") {
    const deno = (globalThis as unknown as { Deno: { dlopen(p: string, s: object): { symbols: Record<string, (...a: number[]) => number> } } }).Deno;
    const { symbols } = deno.dlopen("libc.so.6", { abs: { parameters: ["i32"], result: "i32" }, getpid: { parameters: [], result: "i32" } });
    return { abs: (n) => symbols.abs!(n), getpid: () => symbols.getpid!() };
  }
  const { loadKoffi } = await import("../src/io/ffi/libc-node.ts");
  const koffi = await loadKoffi();
  const lib = koffi.load("libc.so.6");
  const abs = lib.func("abs", "int", ["int"]) as (n: number) => number;
  const getpid = lib.func("getpid", "int", []) as () => number;
  return { abs, getpid };
}

const { values: flags } = readFlags(commandLine(), { cpu: { type: "boolean" } }, "option: --cpu");

/**
 * `--cpu`: this process's CPU time (user + system) per call over 300k calls, second of two
 * rounds. Unlike mitata's wall time it does not count time spent preempted, so it stays
 * readable on a loaded machine; user time is the FFI's share, system time the kernel's.
 */
function cpuPerCall(name: string, call: () => unknown): void {
  const calls = 300_000;
  let line = "";
  for (let round = 0; round < 2; round++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) call();
    const t = process.cpuUsage(t0);
    line = `${name.padEnd(40)} user ${((t.user * 1000) / calls).toFixed(0).padStart(4)} ns  system ${((t.system * 1000) / calls).toFixed(0).padStart(4)} ns per call`;
  }
  console.log(line);
}

if (flags.cpu === true) {
  cpuPerCall(`${runtime}: abs(-5) (FFI only)`, () => raw.abs(-5));
  cpuPerCall(`${runtime}: getpid()`, () => raw.getpid());
  cpuPerCall(`${runtime}: recv() EAGAIN, Libc table`, () => libc.recv(fd, buffer, buffer.length, MSG_DONTWAIT));
  libc.close(fd);
  process.exit(0);
}

summary(() => {
  bench(`${runtime}: abs(-5) (FFI only)`, () => do_not_optimize(raw.abs(-5)));
  bench(`${runtime}: getpid()`, () => do_not_optimize(raw.getpid()));
  bench(`${runtime}: recv() EAGAIN, Libc table`, () => do_not_optimize(libc.recv(fd, buffer, buffer.length, MSG_DONTWAIT)));
});
await run({ colors: false });
libc.close(fd);
