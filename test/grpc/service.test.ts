/** The dispatcher's outcome for every case it decides, as data: protocol errors, health, sick, faults, control, deadlines. */
import { describe, expect, test } from "bun:test";
import { DEFAULTS } from "../../src/config.ts";
import { ECHO_PATH } from "../../src/grpc/echo.ts";
import { HEALTH_CHECK_PATH, HEALTH_WATCH_PATH, type HealthState } from "../../src/grpc/health.ts";
import { GrpcDispatcher, OutcomeKind, type GrpcConfig, type GrpcOutcome } from "../../src/grpc/service.ts";
import { fieldsOf, hex, IDENTITY, toHex } from "./helpers.ts";

const BASE: GrpcConfig = {
  maxBodySize: DEFAULTS.maxBodySize,
  requestControl: true,
  maxDelay: 30,
  failRate: 0,
  failStatus: 503,
  delay: null,
  resetRate: 0,
};
const GRPC_FIELDS: [string, string][] = [["content-type", "application/grpc"], ["te", "trailers"]];
const EMPTY_MESSAGE = "0000000000";
const ECHO_HI = "00 00000004 0a026869";

interface Case {
  readonly name: string;
  readonly path?: string;
  /** Replace the default content-type / te; null removes one. */
  readonly contentType?: string | null;
  readonly te?: string | null;
  readonly fields?: [string, string][];
  readonly body?: string | null;
  readonly state?: HealthState;
  readonly config?: Partial<GrpcConfig>;
  /** The draws the seeded random would give, in order. */
  readonly draws?: number[];
  readonly expect: { kind: number; status?: number; grpcStatus?: string; delayMs?: number; reply?: boolean; known?: boolean; drawn?: number; headers?: [string, string][] };
}

const CASES: readonly Case[] = [
  // Protocol
  { name: "wrong content-type → HTTP 415", contentType: "application/json", expect: { kind: OutcomeKind.HTTP, status: 415 } },
  { name: "no content-type → HTTP 415", contentType: null, expect: { kind: OutcomeKind.HTTP, status: 415 } },
  { name: "application/grpc+json → HTTP 415 (only proto is served)", contentType: "application/grpc+json", expect: { kind: OutcomeKind.HTTP, status: 415 } },
  { name: "application/grpc+proto with a parameter, any case, is gRPC", contentType: "Application/GRPC+proto; x=1", body: ECHO_HI, expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true } },
  { name: "no te → INTERNAL", te: null, expect: { kind: OutcomeKind.UNARY, grpcStatus: "13" } },
  { name: "malformed grpc-timeout → INTERNAL", fields: [["grpc-timeout", "1s"]], body: ECHO_HI, expect: { kind: OutcomeKind.UNARY, grpcStatus: "13" } },
  { name: "unknown method → UNIMPLEMENTED", path: "/hello.v1.Echo/Other", body: ECHO_HI, expect: { kind: OutcomeKind.UNARY, grpcStatus: "12" } },
  { name: "no request message → UNIMPLEMENTED (cardinality)", body: null, expect: { kind: OutcomeKind.UNARY, grpcStatus: "12" } },
  { name: "two request messages → UNIMPLEMENTED (cardinality)", body: ECHO_HI + ECHO_HI, expect: { kind: OutcomeKind.UNARY, grpcStatus: "12" } },
  { name: "length past the body → INTERNAL", body: "00 00000009 0a026869", expect: { kind: OutcomeKind.UNARY, grpcStatus: "13" } },
  { name: "length past --max-body-size → RESOURCE_EXHAUSTED", body: ECHO_HI, config: { maxBodySize: 3 }, expect: { kind: OutcomeKind.UNARY, grpcStatus: "8" } },
  { name: "compressed, no grpc-encoding → INTERNAL", body: "01 00000004 0a026869", expect: { kind: OutcomeKind.UNARY, grpcStatus: "13" } },
  { name: "compressed gzip → UNIMPLEMENTED with grpc-accept-encoding", fields: [["grpc-encoding", "gzip"]], body: "01 00000004 0a026869", expect: { kind: OutcomeKind.UNARY, grpcStatus: "12", headers: [["content-type", "application/grpc"], ["grpc-accept-encoding", "identity"]] } },
  { name: "not an EchoRequest → INTERNAL", body: "00 00000002 0801", expect: { kind: OutcomeKind.UNARY, grpcStatus: "13" } },
  { name: "echo", body: ECHO_HI, expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true, delayMs: 0 } },
  // Health
  { name: "Check '' ready → SERVING", path: HEALTH_CHECK_PATH, body: EMPTY_MESSAGE, expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true } },
  { name: "Check unknown service → NOT_FOUND", path: HEALTH_CHECK_PATH, body: "00 00000005 0a03626f62", expect: { kind: OutcomeKind.UNARY, grpcStatus: "5" } },
  { name: "Check not a HealthCheckRequest → INTERNAL", path: HEALTH_CHECK_PATH, body: "00 00000002 0801", expect: { kind: OutcomeKind.UNARY, grpcStatus: "13" } },
  { name: "Watch known → a stream", path: HEALTH_WATCH_PATH, body: "00 00000007 0a0568656c6c6f", expect: { kind: OutcomeKind.WATCH, known: true } },
  { name: "Watch unknown → a stream of SERVICE_UNKNOWN", path: HEALTH_WATCH_PATH, body: "00 00000005 0a03626f62", expect: { kind: OutcomeKind.WATCH, known: false } },
  { name: "health is never steered: every fault on, control asking 14 and a delay, sick", path: HEALTH_CHECK_PATH, body: EMPTY_MESSAGE, state: "sick", config: { resetRate: 1, failRate: 1, delay: { min: 5, max: 5 } }, fields: [["x-hello-grpc-status", "14"], ["x-hello-delay", "5s"]], draws: [0, 0, 0], expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true, delayMs: 0, drawn: 0 } },
  // State
  { name: "sick → INTERNAL for echo", state: "sick", body: ECHO_HI, expect: { kind: OutcomeKind.UNARY, grpcStatus: "13" } },
  { name: "unready: echo answers", state: "unready", body: ECHO_HI, expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true } },
  // Faults, drawn in faults.ts's order
  { name: "--reset-rate drawn → RESET", body: ECHO_HI, config: { resetRate: 0.5, failRate: 0.5 }, draws: [0.4], expect: { kind: OutcomeKind.RESET, drawn: 1 } },
  { name: "--reset-rate missed, --fail-rate drawn → 503 → UNAVAILABLE", body: ECHO_HI, config: { resetRate: 0.5, failRate: 0.5 }, draws: [0.6, 0.1], expect: { kind: OutcomeKind.UNARY, grpcStatus: "14", drawn: 2 } },
  { name: "--fail-status 403 → PERMISSION_DENIED", body: ECHO_HI, config: { failRate: 1, failStatus: 403 }, draws: [0], expect: { kind: OutcomeKind.UNARY, grpcStatus: "7" } },
  { name: "--fail-status 500 → UNKNOWN", body: ECHO_HI, config: { failRate: 1, failStatus: 500 }, draws: [0], expect: { kind: OutcomeKind.UNARY, grpcStatus: "2" } },
  { name: "--fail-rate missed → echo", body: ECHO_HI, config: { failRate: 0.5 }, draws: [0.5], expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true, drawn: 1 } },
  { name: "--delay MIN..MAX draws one number", body: ECHO_HI, config: { delay: { min: 0.1, max: 0.3 } }, draws: [0.5], expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true, delayMs: 200, drawn: 1 } },
  { name: "--delay D draws nothing", body: ECHO_HI, config: { delay: { min: 0.1, max: 0.1 } }, expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true, delayMs: 100, drawn: 0 } },
  // Request control
  { name: "x-hello-grpc-status 14", body: ECHO_HI, fields: [["x-hello-grpc-status", "14"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "14" } },
  { name: "x-hello-grpc-status 0 overrides an injected failure", body: ECHO_HI, config: { failRate: 1 }, draws: [0], fields: [["x-hello-grpc-status", "0"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true } },
  { name: "x-hello-grpc-status 17 → INVALID_ARGUMENT", body: ECHO_HI, fields: [["x-hello-grpc-status", "17"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "3" } },
  { name: "x-hello-grpc-status abc → INVALID_ARGUMENT", body: ECHO_HI, fields: [["x-hello-grpc-status", "abc"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "3" } },
  { name: "x-hello-delay 250ms replaces --delay", body: ECHO_HI, config: { delay: { min: 1, max: 1 } }, fields: [["x-hello-delay", "250ms"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true, delayMs: 250 } },
  { name: "x-hello-delay above --max-delay → INVALID_ARGUMENT", body: ECHO_HI, fields: [["x-hello-delay", "31s"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "3", delayMs: 0 } },
  { name: "x-hello-delay malformed → INVALID_ARGUMENT", body: ECHO_HI, fields: [["x-hello-delay", "soon"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "3" } },
  { name: "control ignored without --request-control", body: ECHO_HI, config: { requestControl: false }, fields: [["x-hello-grpc-status", "14"], ["x-hello-delay", "1s"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true, delayMs: 0 } },
  // Deadlines
  { name: "a delay past grpc-timeout → DEADLINE_EXCEEDED at the deadline", body: ECHO_HI, fields: [["x-hello-delay", "2s"], ["grpc-timeout", "500m"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "4", delayMs: 500 } },
  { name: "a failure due after the deadline is DEADLINE_EXCEEDED too", body: ECHO_HI, fields: [["x-hello-delay", "2s"], ["grpc-timeout", "1S"], ["x-hello-grpc-status", "14"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "4", delayMs: 1000 } },
  { name: "a delay within grpc-timeout answers", body: ECHO_HI, fields: [["x-hello-delay", "100ms"], ["grpc-timeout", "1S"]], expect: { kind: OutcomeKind.UNARY, grpcStatus: "0", reply: true, delayMs: 100 } },
];

function scripted(draws: readonly number[]) {
  let i = 0;
  const random = () => {
    if (i >= draws.length) throw new Error(`draw ${i} not scripted`);
    return draws[i++]!;
  };
  return { random, drawn: () => i };
}

function summary(o: GrpcOutcome, drawn: number) {
  switch (o.kind) {
    case OutcomeKind.HTTP:
      return { kind: o.kind, status: o.status, drawn };
    case OutcomeKind.RESET:
      return { kind: o.kind, drawn };
    case OutcomeKind.WATCH:
      return { kind: o.kind, known: o.known, drawn };
    case OutcomeKind.UNARY: {
      const status = o.trailers.find(([n]) => n === "grpc-status")?.[1];
      return { kind: o.kind, grpcStatus: status, delayMs: o.delayMs, reply: o.messages !== null, drawn, headers: o.headers };
    }
  }
}

function run(c: Case) {
  const config = { ...BASE, ...c.config };
  const dispatcher = new GrpcDispatcher(config, ["hello"], IDENTITY);
  const list: [string, string][] = [];
  const ct = c.contentType === undefined ? "application/grpc" : c.contentType;
  const te = c.te === undefined ? "trailers" : c.te;
  if (ct !== null) list.push(["content-type", ct]);
  if (te !== null) list.push(["te", te]);
  list.push(...(c.fields ?? []));
  const body = c.body === undefined ? ECHO_HI : c.body;
  const draws = scripted(c.draws ?? []);
  const outcome = dispatcher.dispatch(
    { path: c.path ?? ECHO_PATH, authority: "a", fields: fieldsOf(list), body: body === null ? null : hex(body), peer: "p", protocol: "h2c" },
    c.state ?? "ready",
    draws.random,
  );
  return { outcome, drawn: draws.drawn() };
}

describe("GrpcDispatcher", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const { outcome, drawn } = run(c);
      const got = summary(outcome, drawn);
      const want: Record<string, unknown> = { ...c.expect };
      const picked = Object.fromEntries(Object.keys(want).map((k) => [k, (got as Record<string, unknown>)[k]]));
      expect(picked).toEqual(want);
      if (outcome.kind === OutcomeKind.UNARY) {
        // Every gRPC answer is a 200 with content-type application/grpc and a grpc-status trailer first.
        expect(outcome.headers[0]).toEqual(["content-type", "application/grpc"]);
        expect(outcome.trailers[0]![0]).toBe("grpc-status");
        if (outcome.trailers[0]![1] !== "0") expect(outcome.trailers[1]?.[0]).toBe("grpc-message");
      }
    });
  }

  test("Check answers are the shared pre-encoded ones, and follow the state", () => {
    const dispatcher = new GrpcDispatcher(BASE, [], IDENTITY);
    const fields = fieldsOf(GRPC_FIELDS);
    const call = { path: HEALTH_CHECK_PATH, authority: "", fields, body: hex(EMPTY_MESSAGE), peer: "", protocol: "h2c" };
    const never = () => {
      throw new Error("health drew");
    };
    const a = dispatcher.dispatch(call, "ready", never);
    const b = dispatcher.dispatch(call, "ready", never);
    expect(a).toBe(b);
    const messages = (s: HealthState) => {
      const o = dispatcher.dispatch(call, s, never);
      return o.kind === OutcomeKind.UNARY && o.messages !== null ? toHex(o.messages) : null;
    };
    expect([messages("ready"), messages("sick"), messages("unready"), messages("shutdown")]).toEqual(["00000000020801", "00000000020801", "00000000020802", "00000000020802"]);
  });

  test("the echo reply carries the request's message and metadata", () => {
    const { outcome } = run({ name: "", body: ECHO_HI, fields: [["x-trace", "42"]], expect: { kind: 0 } });
    expect(outcome.kind).toBe(OutcomeKind.UNARY);
    const hexReply = outcome.kind === OutcomeKind.UNARY ? toHex(outcome.messages!) : "";
    expect(hexReply.slice(10, 18)).toBe("0a026869");
    expect(hexReply).toContain(toHex(new TextEncoder().encode("x-trace")) + "1202" + "3432");
  });
});
