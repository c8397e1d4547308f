/**
 * The WebSocket echo generator: one thread, epoll over libc (the open-loop
 * client's FFI, bench/openloop/ffi.ts), N connections, each with exactly
 * one message in flight (closed loop, what the comparison's echo-ws
 * scenario measures: the server's cost per echoed message, not latency
 * under a schedule). Every connection makes a real opening handshake with
 * its own key and checks the accept value; every message is a text frame
 * masked with a fresh random key, as a browser sends it (RFC 6455 §5.3),
 * and its echo is checked byte for byte before the next one leaves.
 *
 * A run: connect and handshake all (throws when a connection cannot be
 * opened), then warm-up (echoes checked, not counted), then the measured
 * window (messages counted, server CPU sampled from /proc at both ends),
 * then a drain that awaits the echoes still in flight and sends none.
 *
 * Usage: const result = await runWsEcho({ ...WS_ECHO_DEFAULTS, url: "ws://127.0.0.1:8000/ws", serverPids: [pid] })
 * (the command line is bench/ws-echo/ws-echo.ts).
 */
import * as K from "../../src/io/constants.ts";
import { SlotEpoll } from "../openloop/slot-epoll.ts";
import { treeCpuUs } from "../lib/measure/proc.ts";
import { newHistogram, percentiles, recordUs } from "../openloop/histogram.ts";
import { loadClientLibc, sockaddrIn, type ClientLibc } from "../openloop/ffi.ts";
import { checkHandshake, encodeClose, encodeMasked, fillPayload, handshakeRequest, headEnd, MAX_MESSAGE, newKey, Op, RandomPool, readFrame, type ServerFrame } from "./frames.ts";
import { wsEchoInvalidReasons, type WsEchoErrors, type WsEchoResult } from "./result.ts";

export interface WsEchoOptions {
  /** ws://HOST:PORT/PATH (IPv4; `localhost` means 127.0.0.1). */
  url: string;
  connections: number;
  /** Bytes of each text message, 1 to MAX_MESSAGE. */
  messageBytes: number;
  /** Seconds of echoes before the measured window, checked but not counted. */
  warmupS: number;
  durationS: number;
  /** Seconds after the window to await the echoes in flight. */
  drainS: number;
  /** Server processes whose CPU time (with their descendants) is measured over the window. */
  serverPids: number[];
}

export const WS_ECHO_DEFAULTS: Omit<WsEchoOptions, "url"> = { connections: 64, messageBytes: 32, warmupS: 1, durationS: 5, drainS: 2, serverPids: [] };

/** Every connection must be open and past its handshake within this time. */
const SETUP_TIMEOUT_MS = 5000;
/** Longest block in epoll_wait, so the window's edges are noticed on time when echoes stall. */
const MAX_BLOCK_MS = 50;
/** A handshake answer or a frame larger than this is refused: the echo of a ≤125-byte message is 127 bytes at most. */
const SLOT_BUFFER = 8 * 1024;
/** connect(2) on a non-blocking socket: not an error (a client's errno, absent from src/io's table). */
const EINPROGRESS = 115;

/** Slot states. Legal moves: CONNECTING → HANDSHAKE → READY → BUSY ⇄ BUSY … → IDLE (after the window); any → DEAD on an error. */
const S = { DEAD: 0, CONNECTING: 1, HANDSHAKE: 2, READY: 3, BUSY: 4, IDLE: 5 } as const;
/** Run phases, in order. */
const P = { SETUP: 0, WARMUP: 1, WINDOW: 2, DRAIN: 3 } as const;

export async function runWsEcho(o: WsEchoOptions): Promise<WsEchoResult> {
  const url = new URL(o.url);
  if (url.protocol !== "ws:") throw new Error(`only ws:// URLs, got ${o.url}`);
  if (!Number.isInteger(o.messageBytes) || o.messageBytes < 1 || o.messageBytes > MAX_MESSAGE) throw new Error(`message size must be 1 to ${MAX_MESSAGE} bytes`);
  const host = url.hostname === "localhost" ? "127.0.0.1" : url.hostname;
  const libc = await loadClientLibc();
  const client = new WsEchoClient(libc, o, url, sockaddrIn(host, Number(url.port || 80)));
  try {
    return client.run();
  } finally {
    client.dispose();
  }
}

class WsEchoClient {
  private readonly n: number;
  private readonly size: number;
  private readonly epoll: SlotEpoll;
  private readonly fd: Int32Array;
  private readonly state: Uint8Array;
  private readonly keys: string[];
  private readonly seq: Uint32Array;
  private readonly sentAt: Float64Array;
  /** Bytes of a partial handshake answer or frame held in buffers[slot]. */
  private readonly have: Int32Array;
  private readonly buffers: Uint8Array[];
  /** The message outstanding on each slot, as sent before masking. */
  private readonly expected: Uint8Array[];
  private readonly random = new RandomPool();
  private readonly out = new Uint8Array(6 + MAX_MESSAGE);
  private readonly scratch = new Uint8Array(SLOT_BUFFER);
  private readonly frame: ServerFrame = { fin: false, rsv: 0, opcode: 0, masked: false, payloadStart: 0, payloadLength: 0, end: 0 };
  private readonly roundTrip = newHistogram();
  private readonly errors: WsEchoErrors = { connect: 0, handshake: 0, read: 0, write: 0, wrongEcho: 0, closed: 0, unexpected: 0, timeout: 0 };
  private readonly problems = new Map<string, number>();
  private phase: number = P.SETUP;
  private ready = 0;
  private inflight = 0;
  private echoed = 0;
  private messages = 0;

  constructor(
    private readonly libc: ClientLibc,
    private readonly o: WsEchoOptions,
    private readonly url: URL,
    private readonly address: Uint8Array,
  ) {
    this.n = o.connections;
    this.size = o.messageBytes;
    this.fd = new Int32Array(this.n).fill(-1);
    this.state = new Uint8Array(this.n);
    this.keys = new Array<string>(this.n).fill("");
    this.seq = new Uint32Array(this.n);
    this.sentAt = new Float64Array(this.n);
    this.have = new Int32Array(this.n);
    this.buffers = Array.from({ length: this.n }, () => new Uint8Array(SLOT_BUFFER));
    const all = new Uint8Array(this.n * this.size);
    this.expected = Array.from({ length: this.n }, (_, s) => all.subarray(s * this.size, (s + 1) * this.size));
    this.epoll = new SlotEpoll(libc);
  }

  run(): WsEchoResult {
    const o = this.o;
    const cpuBefore = process.cpuUsage();
    const wallStart = performance.now();
    this.setup();
    let windowStart = NaN, windowStop = NaN, serverBefore = 0, serverAfter = 0;
    if (this.ready === this.n) {
      const start = performance.now();
      for (let s = 0; s < this.n; s++) this.sendNext(s, start);
      const warmEnd = start + o.warmupS * 1000;
      const windowEnd = warmEnd + o.durationS * 1000;
      let drainEnd = Infinity;
      this.phase = P.WARMUP;
      for (;;) {
        const now = performance.now();
        if (this.phase === P.WARMUP && now >= warmEnd) {
          this.phase = P.WINDOW;
          serverBefore = this.serverCpuUs();
          windowStart = performance.now();
        }
        // Every connection gone before the window closed: nothing more can be measured.
        if (this.phase === P.WINDOW && (now >= windowEnd || this.inflight === 0)) {
          windowStop = now;
          serverAfter = this.serverCpuUs();
          this.phase = P.DRAIN;
          drainEnd = now + o.drainS * 1000;
        }
        if (this.inflight === 0 || now >= drainEnd) break;
        const edge = this.phase === P.WARMUP ? warmEnd : this.phase === P.WINDOW ? windowEnd : drainEnd;
        this.poll(Math.max(0, Math.min(MAX_BLOCK_MS, Math.ceil(edge - now))));
      }
      if (this.inflight > 0) this.fail(-1, "timeout", `echoes still missing ${o.drainS} s after the window`, this.inflight);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const windowUs = Number.isNaN(windowStart) ? 0 : (windowStop - windowStart) * 1000;
    const measured = o.serverPids.length > 0 && windowUs > 0;
    const serverCpuUs = measured ? serverAfter - serverBefore : null;
    const partial: Omit<WsEchoResult, "valid" | "invalidReasons"> = {
      url: o.url, connections: this.n, messageBytes: this.size, warmupS: o.warmupS, durationS: o.durationS, windowUs,
      messages: this.messages, messagesPerS: windowUs > 0 ? (this.messages * 1e6) / windowUs : 0, echoed: this.echoed,
      roundTripUs: percentiles(this.roundTrip), serverPids: o.serverPids, serverCpuUs,
      cpuUsPerMessage: serverCpuUs !== null && this.messages > 0 ? serverCpuUs / this.messages : null,
      generatorCpuUs: cpu.user + cpu.system, wallUs: (performance.now() - wallStart) * 1000,
      errors: this.errors, problems: Object.fromEntries(this.problems),
    };
    const reasons = wsEchoInvalidReasons(partial);
    return { ...partial, valid: reasons.length === 0, invalidReasons: reasons };
  }

  /** Closes every connection, each open one with a close frame first (§7.1.2: the client starts the close). */
  dispose(): void {
    for (let s = 0; s < this.n; s++) {
      const fd = this.fd[s]!;
      if (fd < 0) continue;
      if (this.state[s]! >= S.READY) this.libc.send(fd, this.out, encodeClose(this.out, this.random), K.MSG_NOSIGNAL);
      this.libc.close(fd);
    }
    this.epoll.close();
  }

  /** Opens every connection and makes its handshake; throws when one cannot be opened. */
  private setup(): void {
    for (let s = 0; s < this.n; s++) this.open(s);
    const until = performance.now() + SETUP_TIMEOUT_MS;
    while (this.ready + this.errors.connect + this.errors.handshake < this.n && performance.now() < until) this.poll(10);
    if (this.errors.connect > 0) throw new Error(`only ${this.n - this.errors.connect} of ${this.n} connections opened`);
    const stuck = this.n - this.ready - this.errors.handshake;
    if (stuck > 0) this.fail(-1, "handshake", `no handshake answer within ${SETUP_TIMEOUT_MS} ms`, stuck);
  }

  private open(slot: number): void {
    const { libc } = this;
    const fd = libc.socket(K.AF_INET, K.SOCK_STREAM | K.SOCK_NONBLOCK | K.SOCK_CLOEXEC, 0);
    if (fd < 0) return this.fail(slot, "connect", "socket() failed");
    this.fd[slot] = fd;
    this.state[slot] = S.CONNECTING;
    const r = libc.connect(fd, this.address, this.address.length);
    if (r < 0 && libc.errno() !== EINPROGRESS) return this.fail(slot, "connect", "connect() failed");
    if (!this.watch(slot, K.EPOLL_CTL_ADD, r === 0 ? K.EPOLLIN : K.EPOLLOUT)) return this.fail(slot, "connect", "epoll_ctl failed");
    if (r === 0) this.connected(slot);
  }

  private connected(slot: number): void {
    this.keys[slot] = newKey(this.random);
    const request = handshakeRequest(this.url, this.keys[slot]!);
    this.state[slot] = S.HANDSHAKE;
    if (this.libc.send(this.fd[slot]!, request, request.length, K.MSG_NOSIGNAL) !== request.length) this.fail(slot, "write", "handshake request not sent whole");
  }

  /** The slot's next message: a fresh payload, masked with a fresh key, sent whole. */
  private sendNext(slot: number, now: number): void {
    const payload = this.expected[slot]!;
    fillPayload(payload, this.size, slot, ++this.seq[slot]!);
    const length = encodeMasked(this.out, Op.TEXT, payload, this.size, this.random);
    this.state[slot] = S.BUSY;
    this.inflight++;
    this.sentAt[slot] = now;
    // One small frame on a connection with nothing else outstanding: the socket buffer takes it whole.
    if (this.libc.send(this.fd[slot]!, this.out, length, K.MSG_NOSIGNAL) !== length) this.fail(slot, "write", "message not sent whole");
  }

  private poll(timeoutMs: number): void {
    const epoll = this.epoll;
    const count = epoll.wait(timeoutMs);
    for (let i = 0; i < count; i++) {
      const ev = epoll.eventsAt(i);
      const slot = epoll.slotAt(i);
      const st = this.state[slot]!;
      if (st === S.CONNECTING) {
        if ((ev & (K.EPOLLERR | K.EPOLLHUP)) !== 0) this.fail(slot, "connect", "connection refused or reset");
        else if ((ev & K.EPOLLOUT) !== 0) {
          if (this.watch(slot, K.EPOLL_CTL_MOD, K.EPOLLIN)) this.connected(slot);
          else this.fail(slot, "connect", "epoll_ctl failed");
        }
      } else if (st !== S.DEAD && (ev & (K.EPOLLIN | K.EPOLLERR | K.EPOLLHUP)) !== 0) {
        this.readable(slot);
      }
    }
  }

  private readable(slot: number): void {
    const r = this.libc.recv(this.fd[slot]!, this.scratch, SLOT_BUFFER, 0);
    if (r < 0 && this.libc.errno() === K.Errno.EAGAIN) return;
    if (r <= 0) {
      const st = this.state[slot];
      if (st === S.HANDSHAKE) return this.fail(slot, "handshake", "connection closed before the handshake answer");
      if (st === S.BUSY) return this.fail(slot, "read", r === 0 ? "connection closed with an echo outstanding" : "recv failed");
      if (st === S.READY) return this.fail(slot, "read", "connection closed before the run");
      // IDLE (after the window): the server may close a connection that sends nothing more.
      return this.drop(slot);
    }
    let buf: Uint8Array = this.scratch;
    let len = r;
    const held = this.have[slot]!;
    if (held > 0) {
      buf = this.buffers[slot]!;
      if (held + r > SLOT_BUFFER) return this.fail(slot, "unexpected", `more than ${SLOT_BUFFER} bytes without a whole frame`);
      buf.set(this.scratch.subarray(0, r), held);
      len = held + r;
    }
    const used = this.state[slot] === S.HANDSHAKE ? this.handshakeAnswer(slot, buf, len) : this.echo(slot, buf, len);
    if (used === 0 && this.state[slot] !== S.DEAD) {
      // Incomplete: keep the bytes for the next read.
      if (held === 0) this.buffers[slot]!.set(this.scratch.subarray(0, r));
      this.have[slot] = len;
    } else {
      this.have[slot] = 0;
    }
  }

  /** Bytes used (the whole answer), or 0 when incomplete or failed. */
  private handshakeAnswer(slot: number, buf: Uint8Array, len: number): number {
    const end = headEnd(buf, len);
    if (end < 0) return 0;
    const problem = checkHandshake(new TextDecoder().decode(buf.subarray(0, end)), this.keys[slot]!);
    if (problem !== null) return this.fail(slot, "handshake", problem), 0;
    // The server speaks first only to close or ping, and neither is expected here.
    if (end < len) return this.fail(slot, "unexpected", "frame from the server before any message"), 0;
    this.state[slot] = S.READY;
    this.ready++;
    return end;
  }

  /** Bytes used (the whole echo), or 0 when incomplete or failed. */
  private echo(slot: number, buf: Uint8Array, len: number): number {
    const f = this.frame;
    if (this.state[slot] !== S.BUSY) return this.fail(slot, "unexpected", "bytes with no message outstanding"), 0;
    if (!readFrame(buf, 0, len, f)) return 0;
    if (f.opcode === Op.CLOSE) {
      const code = f.payloadLength >= 2 ? (buf[f.payloadStart]! << 8) | buf[f.payloadStart + 1]! : 1005;
      return this.fail(slot, "closed", `close frame from the server (code ${code})`), 0;
    }
    // §5.1: a client must close on a masked frame from the server.
    if (f.masked) return this.fail(slot, "wrongEcho", "masked frame from the server"), 0;
    if (f.rsv !== 0) return this.fail(slot, "wrongEcho", "reserved bits set (no extension was negotiated)"), 0;
    if (f.opcode !== Op.TEXT || !f.fin) return this.fail(slot, "unexpected", `frame opcode ${f.opcode}${f.fin ? "" : " without FIN"} instead of the text echo`), 0;
    if (f.payloadLength !== this.size) return this.fail(slot, "wrongEcho", `echo of ${f.payloadLength} bytes instead of ${this.size}`), 0;
    const want = this.expected[slot]!;
    for (let i = 0; i < this.size; i++) if (buf[f.payloadStart + i] !== want[i]) return this.fail(slot, "wrongEcho", "echo bytes differ from the message"), 0;
    if (f.end !== len) return this.fail(slot, "unexpected", "bytes after the echo"), 0;
    const now = performance.now();
    this.inflight--;
    this.echoed++;
    if (this.phase === P.WINDOW) {
      this.messages++;
      recordUs(this.roundTrip, (now - this.sentAt[slot]!) * 1000);
    }
    if (this.phase === P.DRAIN) this.state[slot] = S.IDLE;
    else this.sendNext(slot, now);
    return len;
  }

  private serverCpuUs(): number {
    let us = 0;
    for (const pid of this.o.serverPids) us += treeCpuUs(pid);
    return us;
  }

  /** Counts the error, closes the slot's connection (slot -1: none) and settles its message. */
  private fail(slot: number, kind: keyof WsEchoErrors, why: string, times = 1): void {
    this.errors[kind] += times;
    this.problems.set(why, (this.problems.get(why) ?? 0) + times);
    if (slot >= 0) this.drop(slot);
  }

  private drop(slot: number): void {
    if (this.state[slot] === S.BUSY) this.inflight--;
    if (this.fd[slot]! >= 0) this.libc.close(this.fd[slot]!);
    this.fd[slot] = -1;
    this.state[slot] = S.DEAD;
    this.have[slot] = 0;
  }

  private watch(slot: number, op: number, events: number): boolean {
    return this.epoll.watch(this.fd[slot]!, slot, op, events);
  }
}
