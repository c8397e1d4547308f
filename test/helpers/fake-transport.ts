/**
 * A Transport that records what the core does to it, for driving a session in-process (the
 * HTTP/1.1 core, an Http2Session, a WebSocket session): every write (copied, since the core
 * hands out shared prebuilt buffers), pause/resume, half-close, close, abort and reset.
 */
import type { Transport } from "../../src/contract/socket.ts";
import type { Config } from "../../src/config.ts";
import { DEFAULTS } from "../../src/config.ts";
import type { Connection } from "../../src/http/connection.ts";
import { createHttpCore, type CoreHooks, type HttpCore } from "../../src/http/server.ts";
import { connectionCounter } from "../../src/metrics/counting.ts";
import type { WorkerCounters } from "../../src/metrics/counters.ts";
import type { Identity } from "../../src/respond/echo-identity.ts";
import { composeResponder, createSteering, type RunState, type Steering } from "../../src/respond/index.ts";

/** Who answers, as echo shows it: fixed, so an in-process echo is the same on every machine. */
export const TEST_IDENTITY: Identity = { hostname: "test-host", pod: null, namespace: null, node: null, pid: 4242, runtime: "bun", io: "socket" };

/** The core's hooks, plus what src/worker.ts composes from: the counters and who answers. */
export interface HarnessHooks extends Omit<CoreHooks, "now" | "counter"> {
  readonly counters?: WorkerCounters | null;
  readonly identity?: Identity;
}

export class FakeTransport implements Transport {
  /** Each write's bytes as offered (before the `accept` cut). */
  readonly writes: Uint8Array[] = [];
  /** Bytes the transport took, in order: what the client would receive. */
  private taken: number[] = [];
  /** Bytes the next writes may take in total; Infinity = everything. */
  budget = Number.POSITIVE_INFINITY;
  paused = false;
  pauses = 0;
  resumes = 0;
  /** Half-closed (FIN sent, still reading). */
  shutDown = false;
  closed = false;
  /** Calls after close: the core must not write to a closed transport. */
  writesAfterClose = 0;

  write(data: Uint8Array): number {
    if (this.closed) {
      this.writesAfterClose++;
      return 0;
    }
    this.writes.push(data.slice());
    const n = Math.min(data.length, this.budget);
    this.budget -= n;
    for (let i = 0; i < n; i++) this.taken.push(data[i]!);
    return n;
  }
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
    this.resumes++;
  }
  shutdown(): void {
    this.shutDown = true;
  }
  close(): void {
    // A real back end reports the end of a connection once, however often it is asked to close
    // (an abort after a close, a reset while closing): so does this, through `onClose`.
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }
  abort(): void {
    this.aborted = true;
    this.close();
  }
  aborted = false;
  /** reset(): the peer would see an RST. */
  resetSent = false;
  reset(): void {
    this.resetSent = true;
    this.abort();
  }
  onClose: () => void = () => {};

  /** Every byte taken so far. */
  received(): Uint8Array {
    return Uint8Array.from(this.taken);
  }
  /** The connection is finished from the client's view: FIN or close. */
  get ended(): boolean {
    return this.shutDown || this.closed;
  }
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...DEFAULTS, workers: 1, ...overrides };
}

/** One connection of a {@link CoreHarness}: its transport and a way to feed it reads. */
export class FakeClient {
  readonly transport = new FakeTransport();
  readonly conn: Connection;

  constructor(private readonly core: HttpCore) {
    this.conn = core.handler.open(this.transport);
    this.transport.onClose = () => core.handler.close(this.conn);
  }

  /** Feeds one read; returns how many writes it caused. */
  feed(bytes: Uint8Array | string): number {
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    const before = this.transport.writes.length;
    // The adapters may hand over a reused buffer valid only during the call: mimic it.
    const copy = data.slice();
    this.core.handler.data(this.conn, copy);
    copy.fill(0);
    return this.transport.writes.length - before;
  }

  /** The socket can take more: what a back end does after a partial write. */
  drain(budget = Number.POSITIVE_INFINITY): void {
    this.transport.budget = budget;
    this.core.handler.drain(this.conn);
  }

  /** The peer sent FIN. */
  end(): void {
    this.core.handler.end(this.conn);
  }
}

/** One core on a manual clock, with a first connection ready; `connect` opens more. */
export class CoreHarness {
  readonly core: HttpCore;
  readonly client: FakeClient;
  now: number;

  private readonly steering: Steering;
  private readonly counters: WorkerCounters | null;
  private readonly identity: Identity;

  /** A core composed as src/worker.ts composes one: the responder from `config`, counting when `hooks.counters` is given. */
  constructor(config: Config = testConfig(), now = 1_700_000_000_000, hooks: HarnessHooks = {}) {
    this.now = now;
    this.steering = createSteering(config);
    this.counters = hooks.counters ?? null;
    this.identity = hooks.identity ?? TEST_IDENTITY;
    const { counters: _c, identity: _i, ...coreHooks } = hooks;
    const counter = this.counters === null ? null : connectionCounter(this.counters);
    this.core = createHttpCore(config, composeResponder(this.steering, "ready", this.counters, this.identity), { ...coreHooks, now, counter });
    this.client = new FakeClient(this.core);
  }

  /** A run-time state change, as src/worker.ts's setState applies it. */
  setState(state: RunState): void {
    this.core.setUnready(state === "unready");
    this.core.setResponder(composeResponder(this.steering, state, this.counters, this.identity));
  }

  get transport(): FakeTransport {
    return this.client.transport;
  }
  get conn(): Connection {
    return this.client.conn;
  }
  feed(bytes: Uint8Array | string): number {
    return this.client.feed(bytes);
  }
  connect(): FakeClient {
    return new FakeClient(this.core);
  }

  /** Advances the clock by `ms` and ticks the core. */
  advance(ms: number): void {
    this.now += ms;
    this.core.tick(this.now);
  }
}
