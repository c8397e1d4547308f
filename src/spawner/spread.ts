/**
 * Checks, from outside, that port sharing really works: each worker holds a
 * listening socket on the port, and test connections land on more than one
 * worker. A runtime that silently ignored SO_REUSEPORT would otherwise leave
 * N-1 workers idle. Linux only: it reads /proc (sockets in
 * /proc/net/tcp{,6}, a process's sockets as `socket:[INODE]` links in
 * /proc/PID/fd); elsewhere the check is skipped.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect, type Socket } from "node:net";
import type { Sharing } from "./command.ts";

/** include/net/tcp_states.h */
const TCP_ESTABLISHED = 0x01;
const TCP_LISTEN = 0x0a;

export interface TcpRow {
  readonly localPort: number;
  readonly remotePort: number;
  readonly state: number;
  /** 0 for a connection still in the accept queue: no process holds it yet. */
  readonly inode: number;
}

/** Rows of /proc/net/tcp or /proc/net/tcp6 (proc(5)): "sl local rem st tx:rx tr:when retr uid timeout inode ...". */
export function parseTcpTable(text: string): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = f[1]!;
    const remote = f[2]!;
    rows.push({
      localPort: parseInt(local.slice(local.lastIndexOf(":") + 1), 16),
      remotePort: parseInt(remote.slice(remote.lastIndexOf(":") + 1), 16),
      state: parseInt(f[3]!, 16),
      inode: Number(f[9]),
    });
  }
  return rows;
}

/** Inodes of the sockets a process holds, from its /proc/PID/fd links. */
export function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(Number(m[1]));
    } catch {
      // Closed between readdir and readlink.
    }
  }
  return inodes;
}

function tcpRows(): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    try {
      rows.push(...parseTcpTable(readFileSync(file, "utf8")));
    } catch {
      // No IPv6 (or no IPv4) in this kernel.
    }
  }
  return rows;
}

/** Whether some socket already listens on `port` (any address): explains a bare "failed to listen". */
export function portHasListener(port: number): boolean {
  return tcpRows().some((r) => r.localPort === port && r.state === TCP_LISTEN);
}

export interface SpreadResult {
  /** false: workers would sit idle; the supervisor must not carry on. */
  readonly ok: boolean;
  /** One line for stderr. */
  readonly text: string;
}

/** Connections per worker for the spread check: enough that all landing on one of N workers by chance is below 2^-15. */
const PROBES_PER_WORKER = 8;
const MIN_PROBES = 16;
/** How long accepted probes may take to show up in the workers' fd tables. */
const PROBE_DEADLINE_MS = 2000;
const POLL_MS = 5;

/** Judges the listening sockets each worker holds (pure; separated for tests). */
export function judgeListeners(
  listening: ReadonlySet<number>,
  held: ReadonlyMap<number, ReadonlySet<number>>,
  sharing: Sharing,
): { ok: boolean; text: string } {
  const owners = new Map<number, number>();
  for (const [pid, inodes] of held) {
    const mine = [...inodes].filter((i) => listening.has(i));
    if (mine.length === 0) return { ok: false, text: `worker ${pid} holds no listening socket on the port` };
    for (const i of mine) owners.set(i, (owners.get(i) ?? 0) + 1);
  }
  if (sharing === "reuseport" && owners.size !== held.size) {
    return { ok: false, text: `${held.size} workers hold only ${owners.size} distinct listening sockets (SO_REUSEPORT not in effect)` };
  }
  const kind = sharing === "reuseport" ? "its own SO_REUSEPORT socket" : "the shared cluster socket";
  return { ok: true, text: `${held.size} workers, each with ${kind}` };
}

function dial(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

/** Where a client reaches a server bound to `host`: a wildcard bind answers on loopback. */
export function probeHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "::1";
  return host;
}

/** Reads of the listener table before a missing listener is believed. */
const LISTENER_READS = 5;
const LISTENER_RETRY_MS = 20;

export async function checkSpread(pids: readonly number[], host: string, port: number, sharing: Sharing): Promise<SpreadResult> {
  if (!existsSync("/proc/net/tcp")) return { ok: true, text: "port sharing check skipped (no /proc/net/tcp)" };
  // /proc/net/tcp is read in pieces while the kernel changes it: with many short-lived sockets
  // (TIME_WAIT after a benchmark) one read can miss a LISTEN row. Only a repeated verdict counts.
  let held = new Map<number, Set<number>>();
  let verdict = { ok: false, text: "" };
  for (let attempt = 0; attempt < LISTENER_READS && !verdict.ok; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, LISTENER_RETRY_MS));
    const listening = new Set(tcpRows().filter((r) => r.localPort === port && r.state === TCP_LISTEN).map((r) => r.inode));
    held = new Map(pids.map((pid) => [pid, socketInodes(pid)] as const));
    verdict = judgeListeners(listening, held, sharing);
  }
  if (!verdict.ok || pids.length < 2) return { ok: verdict.ok, text: `port ${port}: ${verdict.text}` };

  const count = Math.max(MIN_PROBES, PROBES_PER_WORKER * pids.length);
  const probes: Socket[] = [];
  try {
    for (let i = 0; i < count; i++) probes.push(await dial(probeHost(host), port));
    const clientPorts = new Set(probes.map((s) => s.localPort));
    const served = new Map<number, number>(pids.map((pid) => [pid, 0]));
    const deadline = Date.now() + PROBE_DEADLINE_MS;
    let found = 0;
    for (;;) {
      const accepted = tcpRows().filter(
        (r) => r.localPort === port && r.state === TCP_ESTABLISHED && r.inode !== 0 && clientPorts.has(r.remotePort),
      );
      served.forEach((_, pid) => served.set(pid, 0));
      found = 0;
      for (const pid of held.keys()) {
        const inodes = socketInodes(pid);
        const mine = accepted.filter((r) => inodes.has(r.inode)).length;
        served.set(pid, mine);
        found += mine;
      }
      if (found >= count || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const spread = [...served.values()];
    const busy = spread.filter((n) => n > 0).length;
    const text = `port ${port}: ${verdict.text}; ${found}/${count} test connections spread ${spread.join("/")}`;
    // All probes on one worker: the others are idle whatever the sockets look like. (A shared
    // cluster socket is known to favour one worker while load is light, so it only gets reported.)
    if (sharing === "reuseport" && found === count && busy < 2) return { ok: false, text: `${text} — the kernel is not spreading connections` };
    return { ok: true, text };
  } catch (e) {
    return { ok: true, text: `port ${port}: ${verdict.text}; spread not measured (${e instanceof Error ? e.message : e})` };
  } finally {
    for (const s of probes) s.destroy();
  }
}
