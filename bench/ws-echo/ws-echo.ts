/**
 * WebSocket echo load: N connections, each with one 32-byte text message
 * in flight, masked as a browser masks it; messages per second and, given
 * the server's pids, server CPU µs per echoed message. Runs on Bun (epoll
 * over bun:ffi). The client is bench/ws-echo/client.ts.
 *
 * Usage: flock /tmp/hello-bench.lock taskset -c 1 bun bench/ws-echo/ws-echo.ts \
 *          --url ws://127.0.0.1:8000/ws [--connections 64] [--size 32] [--warmup 1] [--duration 5]
 *          [--drain 2] [--pid PID]... [--json]
 * Prints a summary on stderr and one `WS_ECHO_RESULT {json}` line on
 * stdout; --json prints only that line. Exit 0 even for an invalid run
 * (the result says why); 1 when it could not run (no server, bad flags).
 */
import { integer, positive, readFlags } from "../lib/cli/flags.ts";
import { runWsEcho, WS_ECHO_DEFAULTS, type WsEchoOptions } from "./client.ts";
import { MAX_MESSAGE } from "./frames.ts";
import { WS_ECHO_MARK, type WsEchoResult } from "./result.ts";

const D = WS_ECHO_DEFAULTS;
export const USAGE = `Usage: bun bench/ws-echo/ws-echo.ts --url ws://HOST:PORT/PATH [options]
  --connections N   connections, one message in flight each (default ${D.connections})
  --size N          bytes of each text message, 1 to ${MAX_MESSAGE} (default ${D.messageBytes})
  --warmup S        seconds of echoes before the measured window, not counted (default ${D.warmupS}; 0 for none)
  --duration S      seconds of the measured window (default ${D.durationS})
  --drain S         seconds after the window to await echoes in flight (default ${D.drainS})
  --pid PID         a server process to measure (with its descendants); repeat for several
  --json            only the WS_ECHO_RESULT line
`;

export function parseWsEchoArgs(argv: readonly string[]): { options: WsEchoOptions; json: boolean; help: boolean } {
  const { values: v } = readFlags(argv, {
    url: { type: "string" }, connections: { type: "string" }, size: { type: "string" }, warmup: { type: "string" },
    duration: { type: "string" }, drain: { type: "string" }, pid: { type: "string", multiple: true }, json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  }, USAGE);
  const help = v.help === true;
  if (!help && v.url === undefined) throw new Error(`--url is required\n\n${USAGE}`);
  return {
    help,
    json: v.json === true,
    options: {
      url: v.url ?? "",
      connections: integer("connections", v.connections, D.connections),
      messageBytes: integer("size", v.size, D.messageBytes),
      warmupS: v.warmup === "0" ? 0 : positive("warmup", v.warmup, D.warmupS),
      durationS: positive("duration", v.duration, D.durationS),
      drainS: positive("drain", v.drain, D.drainS),
      serverPids: (v.pid ?? []).map((p) => integer("pid", p, 0)),
    },
  };
}

const fixed = (n: number | null, digits: number) => (n === null ? "—" : n.toFixed(digits));

/** The human summary (stderr). */
export function describeWsEcho(r: WsEchoResult): string {
  const t = r.roundTripUs;
  return [
    `${r.url} echo, ${r.connections} connections × 1 message of ${r.messageBytes} bytes, ${r.warmupS} s warm-up + ${r.durationS} s`,
    `  ${r.messages} messages in ${(r.windowUs / 1e6).toFixed(3)} s: ${Math.round(r.messagesPerS)} messages/s (${r.echoed} echoed in all)`,
    `  server CPU ${fixed(r.cpuUsPerMessage, 2)} µs per message (${r.serverPids.length > 0 ? `pids ${r.serverPids.join(",")}` : "no --pid given"}); generator CPU ${((100 * r.generatorCpuUs) / r.wallUs).toFixed(0)}%`,
    `  round trip µs: p50 ${t.p50}  p90 ${t.p90}  p99 ${t.p99}  max ${t.max}`,
    r.valid ? "  VALID" : `  INVALID: ${r.invalidReasons.join("; ")}`,
  ].join("\n");
}

if (import.meta.main) {
  try {
    const { options, json, help } = parseWsEchoArgs(process.argv.slice(2));
    if (help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const result = await runWsEcho(options);
    if (!json) process.stderr.write(`${describeWsEcho(result)}\n`);
    process.stdout.write(`${WS_ECHO_MARK}${JSON.stringify(result)}\n`);
    process.exit(0);
  } catch (e) {
    process.stderr.write(`ws-echo: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
