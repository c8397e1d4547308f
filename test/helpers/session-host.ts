/**
 * Sessions (src/contract/session.ts) over `node:net` sockets in the test process, for the
 * protocol harnesses that check a session against real clients without the integrated server
 * (test/http2/harness.ts, test/ws/harness.ts): each socket bridged through the node adapter's
 * own transport, and one coarse clock that a ticker advances and that fires due deadlines, as
 * the core's clock does.
 */
import type { Server, Socket } from "node:net";
import { NodeTransport } from "../../src/adapters/node.ts";
import type { Session } from "../../src/contract/session.ts";

/** What the bridge drives of a session: a WebSocket session has no refusal to report. */
export type BridgedSession = Pick<Session, "deadline" | "onData" | "onDrain" | "onEnd" | "onClosed" | "onTimeout" | "abort">;

export class SessionHost<S extends BridgedSession> {
  readonly clock = { now: Date.now() };
  readonly sessions = new Set<S>();
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor(tickMs: number) {
    this.ticker = setInterval(() => {
      this.clock.now = Date.now();
      for (const s of this.sessions) if (this.clock.now >= s.deadline) s.onTimeout();
    }, tickMs);
  }

  /**
   * Hands `socket` to the session `open` makes over its transport. `released` sees the session
   * once the socket is gone, before the session is told (what it refused with is still there).
   */
  bridge(socket: Socket, open: (transport: NodeTransport) => S, released?: (session: S) => void): S {
    // The real node adapter's transport: past Node's high-water mark a write takes nothing, so a peer that does not read shows as backpressure.
    const transport = new NodeTransport(socket);
    this.clock.now = Date.now();
    const session = open(transport);
    this.sessions.add(session);
    socket.on("data", (b: Buffer) => {
      this.clock.now = Date.now();
      session.onData(b);
    });
    socket.on("drain", () => {
      this.clock.now = Date.now();
      transport.blocked = false;
      session.onDrain();
    });
    socket.on("end", () => session.onEnd());
    socket.on("error", () => {});
    socket.on("close", () => {
      released?.(session);
      this.sessions.delete(session);
      session.onClosed();
    });
    return session;
  }

  /** Listens on 127.0.0.1 and a free port; resolves to the port. */
  async listen(server: Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as { port: number }).port;
  }

  /** Stops the clock, cuts every session and closes `server`. */
  async close(server: Server): Promise<void> {
    clearInterval(this.ticker);
    for (const s of this.sessions) s.abort();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
