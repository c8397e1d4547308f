/**
 * The open-loop client: one thread, epoll over libc (bench/openloop/ffi.ts),
 * N connection slots, and a schedule fixed before the run
 * (schedule.ts). Each request leaves at its scheduled time on a free
 * connection; when every connection is busy it waits for one, and that
 * wait counts as latency, because latency runs from the *scheduled* time to
 * the last byte of the answer (wrk2's correction for coordinated
 * omission). Nothing that is scheduled is dropped: after the window the
 * backlog is still sent and every answer awaited, up to the drain time.
 * The schedule starts with a warm-up (default 0.5 s, at the same rate)
 * whose latencies are not recorded: a fresh generator's first requests
 * run through cold code (JIT) and would be late on its account.
 *
 * The loop blocks in epoll_wait until SPIN_MS before the next due send,
 * then polls (timeout 0) so a send leaves within microseconds of its time;
 * `spin: true` polls throughout. One request per connection at a time (no
 * pipelining). Keep-alive: N connections opened before the run. Close:
 * every request opens its own connection (`Connection: close`), and the
 * slot is free again when the server has closed it (as wrk does: the
 * server, which closes first, keeps the TIME_WAIT state).
 *
 * Usage: const result = await runOpenLoop({ url, rate, durationS, ... })
 * (the command line is bench/openloop/openloop.ts).
 */
import * as K from "../../src/io/constants.ts";
import { SlotEpoll } from "./slot-epoll.ts";
import { loadClientLibc, sockaddrIn, type ClientLibc } from "./ffi.ts";
import { encodeHistogram, newHistogram, percentiles, recordUs, spectrum, type Histogram } from "./histogram.ts";
import { bytesEqual, responseLength, type ResponseHead } from "../lib/measure/response.ts";
import { invalidReasons, MAX_LATENESS_P99_US, type LatenessRule, type OpenLoopErrors, type OpenLoopResult } from "./result.ts";
import { buildSchedule, type Arrivals } from "./schedule.ts";

export interface OpenLoopOptions {
  url: string;
  /** Requests per second. */
  rate: number;
  durationS: number;
  connections: number;
  close: boolean;
  arrivals: Arrivals;
  seed: number;
  /** Expected body of every answer. */
  body: string;
  /** Seconds after the window to send the backlog and await answers. */
  drainS: number;
  /** Seconds of schedule before the window, not recorded (errors still count). */
  warmupS: number;
  /** Poll epoll without ever blocking (one core at 100%). */
  spin: boolean;
  maxLatenessP99Us: number;
  /** Which lateness percentile the bound applies to (result.ts LATENESS_RULES). */
  latenessRule: LatenessRule;
  /**
   * One of several generator processes on one schedule: this one sends
   * requests index, index + count, index + 2·count, … of it (the rate stays
   * the total), so their results merge exactly (merge.ts).
   */
  share?: { index: number; count: number };
  /** Wall-clock time (ms since the epoch) the schedule starts, shared by the processes of a share. */
  startAtEpochMs?: number;
}

export const DEFAULTS: Omit<OpenLoopOptions, "url" | "rate"> = {
  durationS: 10, connections: 64, close: false, arrivals: "constant", seed: 1, body: "hello", drainS: 5, warmupS: 0.5, spin: false,
  maxLatenessP99Us: MAX_LATENESS_P99_US, latenessRule: "held",
};

/** Poll instead of blocking when the next send is due within this many ms (epoll_wait's timeout is in whole ms). */
const SPIN_MS = 1.5;
/** Longest block in epoll_wait, so the drain deadline is noticed while every connection is busy. */
const MAX_BLOCK_MS = 50;
const RECV_SIZE = 64 * 1024;
/** Per-connection buffer for an answer that arrives in pieces. */
const CONN_BUFFER = 64 * 1024;
/** Keep-alive connections must all be open within this time before the run starts. */
const CONNECT_TIMEOUT_MS = 5000;
/** The schedule starts this long after the last connection opened (no burst from setup). */
const START_DELAY_MS = 20;

/** connect(2) on a non-blocking socket: not an error. A client's errno, absent from src/io's table (a server never connects). */
const EINPROGRESS = 115;

/** Slot states. Legal moves: FREE → CONNECTING → (IDLE | BUSY); IDLE → BUSY → (IDLE | DRAINING); DRAINING → FREE; any → FREE on an error. */
const enum S {
  /** No socket (close mode: free for the next request; keep-alive: being reopened). */
  FREE = 0,
  /** connect() in progress; a request may be waiting on it (`due[slot] >= 0`). */
  CONNECTING = 1,
  /** Keep-alive, connected, no request: free. */
  IDLE = 2,
  /** Request sent, answer not complete. */
  BUSY = 3,
  /** Close mode: answered, waiting for the server's close. */
  DRAINING = 4,
}

export async function runOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const url = new URL(o.url);
  if (url.protocol !== "http:") throw new Error(`only http:// URLs, got ${o.url}`);
  const host = url.hostname === "localhost" ? "127.0.0.1" : url.hostname;
  const port = Number(url.port || 80);
  const libc = await loadClientLibc();
  const client = new OpenLoopClient(libc, o, sockaddrIn(host, port),
    new TextEncoder().encode(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${o.close ? "Connection: close\r\n" : ""}\r\n`));
  try {
    return client.run();
  } finally {
    client.dispose();
  }
}

class OpenLoopClient {
  private readonly epoll: SlotEpoll;
  private readonly n: number;
  private readonly fd: Int32Array;
  private readonly state: Uint8Array;
  /** Absolute scheduled time (ms, performance.now()) of the slot's outstanding request, or -1. */
  private readonly due: Float64Array;
  private readonly freedAt: Float64Array;
  /** Bytes of a partial answer held in buffers[slot]. */
  private readonly have: Int32Array;
  /** The outstanding request is in the window (not warm-up): its latency is recorded. */
  private readonly counted: Uint8Array;
  /** The outstanding request was already resent once after an idle close. */
  private readonly retried: Uint8Array;
  /** Allocated on a slot's first answer that arrives in pieces (64 KiB × thousands of connections would be wasted). */
  private readonly buffers: Array<Uint8Array | undefined>;
  /** Stack of free slots (IDLE for keep-alive, FREE for close); inFree guards duplicates, stale entries are skipped. */
  private readonly freeStack: Int32Array;
  private readonly inFree: Uint8Array;
  private freeTop = 0;
  private readonly scratch = new Uint8Array(RECV_SIZE);
  private readonly head: ResponseHead = { status: 0, bodyStart: 0, problem: "", close: false };
  private readonly expected: Uint8Array;
  private readonly latency: Histogram = newHistogram();
  private readonly lateness: Histogram = newHistogram();
  private readonly errors: OpenLoopErrors = { connect: 0, read: 0, write: 0, status: 0, timeout: 0 };
  private sent = 0;
  private sentInWindow = 0;
  private answered = 0;
  private checked = 0;
  private bad = 0;
  private waited = 0;
  private resent = 0;
  private closedByServer = 0;
  private inflight = 0;
  private windowStart = 0;
  private windowEnd = Infinity;
  private readonly problems = new Map<string, number>();

  constructor(
    private readonly libc: ClientLibc,
    private readonly o: OpenLoopOptions,
    private readonly address: Uint8Array,
    private readonly request: Uint8Array,
  ) {
    this.n = o.connections;
    this.fd = new Int32Array(this.n).fill(-1);
    this.state = new Uint8Array(this.n);
    this.due = new Float64Array(this.n).fill(-1);
    this.freedAt = new Float64Array(this.n);
    this.have = new Int32Array(this.n);
    this.retried = new Uint8Array(this.n);
    this.counted = new Uint8Array(this.n);
    this.buffers = new Array<Uint8Array | undefined>(this.n);
    this.freeStack = new Int32Array(this.n);
    this.inFree = new Uint8Array(this.n);
    this.expected = new TextEncoder().encode(o.body);
    this.epoll = new SlotEpoll(libc);
  }

  run(): OpenLoopResult {
    const o = this.o;
    const warmupMs = o.warmupS * 1000;
    const whole = buildSchedule({ rate: o.rate, durationS: o.warmupS + o.durationS, arrivals: o.arrivals, seed: o.seed });
    const schedule = o.share ? whole.filter((_, i) => i % o.share!.count === o.share!.index) : whole;
    let firstCounted = 0;
    while (firstCounted < schedule.length && schedule[firstCounted]! < warmupMs) firstCounted++;
    const cpuBefore = process.cpuUsage();
    const wallStart = performance.now();
    if (o.close) for (let s = 0; s < this.n; s++) this.pushFree(s);
    else this.openAll();
    // performance.timeOrigin is the process's start on the epoch clock: one start instant for every process of a share.
    const t0 = o.startAtEpochMs !== undefined ? o.startAtEpochMs - performance.timeOrigin : performance.now() + START_DELAY_MS;
    this.windowStart = t0 + warmupMs;
    this.windowEnd = this.windowStart + o.durationS * 1000;
    const deadline = this.windowEnd + o.drainS * 1000;
    const count = schedule.length;
    let next = 0;
    let waiting = false;
    for (;;) {
      let now = performance.now();
      while (next < count && t0 + schedule[next]! <= now) {
        const slot = this.popFree();
        if (slot < 0) {
          if (!waiting) this.waited++, (waiting = true);
          break;
        }
        waiting = false;
        const at = t0 + schedule[next]!;
        // Could have left at `at`, or when this connection came free if that was later (the server's doing).
        // Counted by index, not by `at >= windowStart`: t0 + schedule[i] can round onto the window's
        // start for a warm-up slot just below it, which counted one answer more than was scheduled.
        const counted = next >= firstCounted;
        if (counted) recordUs(this.lateness, (now - Math.max(at, this.freedAt[slot]!)) * 1000);
        this.dispatch(slot, at, now, counted);
        next++;
        now = performance.now();
      }
      if (next >= count && this.inflight === 0) break;
      if (now >= deadline) break;
      let timeout = 0;
      if (!o.spin) {
        if (next < count && !waiting) {
          const dueIn = t0 + schedule[next]! - now;
          timeout = dueIn > SPIN_MS ? Math.min(MAX_BLOCK_MS, Math.floor(dueIn - SPIN_MS)) : 0;
        } else timeout = Math.max(0, Math.min(MAX_BLOCK_MS, Math.floor(deadline - now)));
      }
      this.poll(timeout);
    }
    const wallUs = (performance.now() - wallStart) * 1000;
    const cpu = process.cpuUsage(cpuBefore);
    this.errors.timeout += this.inflight;
    const unsent = count - next;
    const partial: Omit<OpenLoopResult, "valid" | "invalidReasons"> = {
      url: o.url, mode: o.close ? "close" : "keepalive", arrivals: o.arrivals, connections: this.n,
      targetRate: o.rate, durationS: o.durationS, scheduled: count - firstCounted, sent: this.sent, sentInWindow: this.sentInWindow,
      answered: this.answered, achievedRate: this.sentInWindow / o.durationS, unsent,
      errors: this.errors, checked: this.checked, bad: this.bad, waitedForConnection: this.waited, retried: this.resent, reconnects: this.closedByServer,
      latencyUs: percentiles(this.latency), latenessUs: percentiles(this.lateness), maxLatenessP99Us: o.maxLatenessP99Us, latenessRule: o.latenessRule,
      spectrum: spectrum(this.latency),
      histograms: { latency: encodeHistogram(this.latency), lateness: encodeHistogram(this.lateness) },
      generatorCpuUs: cpu.user + cpu.system, wallUs,
    };
    const reasons = invalidReasons(partial);
    for (const [problem, times] of this.problems) reasons.push(`${times}× ${problem}`);
    return { ...partial, valid: reasons.length === 0, invalidReasons: reasons };
  }

  dispose(): void {
    for (let s = 0; s < this.n; s++) if (this.fd[s]! >= 0) this.libc.close(this.fd[s]!);
    this.epoll.close();
  }

  /** Keep-alive: every connection open and idle before the schedule starts. */
  private openAll(): void {
    for (let s = 0; s < this.n; s++) this.open(s);
    const until = performance.now() + CONNECT_TIMEOUT_MS;
    // Refused connections fail at once (no listener): after two failures per slot, stop trying.
    while (this.freeTop < this.n && performance.now() < until && this.errors.connect <= 2 * this.n) {
      this.poll(10);
      for (let s = 0; s < this.n; s++) if (this.state[s] === S.FREE) this.open(s);
    }
    if (this.freeTop < this.n) throw new Error(`only ${this.freeTop} of ${this.n} connections opened (${this.errors.connect} connect errors, ${CONNECT_TIMEOUT_MS} ms at most)`);
    this.errors.connect = 0;
  }

  private pushFree(slot: number): void {
    if (this.inFree[slot]) return;
    this.inFree[slot] = 1;
    this.freeStack[this.freeTop++] = slot;
  }

  private popFree(): number {
    const want = this.o.close ? S.FREE : S.IDLE;
    while (this.freeTop > 0) {
      const slot = this.freeStack[--this.freeTop]!;
      this.inFree[slot] = 0;
      if (this.state[slot] === want) return slot;
    }
    return -1;
  }

  private dispatch(slot: number, at: number, now: number, counted: boolean): void {
    this.counted[slot] = counted ? 1 : 0;
    if (counted) {
      this.sent++;
      if (now < this.windowEnd) this.sentInWindow++;
    }
    this.inflight++;
    this.due[slot] = at;
    this.retried[slot] = 0;
    if (this.state[slot] === S.IDLE) this.send(slot);
    else this.open(slot);
  }

  /** A new non-blocking socket connecting in slot; a waiting request (due ≥ 0) is sent once connected. */
  private open(slot: number): void {
    const { libc } = this;
    const fd = libc.socket(K.AF_INET, K.SOCK_STREAM | K.SOCK_NONBLOCK | K.SOCK_CLOEXEC, 0);
    if (fd < 0) return this.failConnect(slot);
    this.fd[slot] = fd;
    this.have[slot] = 0;
    const r = libc.connect(fd, this.address, this.address.length);
    if (r < 0 && libc.errno() !== EINPROGRESS) return this.failConnect(slot);
    this.state[slot] = S.CONNECTING;
    // Connected at once (it happens on loopback): no wait for EPOLLOUT.
    if (!this.watch(slot, K.EPOLL_CTL_ADD, r === 0 ? K.EPOLLIN : K.EPOLLOUT)) return this.failConnect(slot);
    if (r === 0) this.connected(slot);
  }

  /** Connected: watched for EPOLLIN from now on; the waiting request goes out, or the slot is free. */
  private connected(slot: number): void {
    if (this.due[slot]! >= 0) return this.send(slot);
    this.state[slot] = S.IDLE;
    this.freedAt[slot] = performance.now();
    this.pushFree(slot);
  }

  private send(slot: number): void {
    this.state[slot] = S.BUSY;
    const r = this.libc.send(this.fd[slot]!, this.request, this.request.length, K.MSG_NOSIGNAL);
    // One small request on a connection with nothing else outstanding: all of it fits the socket buffer.
    if (r !== this.request.length) {
      this.errors.write++;
      this.settle(slot);
      this.recycle(slot);
    }
  }

  private poll(timeoutMs: number): void {
    const epoll = this.epoll;
    const n = epoll.wait(timeoutMs);
    for (let i = 0; i < n; i++) {
      const ev = epoll.eventsAt(i);
      const slot = epoll.slotAt(i);
      const st = this.state[slot]!;
      if (st === S.CONNECTING) {
        if ((ev & (K.EPOLLERR | K.EPOLLHUP)) !== 0) this.failConnect(slot);
        else if ((ev & K.EPOLLOUT) !== 0 && this.watch(slot, K.EPOLL_CTL_MOD, K.EPOLLIN)) this.connected(slot);
        else if ((ev & K.EPOLLOUT) !== 0) this.failConnect(slot);
      } else if (st !== S.FREE && (ev & (K.EPOLLIN | K.EPOLLERR | K.EPOLLHUP)) !== 0) {
        this.readable(slot);
      }
    }
  }

  private readable(slot: number): void {
    const fd = this.fd[slot]!;
    const r = this.libc.recv(fd, this.scratch, RECV_SIZE, 0);
    if (r > 0) return this.received(slot, r);
    if (r < 0 && this.libc.errno() === K.Errno.EAGAIN) return;
    // End of stream (or reset).
    const st = this.state[slot];
    if (st === S.DRAINING) {
      this.drop(slot);
      this.freedAt[slot] = performance.now();
      this.pushFree(slot);
      return;
    }
    if (st === S.BUSY && this.have[slot] === 0 && !this.o.close && this.retried[slot] === 0) {
      // The server closed a kept-alive connection as the request went out (an idle timeout):
      // a GET may be retried on a new connection (RFC 9110 §9.2.2, RFC 9112 §9.3.1).
      this.retried[slot] = 1;
      this.resent++;
      this.drop(slot);
      this.open(slot);
      return;
    }
    if (st === S.BUSY) {
      this.errors.read++;
      this.settle(slot);
    }
    // An idle keep-alive connection closed by the server is not an error: it is reopened.
    this.recycle(slot);
  }

  private received(slot: number, r: number): void {
    const st = this.state[slot];
    if (st !== S.BUSY) {
      this.bad++;
      this.problem(st === S.DRAINING ? "bytes after a Connection: close answer" : "bytes with no request outstanding");
      return this.recycle(slot);
    }
    let buf: Uint8Array = this.scratch;
    let len = r;
    const held = this.have[slot]!;
    if (held > 0) {
      buf = this.buffers[slot]!;
      if (held + r > CONN_BUFFER) return this.malformed(slot, `answer larger than ${CONN_BUFFER} bytes`);
      buf.set(this.scratch.subarray(0, r), held);
      len = held + r;
    }
    const total = responseLength(buf, len, this.head);
    if (total < 0) return this.malformed(slot, this.head.problem);
    if (total === 0) {
      if (held === 0) {
        if (r > CONN_BUFFER) return this.malformed(slot, `answer larger than ${CONN_BUFFER} bytes`);
        (this.buffers[slot] ??= new Uint8Array(CONN_BUFFER)).set(this.scratch.subarray(0, r));
      }
      this.have[slot] = len;
      return;
    }
    const now = performance.now();
    if (this.counted[slot]) {
      recordUs(this.latency, (now - this.due[slot]!) * 1000);
      this.answered++;
    }
    this.checked++;
    this.settle(slot);
    this.have[slot] = 0;
    const status = this.head.status;
    if (status < 200 || status > 299) this.errors.status++;
    else if (total !== len || !bytesEqual(buf, this.head.bodyStart, total, this.expected)) this.bad++;
    if (this.o.close) {
      this.state[slot] = S.DRAINING;
    } else if (this.head.close) {
      // The server said it closes this one: a fresh connection takes its place (opened now, free once connected).
      this.closedByServer++;
      this.recycle(slot);
    } else {
      this.state[slot] = S.IDLE;
      this.freedAt[slot] = now;
      this.pushFree(slot);
    }
  }

  private malformed(slot: number, why: string): void {
    this.bad++;
    this.problem(why);
    this.settle(slot);
    this.recycle(slot);
  }

  /** Closes the slot's connection and makes the slot usable again: a new keep-alive connection, or a free close-mode slot. */
  private recycle(slot: number): void {
    this.drop(slot);
    if (this.o.close) this.pushFree(slot);
    else this.open(slot);
  }

  /** The slot's request is finished (answered or failed). */
  private settle(slot: number): void {
    if (this.due[slot]! >= 0) this.inflight--;
    this.due[slot] = -1;
  }

  private failConnect(slot: number): void {
    this.errors.connect++;
    this.settle(slot);
    this.drop(slot);
    // Keep-alive slots are reopened by openAll (before the run) or stay closed (during it: the run is invalid anyway).
    if (this.o.close) this.pushFree(slot);
  }

  /** Closes the slot's socket (close(2) also removes it from epoll). */
  private drop(slot: number): void {
    if (this.fd[slot]! >= 0) this.libc.close(this.fd[slot]!);
    this.fd[slot] = -1;
    this.state[slot] = S.FREE;
    this.have[slot] = 0;
  }

  private watch(slot: number, op: number, events: number): boolean {
    return this.epoll.watch(this.fd[slot]!, slot, op, events);
  }

  private problem(why: string): void {
    this.problems.set(why, (this.problems.get(why) ?? 0) + 1);
  }
}
