/**
 * The smallest HTTP/2 client `--healthcheck` needs when the server speaks HTTP/2 only: the client
 * preface and an empty SETTINGS (RFC 9113 §3.4), one HEADERS for `GET path` on stream 1, then the
 * server's frames read until that stream's response header block tells its `:status`. Pure bytes
 * in and out: healthcheck.ts moves them over node:net or node:tls. Written here rather than with
 * node:http2, which the compiled Bun executable and Deno do not serve alike, and because one
 * request needs none of a full client's machinery.
 */
import { HpackDecoder, HpackResult } from "../http2/hpack/index.ts";
import { CLIENT_PREFACE, Flag, FrameType, Protocol } from "../http2/constants.ts";

export const latin1 = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** RFC 7541 §5.1: an integer with an N-bit prefix, the prefix's other bits `first`. */
export function integer(out: number[], first: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) return void out.push(first | value);
  out.push(first | max);
  value -= max;
  while (value >= 128) {
    out.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  out.push(value);
}

/** RFC 7541 §6.2.2: a literal without indexing whose name is static entry `nameIndex`, the value raw (no Huffman). */
export function literal(out: number[], nameIndex: number, value: string): void {
  integer(out, 0x00, 4, nameIndex);
  const bytes = latin1(value);
  integer(out, 0x00, 7, bytes.length);
  for (const b of bytes) out.push(b);
}

export function frame(type: number, flags: number, streamId: number, payload: number[]): number[] {
  const n = payload.length;
  return [(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, type, flags, (streamId >>> 24) & 0x7f, (streamId >>> 16) & 0xff, (streamId >>> 8) & 0xff, streamId & 0xff, ...payload];
}

/** Preface, SETTINGS and the request's HEADERS, as one write. */
export function probeRequest(path: string, authority: string, https: boolean): Uint8Array {
  const block: number[] = [];
  // RFC 7541 Appendix A: 2 = :method GET, 6/7 = :scheme http/https, 4 = :path "/", 1 = :authority.
  block.push(0x82, https ? 0x87 : 0x86);
  if (path === "/") block.push(0x84);
  else literal(block, 4, path);
  literal(block, 1, authority);
  return Uint8Array.from([
    ...CLIENT_PREFACE,
    ...frame(FrameType.SETTINGS, 0, 0, []),
    ...frame(FrameType.HEADERS, Flag.END_STREAM | Flag.END_HEADERS, 1, block),
  ]);
}

/** Read on; `reply` (a SETTINGS ACK) is to be written first. */
export type ProbeMore = { readonly kind: "more"; readonly reply: Uint8Array | null };
/** The probe failed, and why. */
export type ProbeError = { readonly kind: "error"; readonly reason: string };

/** What the probe learned from the bytes so far. */
export type ProbeOutcome = ProbeMore | { readonly kind: "status"; readonly status: number } | ProbeError;

/** One frame of the server's, as the probes' readers see it. */
export type ProbeFrameHandler<T> = (type: number, flags: number, stream: number, payload: Uint8Array) => T | null;

/**
 * The server's bytes cut into whole frames, for both probes (this one and the gRPC one): a frame
 * split across reads waits for the next, a SETTINGS is acknowledged (RFC 9113 §6.5.3: the server
 * may hold its answer until then), and a RST_STREAM on the probe's stream 1 ends the probe. Every
 * other frame goes to `onFrame`; the first outcome it returns ends the read.
 */
export class ProbeFrames {
  private buf = new Uint8Array(0);

  read<T>(bytes: Uint8Array, onFrame: ProbeFrameHandler<T>): T | ProbeMore | ProbeError {
    const all = new Uint8Array(this.buf.length + bytes.length);
    all.set(this.buf);
    all.set(bytes, this.buf.length);
    let pos = 0;
    const replies: number[] = [];
    while (all.length - pos >= Protocol.FRAME_HEADER) {
      const length = (all[pos]! << 16) | (all[pos + 1]! << 8) | all[pos + 2]!;
      if (all.length - pos < Protocol.FRAME_HEADER + length) break;
      const type = all[pos + 3]!;
      const flags = all[pos + 4]!;
      const stream = ((all[pos + 5]! & 0x7f) << 24) | (all[pos + 6]! << 16) | (all[pos + 7]! << 8) | all[pos + 8]!;
      const payload = all.subarray(pos + Protocol.FRAME_HEADER, pos + Protocol.FRAME_HEADER + length);
      pos += Protocol.FRAME_HEADER + length;
      if (type === FrameType.SETTINGS) {
        if ((flags & Flag.ACK) === 0) replies.push(...frame(FrameType.SETTINGS, Flag.ACK, 0, []));
        continue;
      }
      if (type === FrameType.RST_STREAM && stream === 1) return { kind: "error", reason: `RST_STREAM error ${readU32(payload, 0)}` };
      const outcome = onFrame(type, flags, stream, payload);
      if (outcome !== null) return outcome;
    }
    this.buf = all.slice(pos);
    return { kind: "more", reply: replies.length === 0 ? null : Uint8Array.from(replies) };
  }
}

/** Reads the server's frames; `push` each read. */
export class ProbeReader {
  private readonly frames = new ProbeFrames();
  private block: number[] = [];
  private readonly decoder = new HpackDecoder(Protocol.DEFAULT_HEADER_TABLE_SIZE);

  push(bytes: Uint8Array): ProbeOutcome {
    return this.frames.read<ProbeOutcome>(bytes, (type, flags, stream, payload) => {
      if (type === FrameType.GOAWAY) return { kind: "error", reason: `GOAWAY error ${payload.length >= 8 ? readU32(payload, 4) : "?"}` };
      if (stream !== 1 || (type !== FrameType.HEADERS && type !== FrameType.CONTINUATION)) return null;
      this.block.push(...fragment(type, flags, payload));
      return (flags & Flag.END_HEADERS) !== 0 ? this.status() : null;
    });
  }

  private status(): ProbeOutcome {
    let status = 0;
    const block = Uint8Array.from(this.block);
    const result = this.decoder.decode(block, 0, block.length, 1 << 16, (name, value) => {
      if (name === ":status") status = Number(value);
    });
    if (result !== HpackResult.OK || status === 0) return { kind: "error", reason: "no :status in the response header block" };
    return { kind: "status", status };
  }
}

/** A HEADERS payload without its padding and priority (RFC 9113 §6.2). */
export function fragment(type: number, flags: number, payload: Uint8Array): Uint8Array {
  if (type !== FrameType.HEADERS) return payload;
  let start = 0;
  let end = payload.length;
  if ((flags & Flag.PADDED) !== 0) {
    end -= payload[0]!;
    start = 1;
  }
  if ((flags & Flag.PRIORITY) !== 0) start += 5;
  return payload.subarray(start, Math.max(start, end));
}

export function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}
