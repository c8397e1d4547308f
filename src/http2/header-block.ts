/**
 * A header block spread over HEADERS and CONTINUATION frames (RFC 9113 §4.3,
 * §6.10), kept until END_HEADERS because the HPACK decoder takes whole blocks.
 * The frame reader has already checked that the CONTINUATIONs follow their
 * HEADERS on the same stream with nothing in between.
 */
import { ErrorCode } from "./constants.ts";
import type { Frame } from "./frame-reader.ts";

export const BlockStep = {
  /** Kept; more CONTINUATION frames follow. */
  MORE: 0,
  /** END_HEADERS: the whole block is in `bytes`. */
  COMPLETE: 1,
  /** CVE-2024-27316: more CONTINUATION frames than allowed after one HEADERS. */
  TOO_MANY_FRAMES: 2,
  /** More encoded octets than we keep: the block will not be decompressed. */
  TOO_LARGE: 3,
} as const;
export type BlockStep = (typeof BlockStep)[keyof typeof BlockStep];

/**
 * Encoded octets kept per allowed header-list octet. A list just over the limit still decodes
 * (and gets 431 with the HPACK state in step, RFC 9113 §10.5.1); twice the limit is Go's
 * x/net/http2 bound for the same choice (its CVE-2023-45288 fix stops reading fragments past
 * twice the header-list bytes it still accepts).
 */
const KEPT_PER_LIST_OCTET = 2;

export class HeaderBlock {
  streamId = 0;
  /** The HEADERS carried END_STREAM. */
  endStream = false;
  /** A stream error its HEADERS frame's fixed rules found (decoded all the same, §4.3). */
  streamError: ErrorCode = ErrorCode.NO_ERROR;
  /** Allocated on the first split block only: most requests fit one HEADERS frame. */
  private buf: Uint8Array | null = null;
  length = 0;
  private continuations = 0;
  private readonly maxOctets: number;

  constructor(
    maxHeaderListSize: number,
    private readonly maxContinuations: number,
  ) {
    this.maxOctets = KEPT_PER_LIST_OCTET * maxHeaderListSize;
  }

  /** A HEADERS frame without END_HEADERS. */
  begin(f: Frame, endStream: boolean): BlockStep {
    this.streamId = f.streamId;
    this.endStream = endStream;
    this.streamError = f.streamError;
    this.length = 0;
    this.continuations = 0;
    return this.append(f);
  }

  continuation(f: Frame, endHeaders: boolean): BlockStep {
    if (++this.continuations > this.maxContinuations) return BlockStep.TOO_MANY_FRAMES;
    const step = this.append(f);
    return step === BlockStep.MORE && endHeaders ? BlockStep.COMPLETE : step;
  }

  get bytes(): Uint8Array {
    return this.buf!;
  }

  private append(f: Frame): BlockStep {
    const need = this.length + (f.end - f.start);
    if (need > this.maxOctets) return BlockStep.TOO_LARGE;
    if (this.buf === null || this.buf.length < need) {
      const grown = new Uint8Array(Math.min(this.maxOctets, Math.max(need, 2 * (this.buf?.length ?? 1024))));
      if (this.buf !== null) grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(f.data.subarray(f.start, f.end), this.length);
    this.length = need;
    return BlockStep.MORE;
  }
}
