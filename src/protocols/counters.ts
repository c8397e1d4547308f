/**
 * What the WebSocket echo counts, for --metrics-port: declared here and left to the metrics
 * code to implement (as Prometheus counters, summed over the workers like the others). Open
 * connections are `opened − closed`, so a gauge needs no second bookkeeping.
 */
export interface WebSocketCounters {
  /** A WebSocket session began (its 101 was written). */
  opened(): void;
  /**
   * A WebSocket session is gone. `code` is the close code its handshake settled on
   * (src/ws/session.ts SessionHooks.closed: 1005 none given, 1006 no close frame, 1011 an internal fault).
   */
  closed(code: number): void;
  /** A whole text or binary message arrived (every fragment of it). */
  messageReceived(): void;
  /** A message went out (its echo). */
  messageSent(): void;
}
