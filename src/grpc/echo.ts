/**
 * hello.v1.Echo/Echo (docs/hello.proto): what arrived and who answered, as one EchoReply.
 * Who answered is the same for every call of a worker, so its fields are encoded once at start
 * and copied; per call the reply is sized first and written into one buffer, prefix included.
 */
import type { RequestFields } from "../contract/exchange.ts";
import type { Identity } from "../respond/echo-identity.ts";
import { PREFIX_LENGTH, writePrefix } from "./framing.ts";
import { lenFieldSize, ProtoReader, ProtoResult, ProtoWriter, utf8Length, varintFieldSize, WireType } from "./protobuf.ts";

export const ECHO_PATH = "/hello.v1.Echo/Echo";

/** Field numbers of docs/hello.proto. */
const Request = { MESSAGE: 1 } as const;
const Reply = {
  MESSAGE: 1,
  METADATA: 2,
  PEER: 3,
  AUTHORITY: 4,
  PROTOCOL: 5,
  HOSTNAME: 6,
  POD: 7,
  NAMESPACE: 8,
  NODE: 9,
  PID: 10,
  RUNTIME: 11,
  IO: 12,
} as const;
const Metadata = { KEY: 1, VALUE: 2 } as const;

/** A pseudo-header field's first character (RFC 9113 §8.3): not metadata. */
const COLON = ":";

/**
 * EchoRequest.message at [start, end) of `message`: a view, not a copy; empty when absent
 * (proto3's default), the last one when repeated; null when the bytes are not an EchoRequest.
 */
export function decodeEchoRequest(message: Uint8Array, start: number, end: number): Uint8Array | null {
  if (start === end) return message.subarray(start, start);
  const reader = new ProtoReader(message, start, end);
  let from = start;
  let to = start;
  for (;;) {
    const r = reader.next();
    if (r === ProtoResult.END) return message.subarray(from, to);
    if (r !== ProtoResult.FIELD) return null;
    if (reader.field !== Request.MESSAGE) continue;
    if (reader.wire !== WireType.LEN) return null;
    from = reader.start;
    to = reader.end;
  }
}

/** The fields 6–12 of EchoReply for one worker, encoded once. */
export function encodeEchoIdentity(id: Identity): Uint8Array {
  const strings: [number, string][] = [
    [Reply.HOSTNAME, id.hostname],
    [Reply.POD, id.pod ?? ""],
    [Reply.NAMESPACE, id.namespace ?? ""],
    [Reply.NODE, id.node ?? ""],
    [Reply.RUNTIME, id.runtime],
    [Reply.IO, id.io],
  ];
  // proto3 leaves default values out: an unset pod name is no bytes at all.
  const present = strings.filter(([, s]) => s.length > 0);
  let size = varintFieldSize(Reply.PID, id.pid);
  for (const [field, s] of present) size += lenFieldSize(field, utf8Length(s));
  const w = new ProtoWriter(new Uint8Array(size));
  for (const [field, s] of present) if (field < Reply.PID) w.stringField(field, s);
  w.uintField(Reply.PID, id.pid);
  for (const [field, s] of present) if (field > Reply.PID) w.stringField(field, s);
  return w.buf;
}

/** One call's facts. */
export interface EchoCall {
  /** EchoRequest.message (from {@link decodeEchoRequest}). */
  readonly message: Uint8Array;
  readonly fields: RequestFields;
  readonly peer: string;
  readonly authority: string;
  /** "h2" or "h2c". */
  readonly protocol: string;
}

/** A string field's bytes; none for "" (proto3 leaves defaults out). */
function stringSize(field: number, s: string): number {
  return s.length === 0 ? 0 : lenFieldSize(field, utf8Length(s));
}

function metadataSize(name: string, value: string): number {
  const entry = lenFieldSize(Metadata.KEY, name.length) + lenFieldSize(Metadata.VALUE, value.length);
  return lenFieldSize(Reply.METADATA, entry);
}

/** The EchoReply, prefixed: one buffer of exactly its size. `identity` is {@link encodeEchoIdentity}'s. */
export function encodeEchoReply(call: EchoCall, identity: Uint8Array): Uint8Array {
  let size = identity.length;
  if (call.message.length > 0) size += lenFieldSize(Reply.MESSAGE, call.message.length);
  call.fields.forEach((name, value) => {
    if (!name.startsWith(COLON)) size += metadataSize(name, value);
  });
  size += stringSize(Reply.PEER, call.peer) + stringSize(Reply.AUTHORITY, call.authority) + stringSize(Reply.PROTOCOL, call.protocol);
  const out = new Uint8Array(PREFIX_LENGTH + size);
  writePrefix(out, 0, size);
  const w = new ProtoWriter(out, PREFIX_LENGTH);
  if (call.message.length > 0) w.bytesField(Reply.MESSAGE, call.message);
  call.fields.forEach((name, value) => {
    if (name.startsWith(COLON)) return;
    // Names and values are octets as HPACK gave them (one char per octet): copied, not re-encoded.
    w.lenHeader(Reply.METADATA, lenFieldSize(Metadata.KEY, name.length) + lenFieldSize(Metadata.VALUE, value.length));
    w.latin1Field(Metadata.KEY, name).latin1Field(Metadata.VALUE, value);
  });
  if (call.peer.length > 0) w.stringField(Reply.PEER, call.peer);
  if (call.authority.length > 0) w.stringField(Reply.AUTHORITY, call.authority);
  if (call.protocol.length > 0) w.stringField(Reply.PROTOCOL, call.protocol);
  out.set(identity, w.pos);
  return out;
}
