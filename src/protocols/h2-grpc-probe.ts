/**
 * `--healthcheck-grpc`'s bytes: one grpc.health.v1.Health/Check for service "" over HTTP/2, as
 * kubelet's gRPC probe and grpc_health_probe send it, and a reader of the answer: the response
 * headers, the HealthCheckResponse in DATA, then the trailers' grpc-status (or one Trailers-Only
 * block). Pure bytes in and out, like h2-probe.ts (healthcheck.ts moves them): the image is FROM
 * scratch and carries no probe binary, and node:http2 is not served alike by every runtime.
 */
import { CLIENT_PREFACE, Flag, FrameType, Protocol } from "../http2/constants.ts";
import { HpackDecoder, HpackResult } from "../http2/hpack/index.ts";
import { HEALTH_CHECK_PATH, ServingStatus } from "../grpc/health.ts";
import { GrpcStatus } from "../grpc/status.ts";
import { fragment, frame, integer, latin1, literal, ProbeFrames, readU32 } from "./h2-probe.ts";
import type { ProbeError, ProbeMore } from "./h2-probe.ts";

/** RFC 7541 §6.2.2 with a new name: 0x00, then the name and the value as raw strings. */
function literalNewName(out: number[], name: string, value: string): void {
  out.push(0x00);
  for (const s of [name, value]) {
    const bytes = latin1(s);
    integer(out, 0x00, 7, bytes.length);
    for (const b of bytes) out.push(b);
  }
}

/** A HealthCheckRequest for service "": the empty message, behind its 5-byte prefix (not compressed, length 0). */
const EMPTY_CHECK = [0, 0, 0, 0, 0];

/** Preface, SETTINGS, the call's HEADERS and its one DATA frame, as one write. */
export function grpcProbeRequest(authority: string, https: boolean): Uint8Array {
  const block: number[] = [];
  // RFC 7541 Appendix A: 3 = :method POST, 6/7 = :scheme http/https, 4 = :path, 1 = :authority, 31 = content-type.
  block.push(0x83, https ? 0x87 : 0x86);
  literal(block, 4, HEALTH_CHECK_PATH);
  literal(block, 1, authority);
  literal(block, 31, "application/grpc");
  // PROTOCOL-HTTP2.md: "te: trailers" is required of a client (C-core refuses a call without it).
  literalNewName(block, "te", "trailers");
  return Uint8Array.from([
    ...CLIENT_PREFACE,
    ...frame(FrameType.SETTINGS, 0, 0, []),
    ...frame(FrameType.HEADERS, Flag.END_HEADERS, 1, block),
    ...frame(FrameType.DATA, Flag.END_STREAM, 1, EMPTY_CHECK),
  ]);
}

/** What the probe learned so far. */
export type GrpcProbeOutcome =
  | ProbeMore
  /** The call ended: its grpc-status and, when a message came, the serving status in it (-1: none). */
  | { readonly kind: "done"; readonly grpcStatus: number; readonly serving: number }
  | ProbeError;

/** Reads the server's frames for the probe's stream 1; `push` each read. */
export class GrpcProbeReader {
  private readonly frames = new ProbeFrames();
  private block: number[] = [];
  private data: number[] = [];
  private httpStatus = 0;
  private grpcStatus = -1;
  private readonly decoder = new HpackDecoder(Protocol.DEFAULT_HEADER_TABLE_SIZE);

  push(bytes: Uint8Array): GrpcProbeOutcome {
    return this.frames.read<GrpcProbeOutcome>(bytes, (type, flags, stream, payload) => {
      // A GOAWAY with NO_ERROR is a draining server, which may still answer stream 1 (RFC 9113 §6.8: streams up to its last id may complete).
      if (type === FrameType.GOAWAY) return payload.length >= 8 && readU32(payload, 4) !== 0 ? { kind: "error", reason: `GOAWAY error ${readU32(payload, 4)}` } : null;
      if (stream !== 1) return null;
      if (type === FrameType.DATA) {
        const padded = (flags & Flag.PADDED) !== 0;
        const end = padded ? payload.length - payload[0]! : payload.length;
        for (let i = padded ? 1 : 0; i < end; i++) this.data.push(payload[i]!);
        return (flags & Flag.END_STREAM) !== 0 ? { kind: "error", reason: "the stream ended without trailers" } : null;
      }
      if (type !== FrameType.HEADERS && type !== FrameType.CONTINUATION) return null;
      for (const b of fragment(type, flags, payload)) this.block.push(b);
      if ((flags & Flag.END_HEADERS) === 0) return null;
      const failed = this.headerBlock();
      if (failed !== null) return failed;
      return this.grpcStatus >= 0 ? { kind: "done", grpcStatus: this.grpcStatus, serving: this.serving() } : null;
    });
  }

  /** Decodes one complete header block: the response headers, the trailers, or both (Trailers-Only). */
  private headerBlock(): GrpcProbeOutcome | null {
    const block = Uint8Array.from(this.block);
    this.block = [];
    const result = this.decoder.decode(block, 0, block.length, 1 << 16, (name, value) => {
      if (name === ":status") this.httpStatus = Number(value);
      else if (name === "grpc-status") this.grpcStatus = Number(value);
    });
    if (result !== HpackResult.OK) return { kind: "error", reason: "a header block our HPACK decoder refused" };
    if (this.httpStatus !== 200) return { kind: "error", reason: `HTTP status ${this.httpStatus}, expected 200` };
    return null;
  }

  /** The HealthCheckResponse's status (field 1, a one-byte varint), UNKNOWN for an empty message, -1 for none. */
  private serving(): number {
    const d = this.data;
    if (d.length < 5) return -1;
    if (d.length === 5) return ServingStatus.UNKNOWN;
    // 08 NN: field 1, varint; the four statuses fit in one byte.
    return d[5] === 0x08 && d.length >= 7 ? d[6]! : -1;
  }
}

/** The probe's verdict: null when healthy, else why not. */
export function grpcVerdict(outcome: { readonly grpcStatus: number; readonly serving: number }): string | null {
  if (outcome.grpcStatus !== GrpcStatus.OK) return `grpc-status ${outcome.grpcStatus}`;
  if (outcome.serving !== ServingStatus.SERVING) return `serving status ${outcome.serving}, expected SERVING (1)`;
  return null;
}
