/**
 * The access log's entries for what no responder sees: a request the parser refused (the core's
 * CoreHooks.refused), a gRPC call (answered by src/protocols/h2-grpc.ts, not the responder), and a
 * WebSocket session, logged once at its close with its message counts (websocket.ts `logged`).
 */
import type { ExchangeRequest } from "../contract/exchange.ts";
import type { Transport } from "../contract/socket.ts";
import { ParseError, REASON, type ParseErrorKind } from "../http/constants.ts";
import type { GrpcCallLog } from "../protocols/h2-grpc.ts";
import type { SessionHooks } from "../ws/session.ts";
import { AccessEntry, describeRequest, type AccessLog } from "./log.ts";

/** An entry for `request` (valid only now), its duration counted from now. */
function entryOf(request: ExchangeRequest): AccessEntry {
  const e = new AccessEntry(performance.now());
  describeRequest(e, request);
  return e;
}

/**
 * A refusal: the request line was not understood, so method, target and protocol are `-`; the
 * status is the kind's, the content its reason phrase (response.ts `error`), `refused` the kind
 * in lower case. The duration starts at the refusal, not at the head's first byte: the core keeps
 * no time per connection, and a refusal costs no more than this.
 */
export function refusalLog(log: AccessLog): (kind: ParseErrorKind, transport: Transport) => void {
  return (kind, transport) => {
    const e = new AccessEntry(performance.now());
    e.client = transport.remoteAddress?.() ?? null;
    e.status = ParseError[kind];
    e.bytes = (REASON[e.status] ?? "Error").length + 1;
    e.refused = kind.toLowerCase();
    log.add(e);
  };
}

/** One line per gRPC call, at its end: status 200 and its grpc-status, or the HTTP status it was answered with. */
export function grpcLog(log: AccessLog): GrpcCallLog {
  return (request) => {
    const e = entryOf(request);
    return (status, grpcStatus, bytes) => {
      e.status = status;
      e.grpcStatus = grpcStatus;
      e.bytes = bytes;
      log.add(e);
    };
  };
}

/** A WebSocket session's line, written at its close: status 101, whole messages received and sent, the session's duration. */
export function webSocketLog(log: AccessLog): (request: ExchangeRequest) => SessionHooks {
  return (request) => {
    const e = entryOf(request);
    e.status = 101;
    const ws = { received: 0, sent: 0 };
    e.ws = ws;
    return {
      messageIn: () => void ws.received++,
      messageOut: () => void ws.sent++,
      closed: () => log.add(e),
    };
  };
}
