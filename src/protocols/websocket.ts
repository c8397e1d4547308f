/**
 * The WebSocket echo behind --ws-echo-path: a handshake checked by src/ws/handshake.ts becomes
 * the core's `Upgrade` (the 101 and a WebSocketSession with the flags' limits), a bad one a
 * refusal (400, or 426 naming version 13). Only the decision and the wiring live here; the
 * protocol itself is src/ws/.
 */
import type { Config } from "../config.ts";
import type { ExchangeRequest } from "../contract/exchange.ts";
import type { Session, Upgrade } from "../contract/session.ts";
import type { Transport } from "../contract/socket.ts";
import { Limits as HttpLimits } from "../http/constants.ts";
import { checkUpgrade, upgradeAnswer, VERSION_FIELD_LINE } from "../ws/handshake.ts";
import { WebSocketSession, type SessionHooks, type SessionOptions } from "../ws/session.ts";
import type { WebSocketCounters } from "./counters.ts";
import { refusalAnswer, RefusedUpgrade } from "./refusal.ts";

/** The flags the echo reads. */
export type WebSocketConfig = Pick<Config, "wsMaxMessage" | "wsPingInterval" | "idleTimeout">;

export interface WebSocketEchoOptions {
  /** The core's coarse clock (ms since the epoch), read when a session arms a timer. */
  readonly clock: { readonly now: number };
  /** X-Served-By value (--served-by) for the 101 and the refusals, or null. */
  readonly servedBy: string | null;
  /** Where to count sessions and messages (--metrics-port), or null. */
  readonly counters: WebSocketCounters | null;
  /**
   * The access log (--access-log): asked for each 101 with the request (valid only during the
   * call), it returns the session's own hooks, which count its messages and write its line at
   * the close. Absent or null = none, and sessions share one hooks object.
   */
  readonly logged?: ((request: ExchangeRequest) => SessionHooks) | null;
}

/** A refusal's name as the core's refusal counter receives it (Session.refusedWith). */
export const WebSocketRefusal = { 400: "WS_BAD_UPGRADE", 426: "WS_VERSION" } as const;

/**
 * A WebSocketSession is a core Session: it refuses no HTTP, so it has no refusal to report.
 *
 * Shutdown: no `onShutdownBegun`. During --shutdown-delay a WebSocket keeps echoing: unlike
 * HTTP/2's GOAWAY, which only moves the client's *next* connection, a close now would end the
 * session, and the client's reconnect would most likely land on this same pod, still listed by
 * its load balancer until the delay ends. The drain sends 1001 and waits for the peer's close up
 * to the core's `closeWithinMs` (--shutdown-timeout), not the 1 s grace meant for idle HTTP.
 */
class WebSocketEchoSession extends WebSocketSession implements Session {
  readonly refusedWith = null;

  override onShutdown(_graceMs: number, closeWithinMs: number = _graceMs): void {
    super.onShutdown(closeWithinMs);
  }
}

/**
 * The echo's decision for a request already known to ask for `websocket` on the echo path:
 * `Upgrade` with the 101 and the session, or with the refusal and a session that only closes.
 */
export function websocketEcho(config: WebSocketConfig, options: WebSocketEchoOptions): (request: ExchangeRequest) => Upgrade {
  const { clock, counters } = options;
  const logged = options.logged ?? null;
  const servedBy = options.servedBy === null ? "" : `X-Served-By: ${options.servedBy}\r\n`;
  const sessionOptions: SessionOptions = {
    maxMessage: config.wsMaxMessage,
    pingIntervalMs: Math.round(config.wsPingInterval * 1000),
    // §7 leaves idling to the endpoint: --idle-timeout, as for a kept-alive HTTP connection.
    idleTimeoutMs: Math.round(config.idleTimeout * 1000),
    // The HTTP/1.1 connection's bound: a client that sends without reading never grows the process.
    maxBufferedOutput: HttpLimits.PENDING_OUTPUT,
  };
  // One hooks object for every session: counters take no session, so none is allocated per socket.
  const hooks: SessionHooks =
    counters === null
      ? {}
      : {
          messageIn: () => counters.messageReceived(),
          messageOut: () => counters.messageSent(),
          closed: (code) => counters.closed(code),
        };
  return (request) => {
    const check = checkUpgrade(request.method, (name) => request.fields.get(name));
    if ("accept" in check) {
      const sessionHooks = logged === null ? hooks : bothHooks(hooks, logged(request));
      return {
        response: upgradeAnswer(check.accept, servedBy),
        status: 101,
        open(transport: Transport): Session {
          counters?.opened();
          return new WebSocketEchoSession(transport, sessionOptions, clock, sessionHooks);
        },
      };
    }
    // RFC 6455 §4.2.2 item 4 / RFC 9110 §15.5.22: a 426 names the version spoken here and the
    // protocol to upgrade to (RFC 9110 §7.8: Upgrade sent, so `upgrade` listed in Connection).
    const fields =
      check.status === 426 ? `Connection: upgrade, close\r\nUpgrade: websocket\r\n${VERSION_FIELD_LINE}${servedBy}` : `Connection: close\r\n${servedBy}`;
    const refusedWith = WebSocketRefusal[check.status];
    return {
      response: refusalAnswer(check.status, check.reason, fields, clock.now, request.method === "HEAD"),
      status: check.status,
      open: (transport: Transport): Session => new RefusedUpgrade(transport, clock, refusedWith),
    };
  };
}

/** Counting's hooks and the access log's, for one session. */
function bothHooks(a: SessionHooks, b: SessionHooks): SessionHooks {
  return {
    messageIn() {
      a.messageIn?.();
      b.messageIn?.();
    },
    messageOut() {
      a.messageOut?.();
      b.messageOut?.();
    },
    closed(code) {
      a.closed?.(code);
      b.closed?.(code);
    },
  };
}
