/**
 * The gRPC wiring apart from a socket: the flags (--grpc-service, GRPC_SERVICE, --healthcheck-grpc),
 * which HTTP/2 requests are gRPC calls, how GrpcStreams frames each outcome on a stream (cached
 * blocks, Trailers-Only, Watch messages and their end, a delay dropped when the stream closes,
 * shutdown sticking), and the --healthcheck-grpc reader fed the very blocks the server sends.
 */
import { describe, expect, test } from "bun:test";
import { parseCommand } from "../../src/config.ts";
import type { Due } from "../../src/http/deferred.ts";
import { Flag, FrameType } from "../../src/http2/constants.ts";
import type { Http2Reply, Http2Request } from "../../src/http2/types.ts";
import { HEALTH_RESPONSES, ServingStatus } from "../../src/grpc/health.ts";
import { GrpcDispatcher } from "../../src/grpc/service.ts";
import { H2Answers } from "../../src/protocols/h2-answers.ts";
import { GrpcProbeReader, grpcVerdict } from "../../src/protocols/h2-grpc-probe.ts";
import { GrpcStreams, isGrpcRequest, type OpenWatch } from "../../src/protocols/h2-grpc.ts";
import { frame } from "../../src/protocols/h2-probe.ts";
import { DEFAULTS } from "../../src/config.ts";
import { IDENTITY } from "./helpers.ts";
import { serve, usageError } from "../helpers/config.ts";

describe("flags", () => {
  test("--grpc-service is repeatable, deduplicated; GRPC_SERVICE is comma-separated; flags replace the variable", () => {
    expect(serve([]).grpcServices).toEqual([]);
    expect(serve(["--grpc-service", "a.B", "--grpc-service", "c.D", "--grpc-service", "a.B"]).grpcServices).toEqual(["a.B", "c.D"]);
    expect(serve([], { GRPC_SERVICE: " a.B, ,c.D " }).grpcServices).toEqual(["a.B", "c.D"]);
    expect(serve(["--grpc-service", "x.Y"], { GRPC_SERVICE: "a.B" }).grpcServices).toEqual(["x.Y"]);
    expect(usageError(["--grpc-service", "has space"])).toContain("--grpc-service");
  });

  test("--healthcheck-grpc is the healthcheck command in gRPC mode; refused with --http2 off", () => {
    const c = parseCommand(["--healthcheck-grpc", "--port", "9"], {});
    expect(c.kind).toBe("healthcheck");
    expect(c.kind === "healthcheck" && c.config.healthcheckGrpc).toBe(true);
    expect(usageError(["--healthcheck-grpc", "--http2", "off"])).toContain("--http2 off");
  });
});

function request(method: string, path: string, fields: string[], body: Uint8Array | null = null): Http2Request {
  return { streamId: 1, method, scheme: "http", authority: "a", path, protocol: "h2", fields, bodyLength: body?.length ?? 0, body };
}

const GRPC_FIELDS = ["content-type", "application/grpc", "te", "trailers"];
const EMPTY_CHECK = Uint8Array.of(0, 0, 0, 0, 0);

test("isGrpcRequest: POST with application/grpc*, or POST to a served service; nothing else", () => {
  expect(isGrpcRequest(request("POST", "/x", ["content-type", "application/grpc+proto"]))).toBe(true);
  expect(isGrpcRequest(request("POST", "/grpc.health.v1.Health/Check", ["content-type", "application/json"]))).toBe(true);
  expect(isGrpcRequest(request("POST", "/hello.v1.Echo/Nope", []))).toBe(true);
  expect(isGrpcRequest(request("GET", "/grpc.health.v1.Health/Check", GRPC_FIELDS))).toBe(false);
  expect(isGrpcRequest(request("POST", "/upload", ["content-type", "text/plain"]))).toBe(false);
});

interface Sent {
  calls: Array<[string, ...unknown[]]>;
  reply: Http2Reply;
  close(): void;
}

function fakeReply(): Sent {
  const calls: Array<[string, ...unknown[]]> = [];
  let closed = false;
  const reply: Http2Reply = {
    streamId: 1,
    get closed() {
      return closed;
    },
    onClose: null,
    respond: (block, body, trailers) => calls.push(["respond", block, body, trailers ?? null]),
    start: (block) => calls.push(["start", block]),
    data: (bytes, end) => calls.push(["data", bytes, end]),
    trailers: (block) => {
      calls.push(["trailers", block]);
      closed = true;
    },
    reset: (code) => calls.push(["reset", code]),
  };
  return {
    calls,
    reply,
    close() {
      closed = true;
      reply.onClose?.();
    },
  };
}

function setup(config: Partial<typeof DEFAULTS> = {}) {
  const c = { ...DEFAULTS, requestControl: true, ...config };
  const timers: Due[] = [];
  const answers = new H2Answers(c, null, { now: Date.now() });
  const streams = new GrpcStreams({ dispatcher: new GrpcDispatcher(c, ["foo.Bar"], IDENTITY), random: () => 0.5, servedBy: null }, answers, (d) => timers.push(d));
  const connection = { transport: { write: () => 0 } as never, watches: new Set<OpenWatch>(), draining: false };
  return { streams, timers, connection };
}

describe("GrpcStreams", () => {
  test("Check: cached header and trailer blocks, the shared SERVING message; the same objects on every call", () => {
    const { streams, connection } = setup();
    const a = fakeReply();
    const b = fakeReply();
    streams.answer(request("POST", "/grpc.health.v1.Health/Check", GRPC_FIELDS, EMPTY_CHECK), a.reply, connection);
    streams.answer(request("POST", "/grpc.health.v1.Health/Check", GRPC_FIELDS, EMPTY_CHECK), b.reply, connection);
    const [kind, head, body, tail] = a.calls[0]!;
    expect(kind).toBe("respond");
    expect(body).toBe(HEALTH_RESPONSES[ServingStatus.SERVING]!);
    expect(b.calls[0]![1]).toBe(head);
    expect(b.calls[0]![3]).toBe(tail);
  });

  test("no message → Trailers-Only (one block, no DATA); the probe reader reads grpc-status 5 from it", () => {
    const { streams, connection } = setup();
    const s = fakeReply();
    const unknown = Uint8Array.of(0, 0, 0, 0, 3, 0x0a, 1, 0x78);
    streams.answer(request("POST", "/grpc.health.v1.Health/Check", GRPC_FIELDS, unknown), s.reply, connection);
    const [kind, block, body, tail] = s.calls[0]!;
    expect([kind, body, tail]).toEqual(["respond", null, null]);
    const reader = new GrpcProbeReader();
    const out = reader.push(Uint8Array.from(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, [...(block as Uint8Array)])));
    expect(out).toEqual({ kind: "done", grpcStatus: 5, serving: -1 });
    expect(grpcVerdict(out as { grpcStatus: number; serving: number })).toBe("grpc-status 5");
  });

  test("the probe reader: SETTINGS acknowledged, then headers, DATA, trailers → SERVING with grpc-status 0", () => {
    const { streams, connection } = setup();
    const s = fakeReply();
    streams.answer(request("POST", "/grpc.health.v1.Health/Check", GRPC_FIELDS, EMPTY_CHECK), s.reply, connection);
    const [, head, body, tail] = s.calls[0]! as [string, Uint8Array, Uint8Array, Uint8Array];
    const reader = new GrpcProbeReader();
    const first = reader.push(Uint8Array.from(frame(FrameType.SETTINGS, 0, 0, [])));
    expect(first.kind).toBe("more");
    expect(first.kind === "more" && first.reply !== null).toBe(true);
    const bytes = [...frame(FrameType.HEADERS, Flag.END_HEADERS, 1, [...head]), ...frame(FrameType.DATA, 0, 1, [...body]), ...frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, [...tail])];
    // Split mid-frame: the reader keeps what it has not framed yet.
    expect(reader.push(Uint8Array.from(bytes.slice(0, 7))).kind).toBe("more");
    const out = reader.push(Uint8Array.from(bytes.slice(7)));
    expect(out).toEqual({ kind: "done", grpcStatus: 0, serving: ServingStatus.SERVING });
    expect(grpcVerdict(out as { grpcStatus: number; serving: number })).toBeNull();
  });

  test("Watch: the first message, one per change, ended with OK trailers by its connection's drain; gone from the hub when closed", () => {
    const { streams, connection } = setup();
    const s = fakeReply();
    streams.answer(request("POST", "/grpc.health.v1.Health/Watch", GRPC_FIELDS, EMPTY_CHECK), s.reply, connection);
    expect(s.calls.map((c) => c[0])).toEqual(["start", "data"]);
    expect(s.calls[1]![1]).toBe(HEALTH_RESPONSES[ServingStatus.SERVING]!);
    streams.setState("sick");
    expect(s.calls.length).toBe(2);
    streams.setState("unready");
    expect(s.calls[2]![1]).toBe(HEALTH_RESPONSES[ServingStatus.NOT_SERVING]!);
    expect(connection.watches.size).toBe(1);
    for (const w of connection.watches) w.end();
    expect(s.calls[3]![0]).toBe("trailers");
    s.close();
    expect(connection.watches.size).toBe(0);
    expect(streams.hub.size).toBe(0);
  });

  test("a Watch with grpc-timeout ends with DEADLINE_EXCEEDED at it; a client's cancel drops the timer", () => {
    const { streams, connection, timers } = setup();
    const s = fakeReply();
    streams.answer(request("POST", "/grpc.health.v1.Health/Watch", [...GRPC_FIELDS, "grpc-timeout", "50m"], EMPTY_CHECK), s.reply, connection);
    expect(timers.length).toBe(1);
    const other = fakeReply();
    streams.answer(request("POST", "/grpc.health.v1.Health/Watch", [...GRPC_FIELDS, "grpc-timeout", "50m"], EMPTY_CHECK), other.reply, connection);
    other.close();
    expect(timers[1]!.cancelled).toBe(true);
    timers[0]!.fire();
    expect(s.calls.at(-1)![0]).toBe("trailers");
    expect(streams.hub.size).toBe(0);
  });

  test("x-hello-delay on the core's timer heap; a stream closed first drops it; --reset-rate resets", () => {
    const { streams, connection, timers } = setup();
    const s = fakeReply();
    streams.answer(request("POST", "/hello.v1.Echo/Echo", [...GRPC_FIELDS, "x-hello-delay", "1s"], Uint8Array.of(0, 0, 0, 0, 0)), s.reply, connection);
    expect(s.calls).toEqual([]);
    expect(timers.length).toBe(1);
    s.close();
    expect(timers[0]!.cancelled).toBe(true);
    const reset = setup({ resetRate: 1 });
    const r = fakeReply();
    reset.streams.answer(request("POST", "/hello.v1.Echo/Echo", GRPC_FIELDS, Uint8Array.of(0, 0, 0, 0, 0)), r.reply, reset.connection);
    expect(r.calls[0]![0]).toBe("reset");
  });

  test("shutdown sticks: a later admin state does not make Check SERVING again", () => {
    const { streams, connection } = setup();
    streams.setState("shutdown");
    streams.setState("ready");
    const s = fakeReply();
    streams.answer(request("POST", "/grpc.health.v1.Health/Check", GRPC_FIELDS, EMPTY_CHECK), s.reply, connection);
    expect(s.calls[0]![2]).toBe(HEALTH_RESPONSES[ServingStatus.NOT_SERVING]!);
  });
});
