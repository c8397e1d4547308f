/**
 * The gRPC dispatcher: one call's path, fields and body, the run-time state and the draws of
 * the seeded random in, an outcome the HTTP/2 layer frames out (HEADERS, DATA, trailers; or a
 * Watch stream; or RST_STREAM; or a plain HTTP answer). Nothing here touches a stream or a clock.
 *
 * The order of the checks, each ending the call when it fires:
 *   1. content-type not application/grpc[+proto] → HTTP 415 (PROTOCOL-HTTP2.md: "servers SHOULD
 *      respond with HTTP status of 415", so no HTTP/2 client takes it for a success);
 *   2. te not `trailers`, a malformed grpc-timeout → INTERNAL (see {@link checkCall});
 *   3. health Check/Watch: answered from the state only — never steered by faults, delay or control;
 *   4. sick → INTERNAL for every other call;
 *   5. an unknown method → UNIMPLEMENTED (statuscodes.md "Method not found at server");
 *   6. the body: framing and message errors (framing.ts), one message per unary call;
 *   7. faults, drawn as faults.ts draws them (reset, then failure, then delay, each only when
 *      configured), so one --seed replays both protocols' faults alike;
 *   8. request control (x-hello-grpc-status, x-hello-delay) overrides the faults, as on HTTP/1.1;
 *   9. grpc-timeout: an answer due after the deadline is DEADLINE_EXCEEDED at the deadline.
 */
import type { Config } from "../config.ts";
import type { RequestFields } from "../contract/exchange.ts";
import type { Identity } from "../respond/echo-identity.ts";
import type { Random } from "../respond/random.ts";
import { parseDuration } from "../units.ts";
import { decodeEchoRequest, ECHO_PATH, encodeEchoIdentity, encodeEchoReply } from "./echo.ts";
import { FRAMING_MESSAGE, FRAMING_STATUS, FramingResult, MessageReader } from "./framing.ts";
import {
  HEALTH_CHECK_PATH,
  HEALTH_RESPONSES,
  HEALTH_WATCH_PATH,
  HealthServices,
  type HealthState,
  MALFORMED_REQUEST,
  servingStatusOf,
  UNKNOWN_SERVICE,
} from "./health.ts";
import { encodeGrpcMessage, GrpcStatus, type GrpcStatusCode, grpcStatusFromHttp, MALFORMED_TIMEOUT, parseGrpcTimeout } from "./status.ts";

export type GrpcConfig = Pick<Config, "maxBodySize" | "requestControl" | "maxDelay" | "failRate" | "failStatus" | "delay" | "resetRate">;

/** One call as the HTTP/2 layer read it. */
export interface GrpcCall {
  /** `:path`. */
  readonly path: string;
  /** `:authority` ("" when absent). */
  readonly authority: string;
  /** The request's fields (content-type, te, grpc-timeout, grpc-encoding, metadata). */
  readonly fields: RequestFields;
  /** The whole request body; null = none. */
  readonly body: Uint8Array | null;
  /** The peer's address, formatted ("[v6]:port"). */
  readonly peer: string;
  /** "h2" or "h2c". */
  readonly protocol: string;
}

export type Fields = ReadonlyArray<readonly [string, string]>;

export const OutcomeKind = {
  /** HEADERS (`:status` 200, `headers`), `messages` as DATA when not null, then `trailers`; after `delayMs`. */
  UNARY: 0,
  /** A health Watch stream: HEADERS now, then what {@link WatchHub.subscribe} sends. */
  WATCH: 1,
  /** RST_STREAM, nothing else: --reset-rate, as a crashed upstream. */
  RESET: 2,
  /** A plain HTTP answer (`status`, text body) with no gRPC in it. */
  HTTP: 3,
} as const;

export interface UnaryOutcome {
  readonly kind: typeof OutcomeKind.UNARY;
  readonly headers: Fields;
  /** The prefixed response message(s); null = Trailers-Only: `headers` and `trailers` may go in one HEADERS frame. */
  readonly messages: Uint8Array | null;
  readonly trailers: Fields;
  /** Send it this many ms after the call was read (fractional allowed). */
  readonly delayMs: number;
}
export interface WatchOutcome {
  readonly kind: typeof OutcomeKind.WATCH;
  readonly headers: Fields;
  /** Whether the service is known (else the stream carries SERVICE_UNKNOWN). */
  readonly known: boolean;
}
export interface ResetOutcome {
  readonly kind: typeof OutcomeKind.RESET;
}
export interface HttpOutcome {
  readonly kind: typeof OutcomeKind.HTTP;
  readonly status: number;
  readonly text: string;
}
export type GrpcOutcome = UnaryOutcome | WatchOutcome | ResetOutcome | HttpOutcome;

const CONTENT_TYPES = ["application/grpc", "application/grpc+proto"];
const HEADERS: Fields = [["content-type", "application/grpc"]];
/** doc/compression.md: an UNIMPLEMENTED for an encoding names the ones the server takes. */
const HEADERS_IDENTITY_ONLY: Fields = [...HEADERS, ["grpc-accept-encoding", "identity"]];
const WATCH_KNOWN: WatchOutcome = { kind: OutcomeKind.WATCH, headers: HEADERS, known: true };
const WATCH_UNKNOWN: WatchOutcome = { kind: OutcomeKind.WATCH, headers: HEADERS, known: false };
const RESET: ResetOutcome = { kind: OutcomeKind.RESET };
const UNSUPPORTED_MEDIA_TYPE: HttpOutcome = { kind: OutcomeKind.HTTP, status: 415, text: "content-type must be application/grpc" };
const NO_DEADLINE = Infinity;
const STATUS_DIGITS = /^\d{1,2}$/;

function trailers(code: GrpcStatusCode, message: string | null): Fields {
  const status: readonly [string, string] = ["grpc-status", String(code)];
  return message === null ? [status] : [status, ["grpc-message", encodeGrpcMessage(message)]];
}

function unary(messages: Uint8Array | null, trailerFields: Fields, delayMs = 0, headers = HEADERS): UnaryOutcome {
  return { kind: OutcomeKind.UNARY, headers, messages, trailers: trailerFields, delayMs };
}

/** Outcomes that depend on nothing but their code: built once. */
const OK_TRAILERS = trailers(GrpcStatus.OK, null);
const CHECK_ANSWERS = HEALTH_RESPONSES.map((m) => unary(m, OK_TRAILERS));
const NOT_FOUND = unary(null, trailers(GrpcStatus.NOT_FOUND, "unknown service"));
const SICK = unary(null, trailers(GrpcStatus.INTERNAL, "the server is sick (hello-server admin sick)"));
const UNIMPLEMENTED = unary(null, trailers(GrpcStatus.UNIMPLEMENTED, "unknown method"));
const BAD_TE = unary(null, trailers(GrpcStatus.INTERNAL, "te: trailers expected"));
const BAD_TIMEOUT = unary(null, trailers(GrpcStatus.INTERNAL, "malformed grpc-timeout"));
const BAD_PROTO = unary(null, trailers(GrpcStatus.INTERNAL, "request message is not valid protobuf"));
/** statuscodes.md: "Request cardinality violation (method requires exactly one request …)" → UNIMPLEMENTED. */
const NOT_ONE_MESSAGE = unary(null, trailers(GrpcStatus.UNIMPLEMENTED, "a unary call takes exactly one request message"));
const FRAMING_ANSWERS = FRAMING_STATUS.map((code, result) =>
  unary(null, trailers(code, FRAMING_MESSAGE[result]!), 0, result === FramingResult.UNSUPPORTED_ENCODING ? HEADERS_IDENTITY_ONLY : HEADERS),
);
const EMPTY = new Uint8Array(0);
const DEADLINE = trailers(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded");

export class GrpcDispatcher {
  private readonly services: HealthServices;
  private readonly identity: Uint8Array;
  private readonly failTrailers: Fields;
  private readonly controlTrailers: readonly Fields[];
  private readonly maxDelayMs: number;
  private readonly delayMinMs: number;
  private readonly delaySpanMs: number;
  private readonly reader = new MessageReader(EMPTY, null, 0);

  constructor(
    private readonly config: GrpcConfig,
    /** --grpc-service names; the empty name is always known. */
    services: readonly string[],
    identity: Identity,
  ) {
    this.services = new HealthServices(services);
    this.identity = encodeEchoIdentity(identity);
    const failCode = grpcStatusFromHttp(config.failStatus);
    this.failTrailers = trailers(failCode, `injected failure (--fail-rate, HTTP ${config.failStatus})`);
    this.controlTrailers = Array.from({ length: GrpcStatus.UNAUTHENTICATED + 1 }, (_, code) =>
      trailers(code as GrpcStatusCode, code === GrpcStatus.OK ? null : "asked for by x-hello-grpc-status"),
    );
    this.maxDelayMs = config.maxDelay * 1000;
    this.delayMinMs = config.delay === null ? 0 : config.delay.min * 1000;
    this.delaySpanMs = config.delay === null ? 0 : (config.delay.max - config.delay.min) * 1000;
  }

  /** The outcome of one call; `random` is drawn only for faults configured, in faults.ts's order. */
  dispatch(call: GrpcCall, state: HealthState, random: Random): GrpcOutcome {
    const { fields, path } = call;
    if (!isGrpcContentType(fields.get("content-type"))) return UNSUPPORTED_MEDIA_TYPE;
    // C-core refuses a call without `te: trailers` (it detects proxies that drop trailers);
    // grpc-go does not check. Refusing with a status says why, where C-core only resets.
    if (fields.get("te") !== "trailers") return BAD_TE;
    const timeoutField = fields.get("grpc-timeout");
    const timeoutMs = timeoutField === null ? NO_DEADLINE : parseGrpcTimeout(timeoutField);
    if (timeoutMs === MALFORMED_TIMEOUT) return BAD_TIMEOUT;

    const body = call.body ?? EMPTY;
    const reader = this.reader;
    const isCheck = path === HEALTH_CHECK_PATH;
    if (isCheck || path === HEALTH_WATCH_PATH) {
      const refused = this.oneMessage(call, body);
      if (refused !== null) return refused;
      const service = this.services.lookup(body, reader.start, reader.end);
      if (service === MALFORMED_REQUEST) return BAD_PROTO;
      if (!isCheck) return service === UNKNOWN_SERVICE ? WATCH_UNKNOWN : WATCH_KNOWN;
      return service === UNKNOWN_SERVICE ? NOT_FOUND : CHECK_ANSWERS[servingStatusOf(state)]!;
    }
    if (state === "sick") return SICK;
    if (path !== ECHO_PATH) return UNIMPLEMENTED;

    const refused = this.oneMessage(call, body);
    if (refused !== null) return refused;
    const echoed = decodeEchoRequest(body, reader.start, reader.end);
    if (echoed === null) return BAD_PROTO;

    const { failRate, resetRate } = this.config;
    if (resetRate > 0 && random() < resetRate) return RESET;
    let answer: Fields | null = failRate > 0 && random() < failRate ? this.failTrailers : null;
    let delayMs = this.delaySpanMs > 0 ? this.delayMinMs + random() * this.delaySpanMs : this.delayMinMs;
    if (this.config.requestControl) {
      const asked = fields.get("x-hello-grpc-status");
      if (asked !== null) {
        const code = STATUS_DIGITS.test(asked) ? Number(asked) : -1;
        if (code < 0 || code > GrpcStatus.UNAUTHENTICATED) return invalid(`x-hello-grpc-status ${asked}: must be 0..16`);
        answer = code === GrpcStatus.OK ? null : this.controlTrailers[code]!;
      }
      const delay = fields.get("x-hello-delay");
      if (delay !== null) {
        const ms = parseDuration(delay);
        if (ms === null) return invalid(`x-hello-delay ${delay}: must be a duration like 250ms, 1.5s or 2m`);
        if (ms > this.maxDelayMs) return invalid(`x-hello-delay ${delay}: above --max-delay ${this.config.maxDelay}s`);
        delayMs = ms;
      }
    }
    // The deadline is the client's; past it the answer would be thrown away (statuscodes.md:
    // "Deadline expires before server returns status" → DEADLINE_EXCEEDED, at the server too).
    if (delayMs > timeoutMs) return unary(null, DEADLINE, timeoutMs);
    if (answer !== null) return unary(null, answer, delayMs);
    const reply = encodeEchoReply({ message: echoed, fields, peer: call.peer, authority: call.authority, protocol: call.protocol }, this.identity);
    return unary(reply, OK_TRAILERS, delayMs);
  }

  /**
   * Reads the one request message of a unary call into `this.reader` (`start`, `end` of
   * `call.body`): null when there is exactly one, else the outcome refusing the body.
   * The reader is reused: dispatch is synchronous, and the probe's path allocates nothing.
   */
  private oneMessage(call: GrpcCall, body: Uint8Array): UnaryOutcome | null {
    const reader = this.reader.reset(body, call.fields.get("grpc-encoding"), this.config.maxBodySize);
    const first = reader.next();
    if (first === FramingResult.END) return NOT_ONE_MESSAGE;
    if (first !== FramingResult.MESSAGE) return FRAMING_ANSWERS[first]!;
    const { start, end } = reader;
    const second = reader.next();
    if (second === FramingResult.MESSAGE) return NOT_ONE_MESSAGE;
    if (second !== FramingResult.END) return FRAMING_ANSWERS[second]!;
    reader.start = start;
    reader.end = end;
    return null;
  }
}

/** A malformed control value: INVALID_ARGUMENT at once, as HTTP/1.1 answers 400 (control.ts). */
function invalid(message: string): UnaryOutcome {
  return unary(null, trailers(GrpcStatus.INVALID_ARGUMENT, message));
}

/** application/grpc or application/grpc+proto, any case, parameters ignored (RFC 9110 §8.3.1). */
export function isGrpcContentType(value: string | null): boolean {
  if (value === null) return false;
  if (value === CONTENT_TYPES[0] || value === CONTENT_TYPES[1]) return true;
  const semi = value.indexOf(";");
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  return type === CONTENT_TYPES[0] || type === CONTENT_TYPES[1];
}
