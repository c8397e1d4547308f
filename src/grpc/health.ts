/**
 * grpc.health.v1.Health (grpc/grpc doc/health-checking.md and its health.proto), what kubelet's
 * gRPC probe and grpc_health_probe call:
 *   message HealthCheckRequest  { string service = 1; }
 *   message HealthCheckResponse { ServingStatus status = 1; }  // UNKNOWN 0, SERVING 1, NOT_SERVING 2, SERVICE_UNKNOWN 3
 * Every known service has the server's one status, which follows the run-time state the admin
 * listener sets; the answers are encoded once, prefix included, and shared.
 */
import type { RunState } from "../respond/state.ts";
import { PREFIX_LENGTH, writePrefix } from "./framing.ts";
import { decodeUtf8, ProtoReader, ProtoResult, WireType } from "./protobuf.ts";

export const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";
export const HEALTH_WATCH_PATH = "/grpc.health.v1.Health/Watch";

export const ServingStatus = {
  UNKNOWN: 0,
  SERVING: 1,
  NOT_SERVING: 2,
  /** Used only by Watch, for a service the server does not know. */
  SERVICE_UNKNOWN: 3,
} as const;
export type ServingStatusCode = (typeof ServingStatus)[keyof typeof ServingStatus];

/** The run-time states plus the one the server enters when it begins to shut down. */
export type HealthState = RunState | "shutdown";

/**
 * `sick` stays SERVING, as the HTTP health path stays 200 while every other answer fails: the
 * probe must not pull a sick pod, outlier detection must find it. `unready` and shutdown are
 * NOT_SERVING so that readiness takes the pod out of its Service before it stops.
 */
export function servingStatusOf(state: HealthState): ServingStatusCode {
  return state === "ready" || state === "sick" ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
}

const STATUS_FIELD = 1;
const SERVICE_FIELD = 1;

/**
 * HealthCheckResponse with its 5-byte prefix. UNKNOWN (0) is proto3's default and is sent as an
 * empty message; every other is field 1 as a one-byte varint: 08 NN.
 */
function encodeResponse(status: ServingStatusCode): Uint8Array {
  const length = status === ServingStatus.UNKNOWN ? 0 : 2;
  const out = new Uint8Array(PREFIX_LENGTH + length);
  writePrefix(out, 0, length);
  if (length > 0) {
    out[PREFIX_LENGTH] = (STATUS_FIELD << 3) | WireType.VARINT;
    out[PREFIX_LENGTH + 1] = status;
  }
  return out;
}

/** Each HealthCheckResponse, prefixed, indexed by {@link ServingStatus}: built once, never written to. */
export const HEALTH_RESPONSES: readonly Uint8Array[] = [
  encodeResponse(ServingStatus.UNKNOWN),
  encodeResponse(ServingStatus.SERVING),
  encodeResponse(ServingStatus.NOT_SERVING),
  encodeResponse(ServingStatus.SERVICE_UNKNOWN),
];

/** {@link HealthServices.lookup} for a request that is not a HealthCheckRequest. */
export const MALFORMED_REQUEST = -2;
/** {@link HealthServices.lookup} for a well-formed request naming a service not known. */
export const UNKNOWN_SERVICE = -1;

/** The index of the empty name, always first. */
const EMPTY_NAME = 0;

/** The names Check and Watch know: the empty name (the server as a whole) and those configured. */
export class HealthServices {
  private readonly names: readonly Uint8Array[];

  constructor(configured: readonly string[]) {
    const encoder = new TextEncoder();
    this.names = [...new Set(["", ...configured])].map((n) => encoder.encode(n));
  }

  /**
   * Which known service a HealthCheckRequest at [start, end) of `message` names: its index, or
   * {@link UNKNOWN_SERVICE}, or {@link MALFORMED_REQUEST}. The name is compared as bytes, so the
   * usual Check (an empty message: service "") decodes no string; a last repeated field 1 wins,
   * as protobuf's merge rule for a scalar says. Unknown fields are skipped.
   */
  lookup(message: Uint8Array, start: number, end: number): number {
    // kubelet and grpc_health_probe send service "": an empty message, the probe's hot path.
    if (start === end) return EMPTY_NAME;
    const reader = new ProtoReader(message, start, end);
    let nameStart = 0;
    let nameEnd = 0;
    for (;;) {
      const r = reader.next();
      if (r === ProtoResult.END) break;
      if (r !== ProtoResult.FIELD) return MALFORMED_REQUEST;
      if (reader.field !== SERVICE_FIELD) continue;
      if (reader.wire !== WireType.LEN) return MALFORMED_REQUEST;
      nameStart = reader.start;
      nameEnd = reader.end;
    }
    const length = nameEnd - nameStart;
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i]!;
      if (name.length !== length) continue;
      let same = true;
      for (let j = 0; j < length && same; j++) same = name[j] === message[nameStart + j];
      if (same) return i;
    }
    return decodeUtf8(message, nameStart, nameEnd) === null ? MALFORMED_REQUEST : UNKNOWN_SERVICE;
  }
}

/** One Watch stream, as the HTTP/2 layer carries it. */
export interface WatchSubscriber {
  /** Send one prefixed HealthCheckResponse (a shared buffer: do not write to it). */
  message(prefixed: Uint8Array): void;
  /** End the stream cleanly: trailers with grpc-status 0. */
  end(): void;
}

/**
 * The Watch streams of one worker. Each gets the current status at once and again on every
 * change of it (health.proto: "a new message whenever the service's serving status changes";
 * ready → sick is no change). A stream for an unknown service gets SERVICE_UNKNOWN and stays
 * open, as health.proto asks ("will *not* terminate the call"); no service becomes known later
 * here, so it hears nothing more until it ends. Draining ends every stream with grpc-status 0.
 */
export class WatchHub {
  private status: ServingStatusCode;
  private readonly known = new Set<WatchSubscriber>();
  private readonly unknown = new Set<WatchSubscriber>();
  private drained = false;

  constructor(state: HealthState) {
    this.status = servingStatusOf(state);
  }

  /** The status every known service has now. */
  get current(): ServingStatusCode {
    return this.status;
  }

  /** Watchers now, for tests and metrics. */
  get size(): number {
    return this.known.size + this.unknown.size;
  }

  /** Starts a stream: its first message now. Returns what to call when the stream goes away first (a reset, a cancel). */
  subscribe(knownService: boolean, subscriber: WatchSubscriber): () => void {
    subscriber.message(HEALTH_RESPONSES[knownService ? this.status : ServingStatus.SERVICE_UNKNOWN]!);
    if (this.drained) {
      subscriber.end();
      return () => {};
    }
    const set = knownService ? this.known : this.unknown;
    set.add(subscriber);
    return () => set.delete(subscriber);
  }

  /** The run-time state changed: the watchers of known services hear it when their status did. */
  setState(state: HealthState): void {
    const status = servingStatusOf(state);
    if (status === this.status) return;
    this.status = status;
    const message = HEALTH_RESPONSES[status]!;
    for (const subscriber of this.known) subscriber.message(message);
  }

  /** Shutting down: NOT_SERVING to whoever still thought otherwise, then every stream ends cleanly. */
  drain(): void {
    this.setState("shutdown");
    this.drained = true;
    for (const set of [this.known, this.unknown]) {
      const ending = [...set];
      set.clear();
      for (const subscriber of ending) subscriber.end();
    }
  }
}
