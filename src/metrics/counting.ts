/**
 * Counting, wrapped around the core only when --metrics-port is on (chosen once at start by
 * src/worker.ts): the connection counter counts connections, bytes and refusals, the responder
 * counts answered requests by method and status. With metrics off neither exists, and the core
 * runs exactly as before.
 */
import { BodyKind, type ExchangeRequest, type Finished, type Reply, type Responder } from "../contract/exchange.ts";
import type { Session } from "../contract/session.ts";
import type { SocketAddress } from "../contract/address.ts";
import type { Transport } from "../contract/socket.ts";
import { Http1Request } from "../http/exchange-request.ts";
import type { ConnectionCounter } from "../http/server.ts";
import type { WebSocketCounters } from "../protocols/counters.ts";
import { GRPC_CODES, METHOD_LABELS, ProtocolSlot, STATUS_SLOTS, type WorkerCounters } from "./counters.ts";

/** A transport that adds what the back end took to `sent`. */
class CountingTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly counters: WorkerCounters,
  ) {}
  get tls(): boolean | undefined {
    return this.inner.tls;
  }
  write(data: Uint8Array, last?: boolean): number {
    const n = this.inner.write(data, last);
    this.counters.sent += n;
    return n;
  }
  pause(): void {
    this.inner.pause();
  }
  resume(): void {
    this.inner.resume();
  }
  shutdown(): void {
    this.inner.shutdown();
  }
  close(): void {
    this.inner.close();
  }
  abort(): void {
    this.inner.abort();
  }
  reset(): void {
    this.inner.reset();
  }
  remoteAddress(): SocketAddress | null {
    return this.inner.remoteAddress?.() ?? null;
  }
  localAddress(): SocketAddress | null {
    return this.inner.localAddress?.() ?? null;
  }
  alpnProtocol(): string | null {
    return this.inner.alpnProtocol?.() ?? null;
  }
  peerCertificateSubject(): string | null {
    return this.inner.peerCertificateSubject?.() ?? null;
  }
}

/** The core's hook (src/http/server.ts): connections accepted and released, bytes received and sent, refusals by kind. */
export function connectionCounter(counters: WorkerCounters): ConnectionCounter {
  return {
    opened(transport) {
      counters.accepted++;
      return new CountingTransport(transport, counters);
    },
    received(bytes) {
      counters.received += bytes;
    },
    released(session: Session) {
      counters.closed++;
      if (session.refusedWith !== null) counters.refuse(session.refusedWith);
    },
  };
}

interface CountedPlan {
  /** The protocol's and the method's slot: ProtocolSlot * METHOD_LABELS.length + the method's index in METHOD_LABELS. */
  readonly method: number;
  /** The inner responder's plan; null = the configured answer. */
  readonly inner: object | null;
  /**
   * Already counted: a deferred answer (`delay=`) is asked for twice, once to learn its delay
   * and again when it is due, and is one request.
   */
  counted: boolean;
}

/** One constant plan per protocol and method for the configured answer: counting allocates nothing per request. */
const PREBUILT: readonly CountedPlan[] = Array.from({ length: 2 * METHOD_LABELS.length }, (_, method) => ({ method, inner: null, counted: false }));

/** The configured answer, as a reply: the framing turns it into the same prebuilt bytes the fast path sends. */
const CONFIGURED: Reply = { status: 0, fields: null, body: { kind: BodyKind.CONFIGURED }, trailers: null, delayMs: 0, close: false, reset: false };

/** METHOD_LABELS' index of a method token; 0 (OTHER) for one not listed. */
function methodIndex(method: string): number {
  const i = (METHOD_LABELS as readonly string[]).indexOf(method);
  return i < 0 ? 0 : i;
}

/**
 * Counts every answered request (the health path's excepted: it never reaches a responder) by
 * method and status. `inner` answers (echo, steering), or null: then the answer is the configured
 * one, framed as the same bytes the fast path sends, so pipelined batches stay one cached buffer.
 * `configuredStatus` (--status) is what a reply's status 0 means.
 */
export function countingResponder(counters: WorkerCounters, configuredStatus: number, inner: Responder | null): Responder<CountedPlan> {
  const requests = counters.requests;
  return {
    plan(request: ExchangeRequest): CountedPlan {
      // head.ts's Method numbers are METHOD_LABELS' indexes: on HTTP/1.1 no method string is decoded.
      const method =
        request instanceof Http1Request ? request.head.method : (request.protocol === "h2" ? ProtocolSlot.H2 * METHOD_LABELS.length : 0) + methodIndex(request.method);
      if (inner !== null) {
        const plan = inner.plan(request);
        if (plan !== null) return { method, inner: plan, counted: false };
      }
      return PREBUILT[method] ?? PREBUILT[0]!;
    },
    wantsBody(plan) {
      return plan.inner !== null && inner!.wantsBody?.(plan.inner) === true;
    },
    answer(plan, finished: Finished): Reply {
      let reply: Reply;
      if (plan.inner === null) reply = CONFIGURED;
      else {
        reply = inner!.answer(plan.inner, finished);
        if (reply.reset || plan.counted) return reply;
        plan.counted = true;
      }
      // An upgrade the core answers with the switching protocol's own status (its 101, or a WebSocket 400/426) when the reply lets it.
      requests[plan.method * STATUS_SLOTS + (reply.status !== 0 ? reply.status : finished.switching || configuredStatus)]!++;
      return reply;
    },
  };
}

/** The WebSocket echo's counting (src/protocols/counters.ts), on the worker's counters. */
export function webSocketCounters(counters: WorkerCounters): WebSocketCounters {
  return {
    opened() {
      counters.wsOpened++;
    },
    closed() {
      counters.wsClosed++;
    },
    messageReceived() {
      counters.wsReceived++;
    },
    messageSent() {
      counters.wsSent++;
    },
  };
}

/** Counts a gRPC call answered with grpc-status `code` (0..16; anything else has no slot and is not counted). */
export function grpcCallCounter(counters: WorkerCounters): (code: number) => void {
  const calls = counters.grpc;
  return (code) => {
    if (code >= 0 && code < GRPC_CODES) calls[code]!++;
  };
}
