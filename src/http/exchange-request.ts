/**
 * An HTTP/1.x request head as the protocol-neutral {@link ExchangeRequest} (src/contract/exchange.ts):
 * what responders and protocol switches read. One object per core, pointed at each head in turn
 * and read in place, so a responder that never asks for a field costs no decoding; every getter
 * decodes on demand. Valid only while its head is being acted on (the buffer is reused after).
 */
import type { SocketAddress } from "../contract/address.ts";
import type { ExchangeRequest, Protocol, RequestFields } from "../contract/exchange.ts";
import type { Transport } from "../contract/socket.ts";
import { Byte } from "./constants.ts";
import { fieldNameIs, forEachField } from "./fields.ts";
import { targetPathIs, type RequestHead } from "./head.ts";

const latin1 = new TextDecoder("latin1");

export class Http1Request implements ExchangeRequest, RequestFields {
  /** The head is buf[start, end), request line to the blank line included. */
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  transport: Transport | null = null;
  readonly streamId = 0;
  readonly fields: RequestFields = this;

  constructor(readonly head: RequestHead) {}

  /** Points this view at the head just parsed into `head`. */
  point(buf: Uint8Array, start: number, end: number, transport: Transport): this {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.transport = transport;
    return this;
  }

  /** The target's path (up to a `?`) is `path`, compared in the head's bytes: a specialised check for HTTP/1.1, which decodes nothing. */
  pathIs(path: Uint8Array): boolean {
    return targetPathIs(this.buf, this.head, path);
  }

  get protocol(): Protocol {
    return this.head.minor === 0 ? "http/1.0" : "http/1.1";
  }

  get method(): string {
    const buf = this.buf;
    let p = this.start;
    while (buf[p] !== Byte.SP) p++;
    return latin1.decode(buf.subarray(this.start, p));
  }

  get target(): string {
    return latin1.decode(this.buf.subarray(this.head.targetStart, this.head.targetEnd));
  }

  get bodyLength(): number {
    return this.head.chunked ? -1 : this.head.contentLength;
  }

  get peer(): SocketAddress | null {
    return this.transport?.remoteAddress?.() ?? null;
  }

  get local(): SocketAddress | null {
    return this.transport?.localAddress?.() ?? null;
  }

  get tls(): boolean {
    return this.transport?.tls === true;
  }

  get(lowerName: string): string | null {
    const buf = this.buf;
    let value: string | null = null;
    forEachField(buf, this.start, this.end, (ns, ne, vs, ve) => {
      if (!fieldNameIs(buf, ns, ne, lowerName)) return;
      const v = latin1.decode(buf.subarray(vs, ve));
      // RFC 9110 §5.3: several lines of one field are one list, joined with commas.
      value = value === null ? v : `${value}, ${v}`;
    });
    return value;
  }

  forEach(visit: (name: string, value: string) => void): void {
    const buf = this.buf;
    forEachField(buf, this.start, this.end, (ns, ne, vs, ve) => {
      visit(latin1.decode(buf.subarray(ns, ne)), latin1.decode(buf.subarray(vs, ve)));
    });
  }
}
