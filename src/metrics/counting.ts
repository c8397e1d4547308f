/**
 * Counting, wrapped around the core only when --metrics-port is on (chosen once at start):
 * the handler counts connections and bytes, the responder counts answered requests by method
 * and status. With metrics off neither exists, and the core runs exactly as before.
 */
import type { ConnectionHandler, Transport } from "../contract/socket.ts";
import type { Connection } from "../http/connection.ts";
import type { Session } from "../contract/session.ts";
import type { ResponseCache } from "../http/response.ts";
import type { Answer, ConnectionInfo, Responder, RequestView } from "../http/responder.ts";
import { METHOD_LABELS, STATUS_SLOTS, type WorkerCounters } from "./counters.ts";

/** Bytes 9..11 of `HTTP/1.1 NNN ...`: the status, read from the answer itself. */
const STATUS_AT = 9;
const ZERO = 0x30;

function statusOf(head: Uint8Array): number {
  if (head.length < STATUS_AT + 3) return 0;
  return (head[STATUS_AT]! - ZERO) * 100 + (head[STATUS_AT + 1]! - ZERO) * 10 + (head[STATUS_AT + 2]! - ZERO);
}

/** A transport that adds what the back end took to `sent`. */
class CountingTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly counters: WorkerCounters,
  ) {}
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
  remoteAddress(): { readonly address: string; readonly port: number } | null {
    return this.inner.remoteAddress?.() ?? null;
  }
  localAddress(): { readonly address: string; readonly port: number } | null {
    return this.inner.localAddress?.() ?? null;
  }
  peerCertificateSubject(): string | null {
    return this.inner.peerCertificateSubject?.() ?? null;
  }
}

/** `handler` with connections accepted and bytes received and sent counted. */
export function countingHandler(handler: ConnectionHandler<Connection>, counters: WorkerCounters): ConnectionHandler<Connection> {
  return {
    open(transport) {
      counters.accepted++;
      return handler.open(new CountingTransport(transport, counters));
    },
    data(conn, bytes) {
      counters.received += bytes.length;
      handler.data(conn, bytes);
    },
    drain: handler.drain,
    end: handler.end,
    close: handler.close,
  };
}

/** Called once per connection as it is released: closed connections, and why it was refused if it was. */
export function countRelease(session: Session, counters: WorkerCounters): void {
  counters.closed++;
  if (session.refusedWith !== null) counters.refuse(session.refusedWith);
}

interface CountedPlan {
  /** head.ts's Method number. */
  readonly method: number;
  /** The inner responder's plan; null = the prebuilt answer. */
  readonly inner: object | null;
  /**
   * Already counted: a deferred answer (`delay=`) is asked for twice, once to learn its delay
   * and again when it is due (connection.ts), and is one request.
   */
  counted: boolean;
}

/** One constant plan per method for the prebuilt answer: counting allocates nothing per request. */
const PREBUILT: readonly CountedPlan[] = METHOD_LABELS.map((_, method) => ({ method, inner: null, counted: false }));

/**
 * Counts every answered request (the health path's excepted: it never reaches a responder) by
 * method and status. `inner` answers (echo, steer), or null: then the answer is the prebuilt
 * one, the same bytes the fast path sends, so pipelined batches stay one cached buffer.
 */
export function countingResponder(counters: WorkerCounters, responses: ResponseCache, inner: Responder | null): Responder<CountedPlan> {
  const requests = counters.requests;
  /** The last prebuilt answer per (persist, HEAD) variant: rebuilt only when the cache's buffer changes (once a second). */
  const answers: (Answer | undefined)[] = [];
  return {
    plan(request: RequestView, conn: ConnectionInfo): CountedPlan {
      const method = request.head.method;
      if (inner !== null) {
        const plan = inner.plan(request, conn);
        if (plan !== null) return { method, inner: plan, counted: false };
      }
      return PREBUILT[method] ?? PREBUILT[0]!;
    },
    answer(plan, persist, isHead, bodyLength): Answer {
      let answer: Answer;
      if (plan.inner === null) {
        const head = responses.get(persist, isHead);
        const i = persist * 2 + (isHead ? 1 : 0);
        let cached = answers[i];
        if (cached === undefined || cached.head !== head) {
          cached = { head, body: null, delayMs: 0, close: false, reset: false };
          answers[i] = cached;
        }
        answer = cached;
      } else {
        answer = inner!.answer(plan.inner, persist, isHead, bodyLength);
        if (answer.reset || plan.counted) return answer;
        plan.counted = true;
      }
      requests[plan.method * STATUS_SLOTS + statusOf(answer.head)]!++;
      return answer;
    },
  };
}
