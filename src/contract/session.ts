/**
 * One protocol's state for one accepted socket, as the core keeps it: the HTTP/1.1
 * `Connection` (src/http/connection.ts) is one; a WebSocket or HTTP/2 session that takes a
 * socket over from it is another. The core's connection set, its clock (deadlines), shutdown
 * and metrics see only this interface, so a session that took over is timed out, drained and
 * counted exactly like the connection it replaced.
 */
import type { ExchangeRequest } from "./exchange.ts";
import type { Transport } from "./socket.ts";

export interface Session {
  /** Absolute time (ms, the core's coarse clock) after which the core calls {@link onTimeout}. Infinity = none. */
  deadline: number;
  /** Bytes arrived. `bytes` may be a reused buffer: valid only during this call (copy what is kept). */
  onData(bytes: Uint8Array): void;
  /** The transport took less than a `write` asked and can take more now. */
  onDrain(): void;
  /** The peer half-closed (EOF). */
  onEnd(): void;
  /** The transport is gone. Idempotent: a back end may report it twice. */
  onClosed(): void;
  /** `deadline` passed. */
  onTimeout(): void;
  /**
   * Graceful shutdown reached this session (the drain): finish what is in flight, close when idle.
   * Two bounds, both from now:
   *   - `graceMs` (the drain grace, up to 1 s): how long an idle session may stay open for a
   *     request already on its way (an HTTP/1.1 request, the streams a GOAWAY's PING brings in);
   *   - `closeWithinMs` (--shutdown-timeout, less the core's margin): the longest a session may
   *     wait for its peer to finish a closing handshake it began (a WebSocket's close frame,
   *     RFC 6455 §7.1.1) before closing itself; past --shutdown-timeout the core cuts it (`abort`).
   */
  onShutdown(graceMs: number, closeWithinMs: number): void;
  /**
   * Shutdown has begun but the server still serves (--shutdown-delay; or the drain's start when
   * there is no delay, just before `onShutdown`): a session whose protocol can tell its peer to
   * go elsewhere without failing what is in flight does so now (HTTP/2's first GOAWAY, RFC 9113
   * §6.8). Called once per session, also for one that takes a socket over later in the delay.
   * Absent: nothing to say (an HTTP/1.1 Connection marks its answers `Connection: close` itself).
   */
  onShutdownBegun?(): void;
  /** Close now, unflushed output dropped (the shutdown timeout passed). */
  abort(): void;
  /**
   * Why the protocol refused the connection (its own error name, e.g. `BAD_CHUNK`), for the
   * refusal counter of --metrics-port; null while it has not. Read once, when the session is released.
   */
  readonly refusedWith: string | null;
}

/**
 * A request that asked to switch protocols (RFC 9110 §7.8) and was accepted: the core writes
 * `response` (the protocol's own `101 Switching Protocols`), then calls `open`, and the returned
 * session owns the socket: the bytes that followed the request's head in the same read are its
 * first `onData`. The output must be flushed by then (a client that pipelined past its upgrade
 * without reading is closed instead), so the session's writes never pass the 101.
 *
 * A protocol may also refuse the switch this way, with no change to the core: `response` is then
 * its complete error answer (a WebSocket handshake's 400 or 426, `Connection: close`), and the
 * session `open` returns only half-closes, discards what still arrives and closes, as the core
 * does after its own refusals (src/protocols/refusal.ts); its `refusedWith` names the refusal.
 */
export interface Upgrade {
  /** The complete 101 answer (or the refusal), framed by the protocol that takes over (its fields are its own). */
  readonly response: Uint8Array;
  /**
   * The status `response` carries when the switch itself answers the request (a WebSocket 101,
   * or its 400/426). Then the request is steered like any other (faults, --delay, request
   * control): the core asks its responder for the request's one plan before switching, and a
   * reply other than the configured answer (a fault's status, a reset) is sent instead of
   * `response`, closing the connection; a delay delays `response`; counting records this status.
   * Absent: the new protocol answers the request itself through the same responder (h2c's
   * stream 1), so the core does not plan it.
   */
  readonly status?: number;
  /** The new session for this socket. */
  open(transport: Transport): Session;
}

/**
 * How a second protocol takes a socket over from HTTP/1.1, given to the core at start. Both
 * absent (the default): the core serves HTTP/1.1 only, exactly as without this hook.
 */
export interface ProtocolSwitch {
  /**
   * The first bytes of a connection are the HTTP/2 client preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`
   * (RFC 9113 §3.3, prior knowledge). `bytes` holds the connection's bytes from the preface's
   * first byte to the end of the read that completed its first line, for the switch to look at: the
   * core feeds them to the new session's `onData` right after, and the session checks the rest of
   * the preface itself. Null = refuse as HTTP/1.1 would.
   * Only asked on the refusal path of a connection's first request, so no request pays for it.
   */
  readonly h2Preface?: (transport: Transport, bytes: Uint8Array) => Session | null;
  /**
   * Asked once per connection, at its first read and before its bytes are parsed: a session that
   * owns the socket from its first byte (TLS whose ALPN chose `h2`, RFC 9113 §3.2; a server that
   * speaks HTTP/2 only, which refuses HTTP/1.1 as an invalid preface, §3.4), or null for HTTP/1.1.
   * At the first read rather than at open: a back end may open a TLS socket before its handshake
   * (Bun, Deno), and ALPN is known only after it. Absent: no connection pays for the question.
   */
  readonly firstRead?: (transport: Transport) => Session | null;
  /**
   * A request carried `Connection: upgrade` and an `Upgrade` field (the WebSocket handshake,
   * RFC 6455 §4.2; h2c, RFC 7540 §3.2). Returns the switch, or null to answer the request as
   * HTTP/1.1 (RFC 9110 §7.8: a server may ignore Upgrade). The request is the neutral
   * description (valid only during this call).
   */
  readonly upgrade?: (request: ExchangeRequest) => Upgrade | null;
}
