/** A WebSocketSession on a FakeTransport and a manual clock, for driving it in-process. */
import { FakeTransport } from "../helpers/fake-transport.ts";
import { WebSocketSession, type SessionOptions } from "../../src/ws/session.ts";

export const TEST_OPTIONS: SessionOptions = { maxMessage: 1 << 20, pingIntervalMs: 0, idleTimeoutMs: 0, maxBufferedOutput: 64 * 1024 };

export class SessionHarness {
  readonly transport = new FakeTransport();
  readonly clock = { now: 1_700_000_000_000 };
  readonly session: WebSocketSession;
  messagesIn = 0;
  messagesOut = 0;
  closedWith: number | null = null;

  constructor(options: Partial<SessionOptions> = {}) {
    this.session = new WebSocketSession(this.transport, { ...TEST_OPTIONS, ...options }, this.clock, {
      messageIn: () => this.messagesIn++,
      messageOut: () => this.messagesOut++,
      closed: (code) => (this.closedWith = code),
    });
    this.transport.onClose = () => this.session.onClosed();
  }

  /** One read; the buffer is zeroed afterwards, as a back end reusing its read buffer would. */
  feed(bytes: Uint8Array | number[]): void {
    const copy = Uint8Array.from(bytes);
    this.session.onData(copy);
    copy.fill(0);
  }

  /** Moves the clock by `ms` and fires the session's timeout if it is due (what the core's tick does). */
  advance(ms: number): void {
    this.clock.now += ms;
    if (this.clock.now >= this.session.deadline) this.session.onTimeout();
  }

  drain(budget = Number.POSITIVE_INFINITY): void {
    this.transport.budget = budget;
    this.session.onDrain();
  }
}
